"""Where a HEIC/HEIF keeps its EXIF and thumbnail, and a small HEIF of only those.

Pure functions over bytes, no I/O. A HEIF file's ``meta`` box (in its first few KiB)
lists items (``iinf``), where each item's bytes lie in the file (``iloc``) and how
items relate (``iref``: a thumbnail item points at the primary image with ``thmb``).
Phones put the EXIF item and the thumbnail (a small HEVC picture of 256 to 512 pixels)
anywhere in ``mdat``: some writers right after ``meta`` (inside the head read anyway),
libheif after the primary image, at the end of the file. ``locate`` finds them in the
head; the reader then reads exactly those byte ranges (``AttachmentSample.pieces``)
when the head does not hold them and they are small (``MAX_ITEM_BYTES``).
``thumbnail_file`` rebuilds a HEIF holding the ``meta`` box and only the thumbnail's
bytes, with ``iloc`` pointing at them, so a decoder (libheif) can decode the thumbnail
without the whole photo.

Every walk is bounded; nothing here raises on crafted input (it finds nothing).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from mailbot.media.imagehead import boxes, child

__all__ = ["MAX_ITEM_BYTES", "HeifItems", "Range", "locate", "missing", "read", "thumbnail_file"]

# An item larger than this is not read: a thumbnail is 5-60 KiB, an EXIF block < 64 KiB.
MAX_ITEM_BYTES = 96 * 1024
_MAX_ITEMS = 4096
_MERGE_GAP = 4 * 1024

Range = tuple[int, int]  # (offset in the file, length)


@dataclass(frozen=True)
class _Location:
    """An item's extents, and where in the head its iloc fields are (to rewrite them)."""

    extents: tuple[Range, ...]
    base_field: Range  # (position, size) of base_offset in the head; size 0: none
    # (position, size) of each extent's extent_offset and extent_length fields.
    extent_fields: tuple[tuple[Range, Range], ...]


@dataclass(frozen=True)
class HeifItems:
    """The EXIF and thumbnail items of a HEIF file, found in its head."""

    exif: tuple[Range, ...] = ()
    thumbnail: tuple[Range, ...] = ()
    thumbnail_id: int = 0
    meta_end: int = 0  # offset where the meta box ends (all of it must be in the head)
    locations: dict[int, _Location] = field(default_factory=dict)


def locate(head: bytes) -> HeifItems | None:
    """The EXIF and thumbnail items of a HEIF file; None if ``head`` is not the start of
    one or does not hold its whole ``meta`` box."""
    try:
        return _locate(head)
    except (struct.error, IndexError, ValueError):
        return None


def _locate(head: bytes) -> HeifItems | None:
    if head[4:8] != b"ftyp":
        return None
    meta = next(((b, e) for kind, b, e in boxes(head, 0, len(head)) if kind == b"meta"), None)
    if meta is None:
        return None
    (declared,) = struct.unpack(">I", head[meta[0] - 8 : meta[0] - 4])
    if meta[0] - 8 + declared > len(head):
        return None  # meta is cut off: its tables would be incomplete
    start, end = meta[0] + 4, meta[1]
    types = _item_types(head, child(head, start, end, b"iinf"))
    primary = _primary(head, child(head, start, end, b"pitm"))
    thumbs = _thumbnails_of(head, child(head, start, end, b"iref"), primary)
    iloc = child(head, start, end, b"iloc")
    locations = _iloc(head, iloc) if iloc else {}
    exif_id = next((i for i, t in types.items() if t == b"Exif"), 0)
    thumb_id = next((i for i in thumbs if types.get(i) == b"hvc1" and i in locations), 0)
    return HeifItems(
        exif=locations[exif_id].extents if exif_id in locations else (),
        thumbnail=locations[thumb_id].extents if thumb_id else (),
        thumbnail_id=thumb_id,
        meta_end=meta[1],
        locations=locations,
    )


def _item_types(head: bytes, iinf: Range | None) -> dict[int, bytes]:
    if iinf is None:
        return {}
    version = head[iinf[0]]
    first = iinf[0] + (6 if version == 0 else 8)  # full box header + entry count
    types: dict[int, bytes] = {}
    for kind, begin, _ in boxes(head, first, iinf[1]):
        if kind != b"infe" or head[begin] < 2:
            continue
        if head[begin] == 2:
            item_id, item_type = struct.unpack(">H2x4s", head[begin + 4 : begin + 12])
        else:
            item_id, item_type = struct.unpack(">I2x4s", head[begin + 4 : begin + 14])
        types[item_id] = item_type
    return types


def _primary(head: bytes, pitm: Range | None) -> int:
    if pitm is None:
        return 0
    fmt = ">H" if head[pitm[0]] == 0 else ">I"
    return int(struct.unpack(fmt, head[pitm[0] + 4 : pitm[0] + 4 + struct.calcsize(fmt)])[0])


def _thumbnails_of(head: bytes, iref: Range | None, primary: int) -> list[int]:
    """Items that are thumbnails (``thmb`` references) of the primary image."""
    if iref is None:
        return []
    wide = head[iref[0]] != 0
    fmt, size = (">I", 4) if wide else (">H", 2)
    found: list[int] = []
    for kind, begin, stop in boxes(head, iref[0] + 4, iref[1]):
        if kind != b"thmb":
            continue
        (source,) = struct.unpack(fmt, head[begin : begin + size])
        (count,) = struct.unpack(">H", head[begin + size : begin + size + 2])
        targets = [
            struct.unpack(fmt, head[p : p + size])[0]
            for p in range(begin + size + 2, min(stop, begin + size + 2 + count * size), size)
        ]
        if primary in targets or not primary:
            found.append(source)
    return found


