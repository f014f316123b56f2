"""A message's header block -> HeaderFields: unfolding, encoded words, the strict From
grammar, Message-IDs, dates; never raising on bad mail (problems become defects)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32
from email.utils import parsedate_to_datetime
from typing import Any

from mailbot.mail.mime import decode_bytes, decode_words, split_params

HEADER_VALUE_LIMIT = 2000
# Characters of one header field kept from the source (see _BoundedPolicy).
HEADER_SOURCE_LIMIT = 8 * 1024
MAX_REFERENCES = 50

_MSG_ID = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]{1,250})>")
_BARE_ID = re.compile(r"^[\x21-\x3b\x3d\x3f-\x7e]{1,250}@[\x21-\x3b\x3d\x3f-\x7e]{1,250}$")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_SPEC = re.compile(rf"^{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})*$")
# Specials that may not appear unquoted in a display name (RFC 5322 3.2.3).
_PHRASE_SPECIALS = frozenset('@,;:[]\\<>"()')
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FOLD = re.compile(r"\r?\n[ \t]")
_SPACES = re.compile(r"\s+")
# The surrogate escapes that stand for the undecodable 8-bit bytes of a header value.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# No-break spaces are text, not layout: French writes U+202F before ":" "?" "!", and
# U+00A0 (U+2007) keeps a number with its unit.
_NO_BREAK = re.compile("[\u00a0\u2007\u202f]")


@dataclass(frozen=True)
class HeaderFields:
    """Everything a message's header block says, decoded and sanitised."""

    message_id: str
    sender: str | None
    sender_name: str
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]
    date: datetime | None
    headers: tuple[tuple[str, str], ...]
    defects: tuple[str, ...] = ()


def fold_spaces(value: str) -> str:
    """Each run of whitespace as one space, or as the no-break space it holds; trimmed."""
    if not _NO_BREAK.search(value):
        return " ".join(value.split())

    def one(run: re.Match[str]) -> str:
        kept = _NO_BREAK.search(run.group())
        return kept.group() if kept else " "

    return _SPACES.sub(one, value).strip()


def clean_line(value: str) -> str:
    """One line of display text: control/bidi characters removed, whitespace folded."""
    return fold_spaces(CONTROL.sub("", value))


def unfold_8bit(raw: str) -> tuple[str, bool]:
    """Unfold a raw header value and decode 8-bit bytes (UTF-8, else cp1252)."""
    value = _FOLD.sub(" ", raw).replace("\r", "").replace("\n", "")
    if value.isascii() or not _ESCAPED_BYTE.search(value):
        return value, False
    # No charset: decode_bytes then tries strict UTF-8 before cp1252. Naming "utf-8"
    # decoded with errors="replace" and never fell back, so Latin-1 "Jörg" lost its ö.
    return decode_bytes(value.encode("utf-8", "surrogateescape"), ""), True


def _decode_value(raw: str) -> str:
    value, _ = unfold_8bit(raw)
    return clean_line(decode_words(value))


class _BoundedPolicy(Compat32):
    """compat32 parsing with every header field cut to HEADER_SOURCE_LIMIT characters.

    Not policy.default: it builds a header object through email's header registry at
    every read (0.7 ms per MIME part, 2 s for 2,500 tiny parts, minutes for one 1 MB
    Content-Type). compat32 reads headers as plain strings. The cut bounds what every
    later pass over a field costs (email's own parameter parsing is quadratic in its
    length); no legitimate field comes near it.
    """

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        return name, value[:HEADER_SOURCE_LIMIT]

    def header_fetch_parse(self, name: str, value: str) -> str:
        # Unfolded as policy.default does, or a folded Content-Type keeps its CR LF
        # (in the content type, and in the boundary the parser looks for). A Header
        # (8-bit value) becomes its text: every reader of it here calls str() anyway.
        unfolded = value.replace("\r", "").replace("\n", "")
        return str(super().header_fetch_parse(name, unfolded))


class _Message(Message):
    """A Message whose boundary is read as split_params reads parameters (as Dovecot).

    compat32's own reading differs from both the IMAP server's and policy.default's on
    sloppy values (``boundary="B"=?``), so the two readers split a message differently.
    """

    def get_boundary(self, failobj: Any = None) -> Any:
        _, params = split_params(str(self.get("content-type", "")))
        return next((value.rstrip() for key, value in params if key == "boundary"), failobj)


_POLICY = _BoundedPolicy()


def parser() -> BytesParser:
    return BytesParser(_Message, policy=_POLICY)


def split_header_block(raw: bytes) -> tuple[bytes, bytes]:
    """Split a raw message at its first empty line into (header block, body)."""
    ends = [(raw.find(sep), sep) for sep in (b"\r\n\r\n", b"\n\n")]
    found = [(pos, sep) for pos, sep in ends if pos >= 0]
    if raw.startswith((b"\r\n", b"\n")):
        return b"", raw.split(b"\n", 1)[1]
    if not found:
        return raw, b""
    pos, sep = min(found)
    return raw[: pos + len(sep)], raw[pos + len(sep) :]


