"""Raw email -> ParsedMessage, never raising on bad mail.

Two readers feed this module: ``parse_message`` for a whole message (Maildir, tests,
``simulate``) and the IMAP reader, which fetches only the header block, the text parts
and the head and tail of each attachment. Both go through the same pieces
(``parse_headers``, ``bodystructure.LeafPart``/``leaf_role``, ``decode_text_part``,
``BodyCollector``), so one message gives the same ParsedMessage either way.

Problems with the mail itself (broken MIME, unknown charsets, too many parts, deep
nesting) are recorded in ``defects``; they never stop the parse.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32
from email.utils import parsedate_to_datetime
from typing import Any

from mailbot.mail.bodystructure import (
    MAX_DEPTH,
    MAX_PARTS,
    LeafPart,
    charset_known,
    clean_type,
    decode_base64_tail,
    decode_bytes,
    decode_partial_base64,
    decode_transfer,
    decode_words,
    leaf_filename,
    leaf_role,
    split_params,
)
from mailbot.mail.htmltext import html_to_text
from mailbot.media import heifitems
from mailbot.media.imagehead import more_head_needed

__all__ = [
    "HEAD_BYTES",
    "LONG_HEAD_BYTES",
    "TAIL_BYTES",
    "TEXT_LIMIT",
    "TEXT_PART_LIMIT",
    "AttachmentSample",
    "BodyCollector",
    "HeaderFields",
    "ParsedMessage",
    "decode_base64_tail",
    "decode_partial_base64",
    "decode_text_part",
    "head_of",
    "parse_headers",
    "parse_message",
    "pieces_wanted",
    "sample_of",
    "split_header_block",
]

# 16 KiB: libmagic 5.44 names every type we see alike from 4 KiB to 64 KiB heads (some
# releases misread MP4/WebM from 2 KB); sniff.py says more. Reading less is the point:
# with 64 KiB heads a benchmark read 1,000 messages in 5.6 s, with 16 KiB in 3.7 s.
HEAD_BYTES = 16 * 1024
# How far the head is ever read to find a JPEG's dimensions and its EXIF block: the SOF
# marker comes after the EXIF block (a phone's, with its thumbnail, is often 10-60 KiB).
# An APP1 segment is at most 65,537 bytes; after SOI and a JFIF APP0 it ends by byte
# 65,557, inside 66 KiB, so a whole EXIF block and its thumbnail always fit. Only a
# JPEG whose SOF lies beyond HEAD_BYTES gets this longer head.
LONG_HEAD_BYTES = 66 * 1024
# The end of a file: enough to tell two files of equal size and head apart.
TAIL_BYTES = 4 * 1024
# Encoded bytes read of one text part; longer bodies are cut, never fetched whole.
TEXT_PART_LIMIT = 1024 * 1024
# Characters of body text kept from all text parts together: every search of the
# reading step (order number, phrases, tracking numbers, links, commands) runs over at
# most this much customer text. 200,000 characters is some 60 pages of prose.
TEXT_LIMIT = 200_000
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
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FOLD = re.compile(r"\r?\n[ \t]")


@dataclass(frozen=True)
class AttachmentSample:
    """What is read of one attachment: its name, declared type, size, head and tail.

    ``head`` is the first HEAD_BYTES of the decoded content, longer (up to
    LONG_HEAD_BYTES) only for a JPEG whose dimensions or EXIF block lie further on
    (``head_of``); ``tail`` the last TAIL_BYTES; ``pieces`` the (offset, bytes) ranges
    read besides, only those ``pieces_wanted`` names (a HEIC's EXIF and thumbnail).
    """

    part: str
    filename: str
    declared_type: str
    size: int
    head: bytes
    tail: bytes
    pieces: tuple[tuple[int, bytes], ...] = ()


@dataclass(frozen=True)
class ParsedMessage:
    """One email decoded and sanitised, before its attachments are sniffed."""

    message_id: str
    sender: str | None
    sender_name: str
    subject: str
    text: str
    in_reply_to: str | None
    references: tuple[str, ...]
    date: datetime | None
    headers: tuple[tuple[str, str], ...]
    defects: tuple[str, ...]
    attachments: tuple[AttachmentSample, ...]


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


def clean_line(value: str) -> str:
    """One line of display text: control/bidi characters removed, whitespace folded."""
    return " ".join(_CONTROL.sub("", value.replace("\t", " ")).split())


def _unfold_8bit(raw: str) -> tuple[str, bool]:
    """Unfold a raw header value and decode 8-bit bytes (UTF-8, else cp1252)."""
    value = _FOLD.sub(" ", raw).replace("\r", "").replace("\n", "")
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value, False
    # No charset: decode_bytes then tries strict UTF-8 before cp1252. Naming "utf-8"
    # decoded with errors="replace" and never fell back, so Latin-1 "Jörg" lost its ö.
    return decode_bytes(value.encode("utf-8", "surrogateescape"), ""), True


def _decode_value(raw: str) -> str:
    value, _ = _unfold_8bit(raw)
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


def _parser() -> BytesParser:
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
    value, _ = _unfold_8bit(raw)
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
        parsed = parsedate_to_datetime(_unfold_8bit(raw)[0].strip())
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
        items = _parser().parsebytes(header_block, headersonly=True)
        raw_items = [(name.lower(), value) for name, value in items.raw_items()]
    except Exception:  # header bytes no parser accepts
        raw_items, defects = [], ["UnparsableHeaderBlock"]
    else:
        defects = [type(defect).__name__ for defect in items.defects]

    def first(name: str) -> str | None:
        return next((value for key, value in raw_items if key == name), None)

    if any(_unfold_8bit(value)[1] for _, value in raw_items):
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


def decode_text_part(payload: bytes, transfer_encoding: str, charset: str, subtype: str) -> str:
    """Decode one text part's encoded body to clean text (HTML turned to text)."""
    text = decode_bytes(decode_transfer(payload, transfer_encoding), charset)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if subtype.lower() == "html":
        text = html_to_text(text)
    return _CONTROL.sub("", text).strip()


def head_of(data: bytes) -> bytes:
    """The head sampled of a file's whole decoded content ``data``.

    The first HEAD_BYTES, or for a JPEG whose SOF (its dimensions) lies beyond them,
    the first ``more_head_needed`` bytes (at most LONG_HEAD_BYTES). The IMAP reader
    reads the same range with a second FETCH, so both readers sample alike.
    """
    head = data[:HEAD_BYTES]
    needed = more_head_needed(head, LONG_HEAD_BYTES)
    return head if needed is None else data[:needed]


def pieces_wanted(head: bytes, size: int) -> tuple[tuple[int, int], ...]:
    """The (offset, length) ranges of a file of ``size`` decoded bytes to read besides
    ``head``: a HEIC's EXIF and thumbnail items, when small (heifitems.MAX_ITEM_BYTES)
    and not in it. Nothing for anything else. The tail is not used even when it holds
    an item: the IMAP reader knows a file's exact size (and so where its tail begins)
    only for base64 in lines of one width.

    The IMAP reader reads them where it can place them in the encoded part (base64 in
    lines of one width, or no encoding); for a rare quoted-printable HEIC it reads none,
    while the whole-message reader, which has every byte, always has them."""
    items = heifitems.locate(head)
    if items is None:
        return ()
    return heifitems.missing(items, size, ((0, len(head)),))


def sample_of(leaf: LeafPart, data: bytes) -> AttachmentSample:
    """The AttachmentSample of a part whose whole decoded content ``data`` was read."""
    head = head_of(data)
    return AttachmentSample(
        part=leaf.part,
        filename=leaf_filename(leaf),
        declared_type=leaf.content_type,
        size=len(data),
        head=head,
        tail=data[-TAIL_BYTES:],
        pieces=tuple((o, data[o : o + n]) for o, n in pieces_wanted(head, len(data))),
    )


def sample_from_payload(leaf: LeafPart, payload: bytes) -> AttachmentSample:
    """An exact AttachmentSample from a part's whole encoded body."""
    return sample_of(leaf, decode_transfer(payload, leaf.transfer_encoding))


@dataclass
class BodyCollector:
    """Gathers a message's body text, attachments and defects, leaf by leaf."""

    # (role, enclosing multipart/alternative, text) in document order
    texts: list[tuple[str, str, str]] = field(default_factory=list)
    attachments: list[AttachmentSample] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def add_text(self, leaf: LeafPart, payload: bytes) -> None:
        """Add a text leaf from its encoded body (read up to TEXT_PART_LIMIT bytes)."""
        if not charset_known(leaf.charset):
            # The name is the sender's: no control characters (a NUL, CR/LF) in defects.
            self.defects.append(f"UnknownCharset({_CONTROL.sub('', leaf.charset)[:40]})")
        subtype = "html" if leaf_role(leaf) == "html" else "plain"
        text = decode_text_part(payload[:TEXT_PART_LIMIT], leaf.transfer_encoding,
                                leaf.charset, subtype)  # fmt: skip
        if text:
            self.texts.append((subtype, leaf.alternative, text))

    def finish(self, fields: HeaderFields) -> ParsedMessage:
        """The ParsedMessage of these headers and everything collected."""
        # Inside a multipart/alternative the plain version wins; an HTML part elsewhere
        # (HTML-only mail, an HTML note next to a forwarded plain message) still counts.
        has_plain = {alt for role, alt, _ in self.texts if role == "plain"}
        text = "\n\n".join(
            body
            for role, alt, body in self.texts
            if role == "plain" or not alt or alt not in has_plain
        )
        if len(text) > TEXT_LIMIT:
            text = text[:TEXT_LIMIT]
            self.defects.append("TextCut")
        return ParsedMessage(
            message_id=fields.message_id,
            sender=fields.sender,
            sender_name=fields.sender_name,
            subject=fields.subject,
            text=text,
            in_reply_to=fields.in_reply_to,
            references=fields.references,
            date=fields.date,
            headers=fields.headers,
            defects=tuple(dict.fromkeys((*fields.defects, *self.defects))),
            attachments=tuple(self.attachments),
        )


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a whole raw message; bad mail gives defects, never an exception."""
    header_block, _ = split_header_block(raw)
    fields = parse_headers(header_block)
    collector = BodyCollector()
    try:
        message = _parser().parsebytes(raw)
        _Walker(collector).message(message, "", 0)
    except (RecursionError, MemoryError):
        collector.defects.append("NestingTooDeep")
    except Exception as error:  # a parser bug must not lose the message
        collector.defects.append(f"ParserError({type(error).__name__})")
    return collector.finish(fields)


class _Walker:
    """Visits a parsed email's parts in order, numbering them as IMAP does."""

    def __init__(self, out: BodyCollector) -> None:
        self.out = out
        self.leaves = 0

    def message(self, message: Message, number: str, depth: int) -> None:
        """Enter a (possibly forwarded) message: its only body is "<n>.1", or "1"."""
        child = number if message.is_multipart() else (f"{number}.1" if number else "1")
        self.part(message, child, depth, "")

    def part(self, part: Message, number: str, depth: int, alternative: str) -> None:
        """Visit one part; ``alternative`` names the enclosing multipart/alternative."""
        self.out.defects.extend(type(defect).__name__ for defect in part.defects)
        if depth > MAX_DEPTH:
            self.out.defects.append("NestingTooDeep")
            return
        # get_payload() only for a multipart: on a leaf it decodes 8-bit text with the
        # declared charset and raised ValueError for a charset with a NUL in it.
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            if part.get_content_type() == "message/rfc822":
                if payload and isinstance(payload[0], Message):
                    self.message(payload[0], number, depth + 1)
                return
            if part.get_content_type() == "multipart/alternative":
                alternative = number or "0"
            for index, child in enumerate(payload, 1):
                sub = f"{number}.{index}" if number else str(index)
                self.part(child, sub, depth + 1, alternative)
            return
        self.leaves += 1
        if self.leaves > MAX_PARTS:
            self.out.defects.append("TooManyParts")
            return
        _add_leaf(part, number, alternative, self.out)


def _add_leaf(part: Message, number: str, alternative: str, out: BodyCollector) -> None:
    # First occurrence wins, as it does for a server building BODYSTRUCTURE.
    headers = {k.lower(): _unfold_8bit(v)[0] for k, v in reversed(list(part.raw_items()))}
    _, params = split_params(headers.get("content-type", ""))
    disposition, dparams = split_params(headers.get("content-disposition", ""))
    leaf = LeafPart(
        part=number,
        content_type=clean_type(part.get_content_type()),
        params=params,
        disposition=disposition,
        disposition_params=dparams,
        transfer_encoding=headers.get("content-transfer-encoding", "").strip().lower(),
        alternative=alternative,
    )
    body = _raw_body(part)
    if leaf_role(leaf) in ("plain", "html"):
        out.add_text(leaf, body)
    elif leaf_role(leaf) == "attachment":
        out.attachments.append(sample_from_payload(leaf, body))


def _raw_body(part: Message) -> bytes:
    """A leaf's body exactly as it was in the message, still transfer-encoded.

    get_payload() re-decodes 8-bit text with the declared charset (and with ASCII, lossily,
    when the charset is unknown); the stored payload keeps the original bytes as
    surrogate escapes, so it is read directly.
    """
    payload = getattr(part, "_payload", None)
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
