"""Builds the outgoing email: threading headers, stable Message-ID, loop protection.

Any value that may carry customer text (subject, addresses, message ids) is
sanitised before it becomes a header: control characters (CR/LF above all) are
removed, whitespace collapsed, length capped, so no header can be injected.

The message is written out directly, not through ``EmailMessage``: its shape is
small and fixed (a text/plain part, or text and HTML in a multipart/alternative,
UTF-8 quoted-printable), and the standard library's header parsing and serialising
cost some 2 ms a message, most of the time spent composing a reply. It also makes
the output plain to check: CRLF line ends; header lines within 78 characters unless
one word is longer (a long address or Message-ID), always within 998; no body line
starting with "." or "From ", which SMTP and mbox handling might alter.

Non-ASCII header text (and ASCII text holding "=?") is RFC 2047-encoded here, not by
the standard library: its folder has been seen to drop the space between two
encoded words in long non-ASCII subjects ("Größe 申请" arrives as "Größe申请"). We
encode the whole value as UTF-8 encoded words split at character boundaries;
whitespace inside encoded words survives decoding, and folding between encoded
words is invisible by definition. Addresses are written as they are: raw UTF-8 when
not ASCII (RFC 6532), as the sender then uses SMTPUTF8.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.utils import format_datetime, formataddr, getaddresses

from mailbot.mail.headers import fold_spaces
from mailbot.outbound.render import RenderedMail

MAX_SUBJECT_CHARS = 250
MAX_REFERENCES = 10
_MAX_HEADER_CHARS = 500
# Longer ids are not real ones; capping them keeps "In-Reply-To: <id>" within 998.
_MAX_ID_CHARS = 900
_LINE = 78
# Printable ASCII but "<", ">" and "@": a Message-ID must be ASCII to survive as is.
_ID_CHARS = r"[\x21-\x3b\x3d\x3f\x41-\x7e]+"
_MSGID = re.compile(f"<{_ID_CHARS}@{_ID_CHARS}>")
# One quoted-printable unit: an escape or a single byte.
_QP_UNIT = re.compile(rb"=[0-9A-F]{2}|.", re.DOTALL)
_QP_UNSAFE_START = re.compile(rb"^(?:\.|From )", re.MULTILINE)


def clean_header(value: str, max_chars: int = _MAX_HEADER_CHARS) -> str:
    """One line of safe header text: no control characters, single spaces, capped."""
    # Printable text holds no Cc/Zl/Zp character: skip the per-character look-up.
    kept = (
        value
        if value.isprintable()
        else "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value)
    )
    collapsed = fold_spaces(kept)
    if len(collapsed) > max_chars:
        collapsed = collapsed[: max_chars - 1].rstrip() + "…"
    return collapsed


def clean_message_id(value: str | None) -> str | None:
    """``<local@domain>`` from ``value`` if it holds one, else None."""
    if not value:
        return None
    match = _MSGID.search(clean_header(value, 998))
    return match.group(0) if match and len(match.group(0)) <= _MAX_ID_CHARS else None


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
    return _fold(_text_tokens(subject, "Subject"), len("Subject: "))


def _encoded_words(text: str, room: int) -> list[str]:
    """``text`` as UTF-8 "B" encoded words of at most ``room`` characters each."""
    # "=?utf-8?b?" and "?=" take 12; base64 makes 4 characters of every 3 bytes.
    max_bytes = (room - 12) // 4 * 3
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for ch in text:
        # Split only between characters: an encoded word must hold whole characters.
        n = len(ch.encode("utf-8"))
        if size + n > max_bytes and chunk:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    if chunk:
        words.append("".join(chunk))
    return [
        "=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words
    ]


def _text_tokens(text: str, name: str) -> list[str]:
    """Tokens of an unstructured header value; joined by spaces they read as ``text``."""
    if text.isascii() and "=?" not in text:
        return text.split(" ") if text else []
    # Sized so that even the first word fits on the "Name: " line.
    return _encoded_words(text, _LINE - len(name) - 2)


def _fold(tokens: Sequence[str], used: int) -> str:
    """``tokens`` joined by single spaces, a space becoming a fold (CRLF + space) where
    the next token would take the line past 78 characters; ``used`` is the width of
    the ``Name: `` in front. Unfolding restores the value exactly."""
    parts: list[str] = []
    width = used
    for i, token in enumerate(tokens):
        if i:
            # Never fold before an empty token: a line of only whitespace is not allowed.
            if token and width + 1 + len(token) > _LINE:
                parts.append("\r\n ")
                width = 1
            else:
                parts.append(" ")
                width += 1
        parts.append(token)
        width += len(token)
    return "".join(parts)


def _display_name(name: str) -> str:
    """A configured display name, any encoded words in it decoded, sanitised."""
    if "=?" in name:
        # Not valid encoded words after all: keep the text literally.
        with contextlib.suppress(HeaderParseError, LookupError, UnicodeError):
            name = str(make_header(decode_header(name)))
    return clean_header(name)


@functools.lru_cache(maxsize=16)
def _from_header(from_addr: str) -> str:
    """The From header line for the configured address: the same for every mail, so
    parsed and folded once (the address parser is most of composing's cost)."""
    return "From: " + _fold(_from_tokens(from_addr), len("From: "))


def _from_tokens(from_addr: str) -> list[str]:
    """Header tokens for the configured From: each mailbox as ``name <addr>``."""
    mailboxes = [(n, a) for n, a in getaddresses([clean_header(from_addr)]) if a]
    if not mailboxes:
        raise ValueError(f"not a From address: {from_addr!r}")
    room = _LINE - len("From: ")
    tokens: list[str] = []
    for raw_name, addr in mailboxes:
        if tokens:
            tokens[-1] += ","
        name = _display_name(raw_name)
        if not name:
            tokens.append(addr)
            continue
        angle = f"<{addr}>"
        plain = name.isascii() and "=?" not in name
        phrase = formataddr((name, addr))[: -len(angle) - 1] if plain else ""
        if phrase and not phrase.startswith('"'):
            tokens += phrase.split(" ")
        elif phrase and len(phrase) <= room:
            tokens.append(phrase)  # one token: we never fold inside a quoted string
        else:
            tokens += _encoded_words(name, room)
        tokens.append(angle)
    return tokens


def _qp_wrap(encoded: bytes) -> list[bytes]:
    """One quoted-printable logical line rewrapped: soft breaks within 76 characters,
    and no physical line starting with "." or "From "."""
    lines: list[bytes] = []
    line = b""
    for match in _QP_UNIT.finditer(encoded):
        unit = match.group()
        if len(line) + len(unit) > 75:
            lines.append(line + b"=")
            line = b""
        if not line:
            if unit == b".":
                unit = b"=2E"
            elif encoded.startswith(b"From ", match.start()):
                unit = b"=46"
        line += unit
    lines.append(line)
    return lines


def _qp_safe(lines: list[bytes]) -> list[bytes]:
    """``lines`` with each logical line that breaks a _qp_wrap rule rewrapped."""
    out: list[bytes] = []
    group: list[bytes] = []
    for line in lines:
        group.append(line)
        if line.endswith(b"="):  # a soft break: the logical line goes on
            continue
        if any(len(g) > 76 or _QP_UNSAFE_START.match(g) for g in group):
            out += _qp_wrap(b"".join(g[:-1] for g in group[:-1]) + group[-1])
        else:
            out += group
        group = []
    return out + group


def _quoted_printable(text: str, *, end_with_crlf: bool) -> bytes:
    """``text`` (any line ends) as UTF-8 quoted-printable lines joined by CRLF.

    With ``end_with_crlf`` a text without a final line end gets a soft line break,
    so the result ends in CRLF and still decodes to exactly ``text``.
    """
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True)
    lines = encoded.split(b"\n")
    # b2a_qp leaves "." and "From " at line starts alone, and makes a line of 77 or 78
    # characters when it escapes a trailing space near the limit: rewrap those lines.
    if max(map(len, lines)) > 76 or _QP_UNSAFE_START.search(encoded):
        lines = _qp_safe(lines)
    if end_with_crlf and lines[-1]:
        lines[-1:] = _qp_wrap(lines[-1])
        lines[-1] += b"="
        lines.append(b"")
    return b"\r\n".join(lines)


