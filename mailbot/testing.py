"""The customer email factory tests and the benchmark use: ``make_request`` builds the
bytes of an email as a customer's mail client would send it (text body, base64
attachments with a type guessed from the file name). Standard library only.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import TypeAlias

SHOP_ADDRESS = "returns@shop.example"

Attachment: TypeAlias = Path | tuple[str, bytes, str]

# The built-in table only (no /etc/mime.types), so every machine guesses alike.
_MIME_TYPES = mimetypes.MimeTypes()
_MIME_TYPES.add_type("image/heic", ".heic")
_MIME_TYPES.add_type("image/heif", ".heif")


def guess_type(filename: str) -> str:
    """Content type a mail client would declare for ``filename`` (by its name only)."""
    guessed, _encoding = _MIME_TYPES.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def _attachment_parts(attachment: Attachment) -> tuple[str, bytes, str]:
    """Filename, bytes and declared content type of one attachment."""
    if isinstance(attachment, Path):
        return attachment.name, attachment.read_bytes(), guess_type(attachment.name)
    return attachment


def _add_attachment(message: EmailMessage, attachment: Attachment) -> None:
    """Attach one file base64-encoded, declared with the type its name suggests."""
    filename, data, content_type = _attachment_parts(attachment)
    maintype, _, subtype = content_type.partition("/")
    message.add_attachment(
        data,
        maintype=maintype,
        subtype=subtype or "octet-stream",
        filename=filename,
        cte="base64",
    )


def make_request(
    *,
    sender: str,
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
    message_id: str | None = None,
    date: datetime | None = None,
    in_reply_to: str | None = None,
    to: str = SHOP_ADDRESS,
) -> bytes:
    """Build a customer's email and return its bytes (LF line endings, as Maildir stores).

    ``sender`` is an address, optionally with a display name ("Ann <ann@x.example>").
    Each attachment is a file path (type guessed from its name) or a
    ``(filename, data, declared_type)`` tuple. With attachments the message is
    multipart/mixed (text/plain body first); without, a single text/plain part, as
    mail clients send it. ``date`` defaults to now (UTC); ``message_id`` to a fresh
    one on the sender's domain. ``in_reply_to`` also fills ``References``.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=domain_of(sender))
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["User-Agent"] = "Mozilla Thunderbird"
    message.set_content(body)
    for attachment in attachments:
        _add_attachment(message, attachment)
    return message.as_bytes()


def domain_of(sender: str) -> str:
    """Domain part of a sender address, or a placeholder when it has none."""
    _name, address = parseaddr(sender)
    return address.rpartition("@")[2] or "customer.example"