def _scan_from(value: str) -> tuple[list[tuple[bool, str]], str | None] | None:
    """Split a From value into phrase tokens (quoted?, text) and the <address>, if any.

    None when the value is malformed: unbalanced quotes, comments or brackets, several
    angle addresses, or anything after the closing bracket.
    """
    phrase: list[tuple[bool, str]] = []
    address: str | None = None
    i, length = 0, len(value)
    while i < length:
        char = value[i]
        if char == '"':
            end, text = i + 1, []
            while end < length and value[end] != '"':
                if value[end] == "\\" and end + 1 < length:
                    end += 1
                text.append(value[end])
                end += 1
            if end >= length or address is not None:
                return None
            phrase.append((True, "".join(text)))
            i = end + 1
        elif char == "(":
            depth, i = 1, i + 1
            while i < length and depth:
                depth += {"(": 1, ")": -1}.get(value[i], 0)
                i += 2 if value[i] == "\\" else 1
            if depth:
                return None
            # A comment separates tokens like a space (RFC 5322 CFWS): dropping it
            # made "ali(x)ce@example.com" the address alice@example.com.
            phrase.append((False, " "))
        elif char == "<":
            close = value.find(">", i + 1)
            if address is not None or close < 0:
                return None
            address, i = value[i + 1 : close], close + 1
        elif char in ")>" or (address is not None and not char.isspace()):
            return None
        else:
            phrase.append((False, char))
            i += 1
    return phrase, address


def strict_sender(raw: str) -> tuple[str | None, str]:
    """(canonical lower-case addr-spec, display name) of one From value, or (None, "").

    Only two shapes pass: a bare ``local@domain`` or ``phrase <local@domain>`` with a
    phrase free of unquoted specials. The display name never supplies the address, and
    an encoded word or anything else unusual in the address gives None.
    """
    value, _ = unfold_8bit(raw)
    scanned = _scan_from(value)
    if scanned is None:
        return None, ""
    phrase, address = scanned
    if address is None:
        if any(quoted for quoted, _ in phrase):
            return None, ""
        address = "".join(text for _, text in phrase)
        phrase = []
    elif any(not quoted and text in _PHRASE_SPECIALS for quoted, text in phrase):
        return None, ""
    address = address.strip()
    if "=?" in address or len(address) > 254 or not _ADDR_SPEC.match(address):
        return None, ""
    name = "".join(f'"{text}"' if quoted else text for quoted, text in phrase)
    name = clean_line(decode_words(name.strip())).replace('"', "").strip()
    return address.lower(), name


def _message_id(raw: str | None) -> str | None:
    if raw is None:
        return None
    match = _MSG_ID.search(raw)
    if match:
        return f"<{match.group(1)}>"
    bare = raw.strip()
    return f"<{bare}>" if _BARE_ID.match(bare) else None


def _date(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        parsed = parsedate_to_datetime(unfold_8bit(raw)[0].strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means "zone unknown"; UTC is the honest guess for an aware value.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def synthetic_message_id(header_block: bytes) -> str:
    """A stable Message-ID for a message without one, from its header block's hash."""
    normalised = header_block.replace(b"\r\n", b"\n").rstrip()
    return f"<{hashlib.sha256(normalised).hexdigest()[:40]}@mailbot.invalid>"


def parse_headers(header_block: bytes) -> HeaderFields:
    """Decode a raw header block (up to the empty line) into HeaderFields; never raises."""
    try:
        items = parser().parsebytes(header_block, headersonly=True)
        raw_items = [(name.lower(), value) for name, value in items.raw_items()]
    except Exception:  # header bytes no parser accepts
        raw_items, defects = [], ["UnparsableHeaderBlock"]
    else:
        defects = [type(defect).__name__ for defect in items.defects]

    def first(name: str) -> str | None:
        return next((value for key, value in raw_items if key == name), None)

    if any(unfold_8bit(value)[1] for _, value in raw_items):
        defects.append("NonAsciiHeader")
    froms = [value for key, value in raw_items if key == "from"]
    sender, sender_name = strict_sender(froms[0]) if len(froms) == 1 else (None, "")
    references = _MSG_ID.findall(first("references") or "")
    if len(references) > MAX_REFERENCES:
        # The thread's root and the nearest ancestors (our latest mail among them); the
        # middle is what RFC 5322 3.6.4 lets a long References lose.
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    return HeaderFields(
        message_id=_message_id(first("message-id")) or synthetic_message_id(header_block),
        sender=sender,
        sender_name=sender_name,
        # Bounded like every other header value (a 1 MB Subject stayed 1 MB).
        subject=_decode_value(first("subject") or "")[:HEADER_VALUE_LIMIT],
        in_reply_to=_message_id(first("in-reply-to")),
        references=tuple(f"<{ref}>" for ref in references),
        date=_date(first("date")),
        headers=tuple((k, _decode_value(v)[:HEADER_VALUE_LIMIT]) for k, v in raw_items),
        defects=tuple(defects),
    )
