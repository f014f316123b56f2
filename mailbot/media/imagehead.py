"""Image dimensions from the first bytes of a file, and how many first bytes that takes.

Pure functions over bytes, no I/O: ``image_size`` reads width and height from the
headers of JPEG, PNG, GIF, WebP and HEIC/HEIF; ``more_head_needed`` tells a reader that
sampled only the start of a file whether reading further would find a JPEG's dimensions.

Every walk over the input is bounded (``_MAX_JPEG_STEPS``, ``_MAX_BOXES``), so crafted
bytes cannot make them slow, and none of them raises.
"""

from __future__ import annotations

import struct
from typing import Literal

__all__ = ["boxes", "child", "image_size", "jpeg_frame_at", "more_head_needed"]

# JPEG start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG), CC (DAC) do not.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Bytes of a SOF header up to the component count: FF Cn, length, precision, height, width,
# components. The dimensions end at byte 9.
_SOF_HEADER = 10
# Read this far past the start of the first segment the head does not show. The segment
# after a phone's long EXIF APP1 is seldom the SOF itself: an ICC profile in APP2 (about
# 0.5-3 KiB; sRGB IEC61966-2.1 is 3,144 bytes), an MPF APP2, an XMP APP1 of a few KiB
# and the quantisation tables (DQT, ~140 bytes) usually come first. One read reaching
# only the next segment's first 10 bytes would almost always need another.
_AFTER_LAST_SEEN = 8 * 1024
# Markers and fill bytes walked before giving up: real files have a few dozen segments
# before their SOF; this only keeps crafted input (64 KiB of 0xFF fill bytes) cheap.
_MAX_JPEG_STEPS = 4096
_MAX_BOXES = 4096  # an ISO-BMFF walk stops here even on crafted input

_Walk = Literal["sof", "end", "stop"]


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from an image's first bytes, or None if unknown or unreadable."""
    try:
        for parser in (_jpeg_size, _png_size, _gif_size, _webp_size, _heif_size):
            size = parser(data)
            if size is not None:
                return size if size[0] > 0 and size[1] > 0 else None
    except (struct.error, IndexError, ValueError):
        return None
    return None


def more_head_needed(head: bytes, limit: int) -> int | None:
    """How many first bytes of this file to read so a JPEG's SOF (its size) is in them.

    ``head`` is the start of a file. For a JPEG whose segment walk runs off the end of
    ``head`` before a SOF marker, the answer is the offset of the first segment not (or
    not wholly) shown plus room for the segments that usually precede the SOF (the walk
    knows that offset from the lengths of the APPn segments it crossed), capped at
    ``limit``. None when reading more would not help: not a JPEG, the SOF is already in
    ``head``, the walk met corrupt data or the scan, or even ``limit`` bytes could not
    hold the SOF header. A number returned is always in ``(len(head), limit]``.
    """
    kind, pos = _jpeg_walk(head)
    if kind == "stop" or (kind == "sof" and pos + _SOF_HEADER - 1 <= len(head)):
        return None
    if pos + _SOF_HEADER > limit:  # the segment starts too late to be read at all
        return None
    # A SOF cut short needs only the rest of its header; an unseen segment, more.
    wanted = pos + (_SOF_HEADER if kind == "sof" else _AFTER_LAST_SEEN)
    needed = min(wanted, limit)
    return needed if needed > len(head) else None


def jpeg_frame_at(head: bytes) -> int | None:
    """How many first bytes of a JPEG hold every segment before its first SOF and the
    SOF's dimensions (all that image_size and the EXIF/XMP walk read), if ``head``
    holds them; else None."""
    kind, pos = _jpeg_walk(head)
    end = pos + _SOF_HEADER - 1
    return end if kind == "sof" and end <= len(head) else None


def _jpeg_walk(data: bytes) -> tuple[_Walk, int]:
    """Walk a JPEG's marker segments from SOI to the first SOF.

    ("sof", offset of the SOF marker) when one is reached (its header may be cut off);
    ("end", offset of the next segment) when ``data`` ends first, that offset possibly
    beyond ``len(data)``; ("stop", offset) for anything else: not a JPEG, bytes that are
    not a marker, scan data or end of image before any SOF, or too many steps.
    """
    if not data.startswith(b"\xff\xd8"):
        return "stop", 0
    pos = 2
    for _ in range(_MAX_JPEG_STEPS):
        if pos + 2 > len(data):
            return "end", pos
        if data[pos] != 0xFF:
            return "stop", pos
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / scan data: no frame header came
            return "stop", pos
        if marker in _SOF_MARKERS:
            return "sof", pos
        if pos + 4 > len(data):  # the length of this segment is not shown yet
            return "end", pos
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return "stop", pos


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    kind, pos = _jpeg_walk(data)
    if kind != "sof" or pos + 9 > len(data):
        return None
    height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
    return width, height


def _png_size(data: bytes) -> tuple[int, int] | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _gif_size(data: bytes) -> tuple[int, int] | None:
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return int(width), int(height)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """ISO-BMFF boxes in data[start:end] as (type, payload start, payload end)."""
    found: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end and len(found) < _MAX_BOXES:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1 and pos + 16 <= end:
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            break
        found.append((kind, pos + header, min(pos + size, end)))
        pos += size
    return found


def child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, begin, stop in boxes(data, start, end):
        if found == kind:
            return begin, stop
    return None


def _heif_size(data: bytes) -> tuple[int, int] | None:
    if data[4:8] != b"ftyp":
        return None
    meta = child(data, 0, len(data), b"meta")
    # meta is a full box: 4 bytes of version and flags precede its children.
    iprp = meta and child(data, meta[0] + 4, meta[1], b"iprp")
    ipco = iprp and child(data, iprp[0], iprp[1], b"ipco")
    if not ipco:
        return None
    sizes = [
        struct.unpack(">II", data[begin + 4 : begin + 12])
        for kind, begin, stop in boxes(data, ipco[0], ipco[1])
        if kind == b"ispe" and stop - begin >= 12
    ]
    # The primary image is the largest; smaller ispe boxes belong to thumbnails.
    return max(((int(w), int(h)) for w, h in sizes), key=lambda s: s[0] * s[1], default=None)
