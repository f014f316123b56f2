"""What a photo's metadata says, from the bytes sampled of it: EXIF and XMP.

Pure functions over bytes, no I/O, standard library only (like imagehead.py). EXIF is a
TIFF structure; a JPEG carries it in its APP1 "Exif" segment (with XMP in another
APP1), a PNG in its eXIf chunk (XMP in an iTXt chunk), a HEIC in an "Exif" item whose
bytes heifitems.py locates. ``read_tiff`` reads the few fields the evidence checks use:
camera make and model (or exposure data), DateTimeOriginal and OffsetTimeOriginal,
UserComment and Software (a screenshot's mark), Orientation, and where the IFD1
thumbnail (a small JPEG a camera embeds) lies.

Every walk is bounded (``_MAX_ENTRIES``, ``_MAX_SEGMENTS``) and nothing here raises:
crafted or cut-off metadata gives fewer facts, never an error.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, replace

__all__ = ["PhotoMeta", "jpeg_metadata", "png_metadata", "read_tiff", "tiff_of_exif_item"]

_MAX_ENTRIES = 512  # entries read of one IFD; real ones have a few dozen
_MAX_SEGMENTS = 64  # JPEG segments walked before the image data; real files have < 20
_MAX_CHUNKS = 64  # PNG chunks walked before IDAT
_EXIF_HEADER = b"Exif\x00\x00"
_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_TIFF_STARTS = (b"MM\x00*", b"II*\x00")

# Tags (TIFF/EXIF 2.32).
_MAKE, _MODEL, _SOFTWARE, _ORIENTATION = 0x010F, 0x0110, 0x0131, 0x0112
_EXIF_IFD = 0x8769
_THUMB_OFFSET, _THUMB_LENGTH = 0x0201, 0x0202
_DATE_ORIGINAL, _OFFSET_ORIGINAL, _USER_COMMENT = 0x9003, 0x9011, 0x9286
# Exposure time, f-number, ISO, focal length: written by cameras, never by screenshots.
_EXPOSURE_TAGS = frozenset({0x829A, 0x829D, 0x8827, 0x920A})
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}

_SCREENSHOT = re.compile(rb"screen\s?shot", re.IGNORECASE)
_XMP_USER_COMMENT = re.compile(rb"UserComment.{0,300}?Screenshot", re.IGNORECASE | re.DOTALL)
_XMP_CAMERA = re.compile(rb"tiff:(?:Make|Model)(?:=\"|>)\s*([^\"<]{1,80})")


@dataclass(frozen=True)
class PhotoMeta:
    """What a photo's metadata says; empty fields where it says nothing."""

    # DateTimeOriginal as written ("2026:11:20 14:03:11") and its offset ("+01:00").
    taken: str = ""
    offset: str = ""
    # "Apple iPhone 13"; "camera" when only exposure data shows a camera took it.
    camera: str = ""
    screenshot_mark: bool = False
    orientation: int = 1
    # The IFD1 thumbnail's bytes when wholly inside what was read.
    thumbnail: bytes = b""


def read_tiff(tiff: bytes) -> PhotoMeta:
    """The fields the evidence checks use, from a TIFF structure (an EXIF block)."""
    try:
        return _read_tiff(tiff)
    except (struct.error, IndexError, ValueError):
        return PhotoMeta()


def _read_tiff(tiff: bytes) -> PhotoMeta:
    if tiff[:4] not in _TIFF_STARTS:
        return PhotoMeta()
    order = ">" if tiff[:2] == b"MM" else "<"
    (first,) = struct.unpack(order + "I", tiff[4:8])
    ifd0, ifd1_at = _ifd(tiff, order, first)
    exif, _ = _ifd(tiff, order, _number(ifd0.get(_EXIF_IFD))) if _EXIF_IFD in ifd0 else ({}, 0)
    make, model = _text(ifd0.get(_MAKE)), _text(ifd0.get(_MODEL))
    camera = model if model.lower().startswith(make.lower()) else f"{make} {model}".strip()
    if not camera and _EXPOSURE_TAGS & exif.keys():
        camera = "camera"
    comment = exif.get(_USER_COMMENT, b"")
    software = ifd0.get(_SOFTWARE, b"")
    marked = any(
        isinstance(v, bytes) and _SCREENSHOT.search(v) is not None for v in (comment, software)
    )
    return PhotoMeta(
        taken=_text(exif.get(_DATE_ORIGINAL)),
        offset=_text(exif.get(_OFFSET_ORIGINAL)),
        camera=camera,
        screenshot_mark=marked,
        orientation=_number(ifd0.get(_ORIENTATION)) or 1,
        thumbnail=_thumbnail(tiff, order, ifd1_at),
    )


_Value = bytes | int


