"""Test media built from the files in examples/media and tests/data."""

from __future__ import annotations

import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PHOTO_HD = ROOT / "examples" / "media" / "photo-hd-01.jpg"  # 1280x720, SOF at offset 158
PHOTO_HD_SIZE = (1280, 720)


def jpeg_with_long_exif(jpeg: bytes | None = None, filler: int = 40 * 1024) -> bytes:
    """``jpeg`` (photo-hd-01.jpg) with an APP1 "Exif" segment of ``filler`` more bytes
    inserted after SOI, as a phone's EXIF block with its thumbnail pushes the SOF back."""
    jpeg = PHOTO_HD.read_bytes() if jpeg is None else jpeg
    payload = b"Exif\x00\x00" + bytes(range(256)) * (filler // 256) + bytes(filler % 256)
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + len(payload)) + payload
    return jpeg[:2] + app1 + jpeg[2:]