def _part_headers(subtype: str) -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n"
    ).encode("ascii")


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
    """The complete email as bytes (CRLF line ends), ready for SMTP or a .eml file.

    ValueError when ``message_id``, ``to_addr`` or ``from_addr`` is not usable.
    """
    own_id = clean_message_id(message_id)
    if own_id is None:
        raise ValueError(f"not a Message-ID: {message_id!r}")
    headers = [
        _from_header(from_addr),
        "To: " + clean_address(to_addr),
        "Date: " + format_datetime(date),
        "Message-ID: " + own_id,
        "Subject: " + encode_subject(subject_with_tag(rendered.subject, subject_tag)),
    ]
    parent = clean_message_id(in_reply_to)
    if parent:
        headers.append("In-Reply-To: " + parent)
    refs = thread_references(references, in_reply_to)
    if refs:
        headers.append("References: " + _fold(refs, len("References: ")))
    # RFC 3834 and the Microsoft header: other robots must not answer us.
    for name, value in (
        ("Auto-Submitted", clean_header(auto_submitted, 50) or "auto-replied"),
        ("X-Auto-Response-Suppress", "All"),
        ("X-Mailbot-Loop", clean_header(instance, 100)),
    ):
        headers.append(f"{name}: " + _fold(_text_tokens(value, name), len(name) + 2))
    # RFC 3282: the language the reply is written in (a tag from our own catalogs).
    headers.append("Content-Language: " + clean_header(rendered.language, 35))
    headers.append("MIME-Version: 1.0")
    if rendered.html is None:
        head = "\r\n".join(headers).encode("utf-8") + b"\r\n"
        body = _quoted_printable(rendered.text, end_with_crlf=True)
        return head + _part_headers("plain") + b"\r\n" + body
    # "=_" never occurs in quoted-printable text ("=" is always followed by hex digits
    # or a line end), so the boundary cannot collide with either part.
    boundary = "=_mailbot_" + secrets.token_hex(16)
    headers.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"')
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return b"".join(
        (
            "\r\n".join(headers).encode("utf-8"),
            b"\r\n\r\n",
            delimiter,
            _part_headers("plain"),
            b"\r\n",
            _quoted_printable(rendered.text, end_with_crlf=False),
            # The CRLF in front of a boundary line belongs to the boundary, not the part.
            b"\r\n",
            delimiter,
            _part_headers("html"),
            b"\r\n",
            _quoted_printable(rendered.html, end_with_crlf=False),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )
