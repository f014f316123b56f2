"""The partial-FETCH plan of one attachment (mailbot/inbound/imap/partial.py), on literal
bytes: the items asked for, and what is made of the server's answer."""

from __future__ import annotations

import base64

from mailbot.inbound.imap.bodystructure import PlannedLeaf
from mailbot.inbound.imap.partial import decode_piece, part_items, piece_item, sample_from_fetch
from mailbot.mail.mime import (
    LeafPart,
)
from mailbot.mail.parse import FIRST_HEAD_BYTES, TAIL_BYTES

PHOTO = LeafPart(
    part="2",
    content_type="image/jpeg",
    disposition="attachment",
    disposition_params=(("filename", "photo.jpg"),),
    transfer_encoding="base64",
)


def test_a_small_attachment_is_read_whole() -> None:
    # At most the first head and the tail (256 + 128 decoded bytes, base64-encoded).
    assert part_items(PlannedLeaf(PHOTO, 500)) == ["BODY.PEEK[2]"]
    assert len(part_items(PlannedLeaf(PHOTO, 1000))) == 2


def test_a_large_attachment_is_read_at_both_ends_only() -> None:
    head, tail = part_items(PlannedLeaf(PHOTO, 10_000_000))
    assert head.startswith("BODY.PEEK[2]<0.")
    start, length = tail.removeprefix("BODY.PEEK[2]<").removesuffix(">").split(".")
    assert int(start) + int(length) == 10_000_000
    assert int(head.removeprefix("BODY.PEEK[2]<0.").removesuffix(">")) < 30_000


def test_a_text_part_is_read_from_the_start_capped() -> None:
    text = LeafPart(part="1", content_type="text/plain")
    assert part_items(PlannedLeaf(text, 10_000_000)) == ["BODY.PEEK[1]<0.1048576>"]


def test_a_range_of_fixed_width_base64_lines_is_read_and_decoded_exactly() -> None:
    data = bytes(range(256)) * 20
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")  # 76 chars, 57 bytes a line
    planned = PlannedLeaf(PHOTO, len(encoded))
    item, start, decoded_start = piece_item(planned, encoded[:1000], 1000, 300) or ("", 0, 0)
    assert (start, decoded_start) == (1000 // 57 * 78, 1000 // 57 * 57)
    length = int(item.removeprefix(f"BODY.PEEK[2]<{start}.").removesuffix(">"))
    raw = encoded[start : start + length]
    assert decode_piece(raw, "base64", 1000 - decoded_start, 300) == data[1000:1300]


def test_base64_in_lines_of_unequal_width_has_no_known_position() -> None:
    ragged = b"QUJD\r\nREVGR0hJ\r\n"
    assert piece_item(PlannedLeaf(PHOTO, 10_000), ragged, 5000, 10) is None


def test_a_short_answer_gives_no_piece() -> None:
    assert decode_piece(b"QUJD", "base64", 0, 10) == b""


def test_head_tail_and_exact_size_from_the_two_ends_of_base64() -> None:
    data = bytes(range(256)) * 400  # 102400 bytes
    encoded = base64.encodebytes(data)
    planned = PlannedLeaf(PHOTO, len(encoded))
    head_item, tail_item = part_items(planned)
    head_len = int(head_item.removeprefix("BODY.PEEK[2]<0.").removesuffix(">"))
    tail_start = int(tail_item.removeprefix("BODY.PEEK[2]<").split(".")[0])
    answer = {
        b"BODY[2]<0>": encoded[:head_len],
        f"BODY[2]<{tail_start}>".encode(): encoded[tail_start:],
    }
    sample = sample_from_fetch(planned, answer)
    assert sample.filename == "photo.jpg"
    assert sample.size == len(data)
    assert sample.head == data[:FIRST_HEAD_BYTES]
    assert sample.tail == data[-TAIL_BYTES:]
