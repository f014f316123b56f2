"""Partial FETCH of one attachment: which byte ranges to ask for, and decoding them.

Pure: no connection, only FETCH item strings and the bytes a server answered, so it is
tested on literal bytes (tests/unit/test_partial_fetch.py). imap/reading.py asks for
what this plans.
"""

from __future__ import annotations

from typing import Any

from mailbot.inbound.imap.bodystructure import PlannedLeaf
from mailbot.mail.mime import (
    decode_base64_tail,
    decode_partial_base64,
    decode_transfer,
    leaf_filename,
    leaf_role,
)
from mailbot.mail.parse import (
    FIRST_HEAD_BYTES,
    TAIL_BYTES,
    TEXT_PART_LIMIT,
    AttachmentSample,
    sample_of,
)


def _encoded_head_length(decoded: int, transfer_encoding: str) -> int:
    """Encoded bytes to read from the start of a part for ``decoded`` bytes of content."""
    if transfer_encoding == "base64":
        # 4 chars per 3 bytes, plus line breaks: 1/16 extra allows lines down to 32 chars.
        chars = -(-decoded // 3) * 4
        return chars + chars // 16 + 64
    if transfer_encoding == "quoted-printable":
        # "=XX" triples a byte at worst; soft line breaks ("=" CR LF) add 1/16 more for
        # lines down to 48 characters (76 is usual). Without that, a part that is all
        # escapes decoded to less than the head the whole-message reader takes.
        chars = decoded * 3
        return chars + chars // 16 + 80
    return decoded


def _encoded_lengths(transfer_encoding: str) -> tuple[int, int]:
    """Encoded bytes to read for FIRST_HEAD_BYTES and for TAIL_BYTES of decoded content."""
    head = _encoded_head_length(FIRST_HEAD_BYTES, transfer_encoding)
    if transfer_encoding == "base64":
        # 4 more chars than the head's formula: the tail's start is realigned to a group.
        tail = -(-TAIL_BYTES // 3) * 4 + 4
        return head, tail + tail // 16 + 64
    return head, _encoded_head_length(TAIL_BYTES, transfer_encoding)


def part_items(planned: PlannedLeaf) -> list[str]:
    """The FETCH items that read what is needed of one leaf."""
    leaf, size = planned.leaf, planned.encoded_size
    role = leaf_role(leaf)
    if role in ("plain", "html"):
        return [f"BODY.PEEK[{leaf.part}]<0.{TEXT_PART_LIMIT}>"]
    if role != "attachment":
        return []
    head, tail = _encoded_lengths(leaf.transfer_encoding)
    if size <= head + tail:
        return [f"BODY.PEEK[{leaf.part}]"]
    return [f"BODY.PEEK[{leaf.part}]<0.{head}>", f"BODY.PEEK[{leaf.part}]<{size - tail}.{tail}>"]


def long_head_item(planned: PlannedLeaf, needed: int) -> str:
    """The FETCH item that reads a leaf's first ``needed`` decoded bytes (from offset 0,
    so base64 stays on 4-character groups and decodes as the first head did)."""
    length = _encoded_head_length(needed, planned.leaf.transfer_encoding)
    return f"BODY.PEEK[{planned.leaf.part}]<0.{length}>"


def piece_item(
    planned: PlannedLeaf, head_raw: bytes, offset: int, length: int
) -> tuple[str, int, int] | None:
    """The FETCH item reading decoded bytes [offset, offset + length) of a leaf, the
    encoded offset it starts at, and the decoded offset that is; None when the encoded
    position is unknown (base64 in lines of unequal width, quoted-printable).

    base64 written in lines of one width W (a multiple of 4) holds W/4*3 bytes a line,
    so the lines holding the range are known exactly and decode on their own.
    """
    leaf = planned.leaf
    encoding = leaf.transfer_encoding
    if encoding in ("", "7bit", "8bit", "binary"):
        return f"BODY.PEEK[{leaf.part}]<{offset}.{length}>", offset, offset
    if encoding != "base64":
        return None
    eol = b"\r\n" if b"\r\n" in head_raw else b"\n"
    width = line_width(head_raw, eol)
    if not width or width % 4:
        return None
    per_line, step = width // 4 * 3, width + len(eol)
    first, last = offset // per_line, (offset + length - 1) // per_line
    start = first * step
    return f"BODY.PEEK[{leaf.part}]<{start}.{(last - first + 1) * step}>", start, first * per_line


def decode_piece(raw: bytes, encoding: str, skip: int, length: int) -> bytes:
    """``length`` decoded bytes after the first ``skip`` of what ``piece_item`` read;
    b"" when the server sent less."""
    decoded = decode_partial_base64(raw) if encoding == "base64" else raw
    piece = decoded[skip : skip + length]
    return piece if len(piece) == length else b""


def sample_from_fetch(planned: PlannedLeaf, data: dict[bytes, Any]) -> AttachmentSample:
    """An AttachmentSample from the FETCH results ``part_items`` asked for."""
    leaf, size = planned.leaf, planned.encoded_size
    whole = data.get(f"BODY[{leaf.part}]".encode())
    if whole is not None:
        return sample_of(leaf, decode_transfer(bytes(whole), leaf.transfer_encoding))
    _, tail_len = _encoded_lengths(leaf.transfer_encoding)
    head_raw = bytes(data.get(f"BODY[{leaf.part}]<0>".encode()) or b"")
    tail_raw = bytes(data.get(f"BODY[{leaf.part}]<{size - tail_len}>".encode()) or b"")
    encoding = leaf.transfer_encoding
    head = decode_head(planned, head_raw, FIRST_HEAD_BYTES)
    if encoding == "base64":
        tail = decode_base64_tail(tail_raw)
        decoded_size = base64_decoded_size(size, head_raw, tail_raw, head)
    elif encoding == "quoted-printable":
        # Start the tail after its first line break, so no "=XX" escape is split; the
        # size is estimated from the head's expansion.
        tail = decode_transfer(tail_raw[tail_raw.find(b"\n") + 1 :], encoding)
        decoded_size = size * len(head) // max(1, head_raw.rfind(b"\n") + 1)
    else:
        tail, decoded_size = tail_raw, size
    return _sample(planned, decoded_size, head[:FIRST_HEAD_BYTES], tail[-TAIL_BYTES:])


def decode_head(planned: PlannedLeaf, raw: bytes, decoded: int) -> bytes:
    """Decode the first ``len(raw)`` encoded bytes of a part, read for ``decoded`` bytes.

    A read that reached the part's end is decoded whole, as ``parse_message`` decodes
    it; a partial one is cut where decoding is safe (whole base64 groups; for
    quoted-printable, the last line break, so no "=XX" escape is split).
    """
    encoding = planned.leaf.transfer_encoding
    if _encoded_head_length(decoded, encoding) >= planned.encoded_size:
        return decode_transfer(raw, encoding)
    if encoding == "base64":
        return decode_partial_base64(raw)
    if encoding == "quoted-printable":
        return decode_transfer(raw[: raw.rfind(b"\n") + 1], encoding)
    return raw


def _sample(planned: PlannedLeaf, size: int, head: bytes, tail: bytes) -> AttachmentSample:
    leaf = planned.leaf
    return AttachmentSample(part=leaf.part, filename=leaf_filename(leaf),
                            declared_type=leaf.content_type, size=size, head=head,
                            tail=tail)  # fmt: skip


def base64_decoded_size(
    encoded_size: int, head_raw: bytes, tail_raw: bytes, decoded_head: bytes | None = None
) -> int:
    """Decoded size of a base64 part of ``encoded_size`` octets seen only at both ends.

    Encoders write fixed-width lines, so line width and end-of-line length from the head
    and the short last line from the tail give the exact character count; if the lines
    are irregular, the head's share of non-whitespace characters gives an estimate.
    ``decoded_head`` is ``decode_partial_base64(head_raw)`` if the caller has it already.
    """
    eol = b"\r\n" if b"\r\n" in head_raw else b"\n"
    body = tail_raw.rstrip()
    trailing = len(tail_raw) - len(body)
    last = len(body.rsplit(b"\n", 1)[-1].strip())
    padding = len(body) - len(body.rstrip(b"="))
    width = line_width(head_raw, eol)
    if width is not None:
        full, rest = divmod(encoded_size - trailing - last, width + len(eol))
        if rest == 0 and 0 < last <= width:
            return (full * width + last) // 4 * 3 - padding
    if decoded_head is None:
        decoded_head = decode_partial_base64(head_raw)
    ratio = len(decoded_head) / max(1, len(head_raw))
    return int(encoded_size * ratio) - padding


def line_width(data: bytes, eol: bytes) -> int | None:
    """The width of every complete line of ``data`` if they are all equally wide, else None.

    Same answer as ``{len(line) for line in data.split(eol)[:-1]}`` having one member, but
    without a list of a thousand lines: the ``count`` line ends must all stand exactly
    where lines of the first line's width put them (``eol`` cannot overlap itself).
    """
    count = data.count(eol)
    if not count:
        return None
    width = data.find(eol)
    step = width + len(eol)
    for offset, byte in enumerate(eol):
        if data[width + offset :: step][:count] != bytes([byte]) * count:
            return None
    return width
