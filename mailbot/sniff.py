"""What an attachment really is, judged from its bytes: AttachmentSample -> AttachmentFacts.

The only user of libmagic. ``mime_type`` and ``description`` are libmagic's verdict on
the first HEAD_BYTES of the decoded content, reported as libmagic gives them (5.44
says ``image/heic`` for HEIC, ``video/quicktime`` for MOV, ``video/mp4``, ``video/webm``).
Image width and height come from our own small header parsers (JPEG, PNG, GIF, WebP,
HEIC/HEIF), because libmagic's text does not always contain them.

Fingerprint: hex SHA-256 over the decoded size, the head and the tail. Two different
files get the same fingerprint only if they have the same decoded size AND identical
first HEAD_BYTES (64 KiB) AND identical last TAIL_BYTES (4 KiB) — in practice only a
file edited purely in its middle (e.g. a video re-muxed without touching either end,
which normally changes the size). Accidental collisions of SHA-256 itself are
negligible (~2^-128). Files shorter than HEAD_BYTES are covered entirely, so for them
the fingerprint is exact.
"""

from __future__ import annotations

import hashlib
import struct

import magic

from mailbot.core.model import AttachmentFacts
from mailbot.parse import AttachmentSample

# JPEG start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG), CC (DAC) do not.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_MAX_BOXES = 4096  # an ISO-BMFF walk stops here even on crafted input


def sniff(sample: AttachmentSample) -> AttachmentFacts:
    """Type, description, dimensions and fingerprint of one attachment; never raises."""
    mime_type, description = _libmagic(sample.head)
    width, height = image_size(sample.head) or (None, None)
    return AttachmentFacts(
        filename=sample.filename,
        declared_type=sample.declared_type,
        mime_type=mime_type,
        size=sample.size,
        fingerprint=fingerprint(sample.size, sample.head, sample.tail),
        width=width,
        height=height,
        description=description,
    )


def fingerprint(size: int, head: bytes, tail: bytes) -> str:
    """Hex SHA-256 over size, head and tail (length-prefixed so fields cannot blur)."""
    digest = hashlib.sha256(struct.pack(">QQQ", max(size, 0), len(head), len(tail)))
    digest.update(head)
    digest.update(tail)
    return digest.hexdigest()


def _libmagic(head: bytes) -> tuple[str, str]:
    try:
        return str(magic.from_buffer(head, mime=True)), str(magic.from_buffer(head))
    except Exception:  # libmagic errors on odd input must not stop a message
        return "application/octet-stream", ""


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


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / scan data: no frame header came
            return None
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return None


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


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
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


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, begin, stop in _boxes(data, start, end):
        if found == kind:
            return begin, stop
    return None


def _heif_size(data: bytes) -> tuple[int, int] | None:
    if data[4:8] != b"ftyp":
        return None
    meta = _child(data, 0, len(data), b"meta")
    # meta is a full box: 4 bytes of version and flags precede its children.
    iprp = meta and _child(data, meta[0] + 4, meta[1], b"iprp")
    ipco = iprp and _child(data, iprp[0], iprp[1], b"ipco")
    if not ipco:
        return None
    sizes = [
        struct.unpack(">II", data[begin + 4 : begin + 12])
        for kind, begin, stop in _boxes(data, ipco[0], ipco[1])
        if kind == b"ispe" and stop - begin >= 12
    ]
    # The primary image is the largest; smaller ispe boxes belong to thumbnails.
    return max(((int(w), int(h)) for w, h in sizes), key=lambda s: s[0] * s[1], default=None)
