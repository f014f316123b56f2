"""more_head_needed: how far to read a JPEG for its SOF, on real, cut and hostile input."""

from __future__ import annotations

import struct
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.mail.parse import HEAD_BYTES, LONG_HEAD_BYTES
from mailbot.media.imagehead import image_size, more_head_needed
from tests.unit.media import PHOTO_HD, PHOTO_HD_SIZE, jpeg_with_long_exif

ROOT = Path(__file__).resolve().parents[2]
JPEGS = [
    *sorted((ROOT / "examples" / "media").glob("*.jpg")),
    *sorted((ROOT / "tests" / "data").glob("*.jpg")),
]
LONG_EXIF = jpeg_with_long_exif()
# Real files, the long-EXIF one, and one whose SOF sits behind two long APPn segments.
WELL_FORMED = [
    *(path.read_bytes() for path in JPEGS),
    LONG_EXIF,
    jpeg_with_long_exif(jpeg_with_long_exif(filler=20 * 1024), filler=10 * 1024),
]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", 2 + len(payload)) + payload


def test_sof_already_in_the_head_needs_nothing() -> None:
    for path in JPEGS:
        data = path.read_bytes()
        assert image_size(data[:HEAD_BYTES]) is not None, path.name
        assert more_head_needed(data[:HEAD_BYTES], LONG_HEAD_BYTES) is None, path.name


def test_not_a_jpeg_needs_nothing() -> None:
    for head in (b"", b"\xff", b"\x89PNG\r\n\x1a\n" + bytes(HEAD_BYTES), bytes(HEAD_BYTES)):
        assert more_head_needed(head, LONG_HEAD_BYTES) is None


def test_long_exif_asks_for_the_sof_and_what_usually_precedes_it() -> None:
    sof = LONG_EXIF.index(b"\xff\xc0")
    needed = more_head_needed(LONG_EXIF[:HEAD_BYTES], LONG_HEAD_BYTES)
    assert needed is not None and sof + 10 <= needed <= LONG_HEAD_BYTES
    # Past the EXIF segment come APP0 and two DQT segments before the SOF: reading only
    # the next segment's first bytes would not have been enough.
    after_exif = 2 + 2 + struct.unpack(">H", LONG_EXIF[4:6])[0]
    assert LONG_EXIF[after_exif : after_exif + 2] == b"\xff\xe0"
    assert image_size(LONG_EXIF[:needed]) == PHOTO_HD_SIZE
    assert more_head_needed(LONG_EXIF[:needed], LONG_HEAD_BYTES) is None


def test_capped_at_the_limit_or_none_when_the_limit_cannot_reach_the_sof() -> None:
    head = LONG_EXIF[:HEAD_BYTES]
    assert more_head_needed(head, 45_000) == 45_000  # the SOF is near 41 KiB: enough
    after_exif = 2 + 2 + struct.unpack(">H", LONG_EXIF[4:6])[0]
    assert more_head_needed(head, after_exif + 9) is None  # not even a SOF header fits
    assert more_head_needed(head, HEAD_BYTES) is None  # nothing beyond the head allowed


def test_a_sof_header_cut_short_asks_for_the_rest_of_it() -> None:
    data = PHOTO_HD.read_bytes()
    sof = data.index(b"\xff\xc0")
    for cut in range(sof + 2, sof + 9):
        assert more_head_needed(data[:cut], LONG_HEAD_BYTES) == sof + 10
    assert more_head_needed(data[: sof + 9], LONG_HEAD_BYTES) is None


def test_scan_or_corrupt_data_before_any_sof_needs_nothing() -> None:
    soi = b"\xff\xd8"
    assert more_head_needed(soi + segment(0xDA, bytes(10)), LONG_HEAD_BYTES) is None
    assert more_head_needed(soi + b"\x00" * 100, LONG_HEAD_BYTES) is None
    assert more_head_needed(soi + b"\xff\xd9", LONG_HEAD_BYTES) is None


def test_hostile_heads_are_walked_quickly() -> None:
    soi = b"\xff\xd8"
    heads = [
        soi + b"\xff" * (LONG_HEAD_BYTES - 2),  # fill bytes only
        soi + segment(0xE0, b"") * (LONG_HEAD_BYTES // 4),  # ~16,000 empty segments
        soi + b"\xff\xd0" * (LONG_HEAD_BYTES // 2),  # restart markers without a length
    ]
    for head in heads:
        started = time.perf_counter()
        assert more_head_needed(head, LONG_HEAD_BYTES) is None
        assert image_size(head) is None
        assert time.perf_counter() - started < 0.5


def check(head: bytes, limit: int) -> int | None:
    """more_head_needed's contract on any input: no exception, None or (len(head), limit]."""
    needed = more_head_needed(head, limit)
    assert needed is None or len(head) < needed <= limit, (len(head), limit, needed)
    return needed


@SETTINGS
@given(
    st.sampled_from([b"", b"\xff\xd8", b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xc0"]),
    st.binary(max_size=3000),
    st.integers(-10, 2 * LONG_HEAD_BYTES),
)
def test_arbitrary_bytes(prefix: bytes, data: bytes, limit: int) -> None:
    check(prefix + data, limit)


MARKERS = st.sampled_from([0x01, 0xC0, 0xC2, 0xC4, 0xD0, 0xD8, 0xD9, 0xDA, 0xDB, 0xE0,
                           0xE1, 0xE2, 0xFE, 0xFF, 0x00])  # fmt: skip


@SETTINGS
@given(st.sampled_from(WELL_FORMED), st.data())
def test_mutated_jpeg_heads(jpeg: bytes, data: st.DataObject) -> None:
    head = bytearray(jpeg[: data.draw(st.integers(0, min(len(jpeg), LONG_HEAD_BYTES)))])
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, max(0, len(head) - 1)))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "length", "cut"]))
        if action == "flip" and head:
            head[at] ^= data.draw(st.integers(1, 255))
        elif action == "delete":
            del head[at : at + data.draw(st.integers(1, 200))]
        elif action == "insert":  # a marker, or a whole segment of any declared length
            marker = data.draw(MARKERS)
            length = data.draw(st.integers(0, 0xFFFF))
            head[at:at] = bytes([0xFF, marker]) + struct.pack(">H", length)
        elif action == "length" and len(head) >= 6:  # an APPn length pointing anywhere
            head[4:6] = struct.pack(">H", data.draw(st.integers(0, 0xFFFF)))
        else:
            del head[at:]
    limit = data.draw(st.sampled_from([LONG_HEAD_BYTES, HEAD_BYTES, len(head) + 5, 0]))
    check(bytes(head), limit)
    image_size(bytes(head))


@SETTINGS
@given(st.sampled_from(WELL_FORMED), st.data())
def test_well_formed_jpeg_cut_anywhere_is_read_further_or_measured(
    jpeg: bytes, data: st.DataObject
) -> None:
    """On an intact JPEG, None means the size is there; a number always makes progress."""
    cut = data.draw(st.integers(2, len(jpeg)))
    limit = len(jpeg) + 16 * 1024  # never in the way here
    needed = check(jpeg[:cut], limit)
    if needed is None:
        assert image_size(jpeg[:cut]) is not None
        return
    assert image_size(jpeg[:cut]) is None
    further = more_head_needed(jpeg[:needed], limit)
    assert image_size(jpeg[:needed]) is not None or (further is not None and further > needed)