def _iloc(head: bytes, iloc: Range) -> dict[int, _Location]:
    """Item id -> location, for items stored in the file itself (construction method 0)."""
    version, pos = head[iloc[0]], iloc[0] + 4
    offset_size, length_size = head[pos] >> 4, head[pos] & 15
    base_size, index_size = head[pos + 1] >> 4, head[pos + 1] & 15
    pos += 2
    wide = version == 2
    count, pos = _uint(head, pos, 4 if wide else 2)
    locations: dict[int, _Location] = {}
    for _ in range(min(count, _MAX_ITEMS)):
        item_id, pos = _uint(head, pos, 4 if wide else 2)
        method = 0
        if version in (1, 2):
            method, pos = head[pos + 1] & 15, pos + 2
        pos += 2  # data reference index
        base_field = (pos, base_size)
        base, pos = _uint(head, pos, base_size)
        extent_count, pos = _uint(head, pos, 2)
        extents: list[Range] = []
        fields: list[tuple[Range, Range]] = []
        for _ in range(min(extent_count, _MAX_ITEMS)):
            if version in (1, 2) and index_size:
                pos += index_size
            fields.append(((pos, offset_size), (pos + offset_size, length_size)))
            offset, pos = _uint(head, pos, offset_size)
            length, pos = _uint(head, pos, length_size)
            extents.append((base + offset, length))
        if pos > iloc[1]:
            break
        if method == 0:
            locations[item_id] = _Location(tuple(extents), base_field, tuple(fields))
    return locations


def _uint(data: bytes, pos: int, size: int) -> tuple[int, int]:
    if pos + size > len(data):
        raise ValueError("iloc runs past the head")
    return int.from_bytes(data[pos : pos + size], "big"), pos + size


def missing(items: HeifItems, size: int, known: tuple[Range, ...]) -> tuple[Range, ...]:
    """The ranges to read for the item bytes not inside ``known`` (the head),
    for items no larger than MAX_ITEM_BYTES inside a file of ``size`` bytes. Ranges less
    than _MERGE_GAP apart are merged: the EXIF item and the thumbnail usually adjoin, and
    one read of both costs less than two."""
    wanted: list[Range] = []
    for extents in (items.exif, items.thumbnail):
        if not extents or sum(length for _, length in extents) > MAX_ITEM_BYTES:
            continue
        for start, length in extents:
            inside = any(k <= start and start + length <= k + n for k, n in known)
            if length > 0 and start + length <= size and not inside:
                wanted.append((start, length))
    merged: list[Range] = []
    for start, length in sorted(wanted):
        if merged and start <= sum(merged[-1]) + _MERGE_GAP:
            first, before = merged[-1]
            merged[-1] = (first, max(before, start + length - first))
        else:
            merged.append((start, length))
    return tuple(merged)


def read(extents: tuple[Range, ...], pieces: tuple[tuple[int, bytes], ...]) -> bytes:
    """An item's bytes from the pieces of the file read (offset, bytes); b"" if any part
    of it was not read."""
    out = bytearray()
    for start, length in extents:
        for offset, data in pieces:
            if offset <= start and start + length <= offset + len(data):
                out += data[start - offset : start - offset + length]
                break
        else:
            return b""
    return bytes(out)


def thumbnail_file(head: bytes, items: HeifItems, thumbnail: bytes) -> bytes:
    """A HEIF holding ``head``'s ftyp and meta boxes and then only the thumbnail's bytes
    (``thumbnail``, read from ``items.thumbnail``), every iloc entry rewritten: the
    thumbnail's to point at its bytes, every other item's at one byte of them (libheif
    checks that every extent lies in the file; a decoder asked for the thumbnail reads
    no other item). b"" when the iloc fields cannot say so."""
    if items.thumbnail_id not in items.locations or not thumbnail:
        return b""
    patched = bytearray(head[: items.meta_end])
    data_start = len(patched) + 8  # after the mdat box header
    for item_id, location in items.locations.items():
        if item_id == items.thumbnail_id:
            starts = [
                data_start + sum(n for _, n in location.extents[:i])
                for i in range(len(location.extents))
            ]
            target = [(s, n) for s, (_, n) in zip(starts, location.extents, strict=True)]
        else:
            target = [(data_start, 1)] * len(location.extents)
        if not _point(patched, location, target):
            return b""
    mdat = struct.pack(">I4s", 8 + len(thumbnail), b"mdat")
    return bytes(patched) + mdat + thumbnail


def _point(buffer: bytearray, location: _Location, extents: list[Range]) -> bool:
    """Rewrite one item's iloc fields in ``buffer`` to ``extents`` (absolute offsets)."""
    base_pos, base_size = location.base_field
    for ((offset_pos, offset_size), (length_pos, length_size)), (start, length) in zip(
        location.extent_fields, extents, strict=True
    ):
        if offset_size:
            ok = _put(buffer, offset_pos, offset_size, start)
        else:  # the offset lives in base_offset alone: one extent at most
            ok = len(extents) == 1 and _put(buffer, base_pos, base_size, start)
        # A length field of size 0 means "to the end of the file": in bounds too.
        if not ok or (length_size and not _put(buffer, length_pos, length_size, length)):
            return False
    if base_size and all(size for (_, size), _ in location.extent_fields):
        _put(buffer, base_pos, base_size, 0)
    return True


def _put(buffer: bytearray, pos: int, size: int, value: int) -> bool:
    if size == 0 or value >= 1 << (8 * size) or pos + size > len(buffer):
        return False
    buffer[pos : pos + size] = value.to_bytes(size, "big")
    return True
