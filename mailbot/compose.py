"""Builds the outgoing email: threading headers, stable Message-ID, loop protection.

Any value that may carry customer text (subject, addresses, message ids) is
sanitised before it becomes a header: control characters (CR/LF above all) are
removed, whitespace collapsed, length capped, so no header can be injected.

The Subject is RFC 2047-encoded here rather than by the standard library: its
folder has been seen to drop the space between two encoded words in long non-ASCII
subjects ("Größe 申请" arrives as "Größe申请"). We encode the whole subject as
UTF-8 encoded words split at character boundaries; whitespace inside encoded words
survives decoding, and folding between encoded words is invisible by definition.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from mailbot.render import RenderedMail

MAX_SUBJECT_CHARS = 250
MAX_REFERENCES = 10
_MAX_HEADER_CHARS = 500
# 42 bytes -> 56 base64 chars -> a 68-char encoded word; "Subject: " + 68 < 78, so
# no line ever needs the policy to refold it.
_WORD_BYTES = 42
_MSGID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")


def clean_header(value: str, max_chars: int = _MAX_HEADER_CHARS) -> str:
    """One line of safe header text: no control characters, single spaces, capped."""
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value)
    collapsed = " ".join(kept.split())
    if len(collapsed) > max_chars:
        collapsed = collapsed[: max_chars - 1].rstrip() + "…"
    return collapsed


def clean_message_id(value: str | None) -> str | None:
    """``<local@domain>`` from ``value`` if it holds one, else None."""
    if not value:
        return None
    match = _MSGID.search(clean_header(value, 998))
    return match.group(0) if match else None


def clean_address(value: str) -> str:
    """A bare address, or ValueError when ``value`` is not one plain address."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        # A line break in an address is an injection attempt, not a typo to repair.
        raise ValueError(f"control character in email address: {value!r}")
    found = getaddresses([clean_header(value)])
    if len(found) != 1:
        raise ValueError(f"not exactly one email address: {value!r}")
    addr = found[0][1]
    if "@" not in addr or any(c in addr for c in ' ,;<>"\\'):
        raise ValueError(f"not a usable email address: {value!r}")
    return addr


def thread_references(references: Sequence[str], in_reply_to: str | None) -> list[str]:
    """References for a reply: the old chain plus the replied-to id, capped.

    Keeps the first id (the thread root) and the most recent ones, as RFC 5322
    suggests for trimming, so clients still thread the conversation.
    """
    ids = [i for i in (clean_message_id(r) for r in references) if i]
    parent = clean_message_id(in_reply_to)
    if parent and (not ids or ids[-1] != parent):
        ids.append(parent)
    deduped = list(dict.fromkeys(ids))
    if len(deduped) > MAX_REFERENCES:
        deduped = deduped[:1] + deduped[-(MAX_REFERENCES - 1) :]
    return deduped


def subject_with_tag(subject: str, tag: str) -> str:
    """The subject, sanitised, with ``tag`` appended unless already present."""
    clean_tag = clean_header(tag, 50)
    text = clean_header(subject, MAX_SUBJECT_CHARS - len(clean_tag) - 1)
    if clean_tag and clean_tag not in text:
        text = f"{text} {clean_tag}".strip()
    return text


def encode_subject(subject: str) -> str:
    """The folded header value for ``subject`` (ASCII as is, else encoded words)."""
    if subject.isascii() and "=?" not in subject:
        return subject
    words: list[str] = []
    chunk = ""
    for ch in subject:
        # Split only between characters: an encoded word must hold whole characters.
        if len((chunk + ch).encode("utf-8")) > _WORD_BYTES:
            words.append(chunk)
            chunk = ""
        chunk += ch
    if chunk:
        words.append(chunk)
    encoded = [
        "=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words
    ]
    return "\n ".join(encoded)


def compose(
    *,
    rendered: RenderedMail,
    from_addr: str,
    to_addr: str,
    message_id: str,
    subject_tag: str,
    in_reply_to: str | None,
    references: Sequence[str],
    instance: str,
    date: datetime,
    auto_submitted: str = "auto-replied",
) -> bytes:
    """The complete email as bytes (CRLF line ends), ready for SMTP or a .eml file."""
    own_id = clean_message_id(message_id)
    if own_id is None:
        raise ValueError(f"not a Message-ID: {message_id!r}")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = clean_header(from_addr)
    msg["To"] = clean_address(to_addr)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = own_id
    # set_raw keeps our own encoding; the policy would refold it (see module docstring).
    msg.set_raw("Subject", encode_subject(subject_with_tag(rendered.subject, subject_tag)))
    parent = clean_message_id(in_reply_to)
    if parent:
        msg["In-Reply-To"] = parent
    refs = thread_references(references, in_reply_to)
    if refs:
        msg["References"] = " ".join(refs)
    # RFC 3834 and the Microsoft header: other robots must not answer us.
    msg["Auto-Submitted"] = clean_header(auto_submitted, 50) or "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Mailbot-Loop"] = clean_header(instance, 100)
    msg.set_content(rendered.text, cte="quoted-printable")
    if rendered.html is not None:
        msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    return msg.as_bytes()
