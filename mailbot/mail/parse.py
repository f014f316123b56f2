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

from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message

from mailbot.mail.headers import (
    CONTROL,
    HeaderFields,
    parse_headers,
    parser,
    split_header_block,
    unfold_8bit,
)
from mailbot.mail.htmltext import html_to_text
from mailbot.mail.mime import (
    MAX_DEPTH,
    MAX_PARTS,
    LeafPart,
    charset_known,
    clean_type,
    decode_base64_tail,
    decode_bytes,
    decode_partial_base64,
    decode_transfer,
    leaf_filename,
    leaf_role,
    split_params,
)
from mailbot.media import heifitems
from mailbot.media.imagehead import more_head_needed

__all__ = [
    "FIRST_HEAD_BYTES",
    "HEAD_BYTES",
    "LONG_HEAD_BYTES",
    "TAIL_BYTES",
    "TEXT_LIMIT",
    "TEXT_PART_LIMIT",
    "AttachmentSample",
    "BodyCollector",
    "ParsedMessage",
    "decode_base64_tail",
    "decode_partial_base64",
    "decode_text_part",
    "head_of",
    "parse_message",
    "pieces_wanted",
    "sample_of",
]

# 16 KiB: libmagic 5.44 names every type we see alike from 4 KiB to 64 KiB heads (some
# releases misread MP4/WebM from 2 KB); sniff.py says more. Reading less is the point
# (bench/README.md, b35537c).
HEAD_BYTES = 16 * 1024
# How far the head is ever read to find a JPEG's dimensions and its EXIF block: the SOF
# marker comes after the EXIF block (a phone's, with its thumbnail, is often 10-60 KiB).
# An APP1 segment is at most 65,537 bytes; after SOI and a JFIF APP0 it ends by byte
# 65,557, inside 66 KiB, so a whole EXIF block and its thumbnail always fit. Only a
# JPEG whose SOF lies beyond HEAD_BYTES gets this longer head.
LONG_HEAD_BYTES = 66 * 1024
# What the IMAP reader reads first of an attachment's head: a JPEG's or PNG's headers
# up to its dimensions; headplan.head_needed says what more the analysis needs. The
# fingerprint hashes this much of every head, which every reader has.
FIRST_HEAD_BYTES = 256
# The end of a file: with the size and the first bytes, enough to tell files apart.
TAIL_BYTES = 128
# Encoded bytes read of one text part; longer bodies are cut, never fetched whole.
TEXT_PART_LIMIT = 1024 * 1024
# Characters of body text kept from all text parts together: every search of the
# reading step (order number, phrases, tracking numbers, links, commands) runs over at
# most this much customer text. 200,000 characters is some 60 pages of prose.
TEXT_LIMIT = 200_000


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


def decode_text_part(payload: bytes, transfer_encoding: str, charset: str, subtype: str) -> str:
    """Decode one text part's encoded body to clean text (HTML turned to text)."""
    text = decode_bytes(decode_transfer(payload, transfer_encoding), charset)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if subtype.lower() == "html":
        text = html_to_text(text)
    return CONTROL.sub("", text).strip()


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
            self.defects.append(f"UnknownCharset({CONTROL.sub('', leaf.charset)[:40]})")
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
        message = parser().parsebytes(raw)
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
    headers = {k.lower(): unfold_8bit(v)[0] for k, v in reversed(list(part.raw_items()))}
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