def _ifd(tiff: bytes, order: str, at: int) -> tuple[dict[int, _Value], int]:
    """One IFD's entries (tag -> raw bytes, or the number for a single SHORT/LONG) and
    the offset of the next IFD (0: none)."""
    if at <= 0 or at + 2 > len(tiff):
        return {}, 0
    (count,) = struct.unpack(order + "H", tiff[at : at + 2])
    entries: dict[int, _Value] = {}
    for index in range(min(count, _MAX_ENTRIES)):
        start = at + 2 + index * 12
        if start + 12 > len(tiff):
            break
        tag, kind, n = struct.unpack(order + "HHI", tiff[start : start + 8])
        size = _TYPE_SIZES.get(kind, 0) * n
        if size <= 4:
            raw = tiff[start + 8 : start + 8 + size]
        else:
            (offset,) = struct.unpack(order + "I", tiff[start + 8 : start + 12])
            raw = tiff[offset : offset + size] if offset + size <= len(tiff) else b""
        if n == 1 and kind in (3, 4) and raw:
            entries[tag] = struct.unpack(order + ("H" if kind == 3 else "I"), raw)[0]
        else:
            entries[tag] = raw
    end = at + 2 + count * 12
    following = struct.unpack(order + "I", tiff[end : end + 4])[0] if end + 4 <= len(tiff) else 0
    return entries, following


def _number(value: _Value | None) -> int:
    return value if isinstance(value, int) else 0


def _text(value: _Value | None) -> str:
    if not isinstance(value, bytes):
        return ""
    return value.split(b"\x00", 1)[0].decode("ascii", "replace").strip()


def _thumbnail(tiff: bytes, order: str, ifd1_at: int) -> bytes:
    ifd1, _ = _ifd(tiff, order, ifd1_at)
    offset, length = _number(ifd1.get(_THUMB_OFFSET)), _number(ifd1.get(_THUMB_LENGTH))
    if not offset or not length or offset + length > len(tiff):
        return b""
    data = tiff[offset : offset + length]
    return data if data.startswith(b"\xff\xd8") else b""


def _with_xmp(meta: PhotoMeta, xmp: bytes) -> PhotoMeta:
    """``meta`` with what an XMP packet adds: a screenshot mark, a camera."""
    marked = meta.screenshot_mark or _XMP_USER_COMMENT.search(xmp) is not None
    camera = meta.camera
    if not camera:
        names = [m.group(1).decode("utf-8", "replace").strip() for m in _XMP_CAMERA.finditer(xmp)]
        camera = " ".join(dict.fromkeys(n for n in names if n))
    return replace(meta, screenshot_mark=marked, camera=camera)


def jpeg_metadata(head: bytes) -> PhotoMeta | None:
    """EXIF and XMP of a JPEG from its first bytes; None if it is not a JPEG."""
    if not head.startswith(b"\xff\xd8"):
        return None
    meta, xmp = PhotoMeta(), b""
    pos = 2
    for _ in range(_MAX_SEGMENTS):
        if pos + 4 > len(head) or head[pos] != 0xFF:
            break
        marker = head[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD9, 0xDA) or (0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xCC)):
            break  # image data or frame header: metadata segments come before them
        (length,) = struct.unpack(">H", head[pos + 2 : pos + 4])
        payload = head[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and payload.startswith(_EXIF_HEADER) and meta == PhotoMeta():
            meta = read_tiff(payload[len(_EXIF_HEADER) :])
        elif marker == 0xE1 and payload.startswith(_XMP_HEADER):
            xmp = payload
        pos += 2 + length
    return _with_xmp(meta, xmp) if xmp else meta


def png_metadata(head: bytes) -> PhotoMeta | None:
    """EXIF (eXIf chunk) and XMP (iTXt) of a PNG from its first bytes; None if not a PNG.

    Both come before the image data (IDAT) in the files phones and computers write.
    """
    if not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    meta, xmp = PhotoMeta(), b""
    pos = 8
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > len(head):
            break
        length, kind = struct.unpack(">I4s", head[pos : pos + 8])
        data = head[pos + 8 : pos + 8 + length]
        if kind in (b"IDAT", b"IEND"):
            break
        if kind == b"eXIf":
            meta = read_tiff(data)
        elif kind == b"iTXt" and data.startswith(b"XML:com.adobe.xmp\x00"):
            xmp = data
        pos += 12 + length
    return _with_xmp(meta, xmp) if xmp else meta


def tiff_of_exif_item(item: bytes) -> bytes:
    """The TIFF structure inside a HEIF "Exif" item: a 4-byte offset to the TIFF header
    comes first (ISO/IEC 23008-12 A.2.1); Apple writes "Exif\\0\\0" before the header,
    some Android phones a whole APP1 marker. Found by its start, within 64 bytes."""
    for start in _TIFF_STARTS:
        found = item.find(start, 4, 68)
        if found >= 0:
            return item[found:]
    return b""
