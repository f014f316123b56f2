"""A mail file named on the command line, refused in one line when it is not one."""

from __future__ import annotations

import re
from pathlib import Path

from mailbot.errors import MailbotError

# A header field at the very start (RFC 5322: printable ASCII but the colon, then ":").
_FIELD = re.compile(rb"^[!-9;-~]+:")
_KNOWN = re.compile(rb"^(from|to|subject|date|message-id|received|return-path):", re.I | re.M)


class NotAMail(MailbotError):
    """A path given as a mail is missing, a folder, unreadable or not a mail."""


def read_mail_file(path: Path) -> bytes:
    """The bytes of an .eml file; NotAMail saying why it is none."""
    if path.is_dir():
        raise NotAMail(f"{path}: is a directory; give one mail file (.eml)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotAMail(f"{path}: no such file") from None
    except OSError as exc:
        raise NotAMail(f"{path}: cannot read: {exc.strerror}") from None
    head = raw.lstrip(b"\r\n")[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    if not raw.strip():
        raise NotAMail(f"{path}: is empty, not a mail")
    if not _FIELD.match(head) or not _KNOWN.search(head):
        raise NotAMail(f"{path}: not a mail (no header fields such as From: or Subject:)")
    return raw
