"""What a photo's or video's own metadata says, from the parts of it that were read.

``media_facts(mime_type, sample)`` dispatches on the real type libmagic found: a JPEG's
EXIF and XMP (and thumbnail) from its head, a PNG's from its head, a HEIC's EXIF and
thumbnail items from the pieces the reader fetched for them (``sample.pieces``), a
video's duration and first frames from its head; they fill the metadata fields of
``AttachmentFacts``, and what the bytes do not say stays empty.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from mailbot.mail.parse import AttachmentSample
from mailbot.media import exif, heifitems
from mailbot.media.photohash import heif_thumbnail_hash, jpeg_thumbnail_hash
from mailbot.media.videohead import video_head

__all__ = ["MediaFacts", "media_facts", "parse_taken"]

_HEIF_TYPES = frozenset({"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"})
_VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/3gpp", "video/x-m4v"})
# EXIF's own way of writing a moment, as cameras write it: read without strptime, which
# takes ~50 us a photo; any other form goes through strptime as before.
_EXIF_MOMENT = re.compile(r"([0-9]{4}):([0-9]{2}):([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")


class MediaFacts(NamedTuple):
    """The metadata fields of AttachmentFacts (the same names and empty values)."""

    phash: str = ""
    taken_at: datetime | None = None
    camera: str = ""
    screenshot_mark: bool = False
    duration_ms: int | None = None
    frames: str = ""


_NOTHING = MediaFacts()


def media_facts(mime_type: str, sample: AttachmentSample) -> MediaFacts:
    """What the metadata of `sample`, of the real type `mime_type`, says."""
    if mime_type in _VIDEO_TYPES:
        duration, frames = video_head(sample.head)
        return MediaFacts(duration_ms=duration, frames=frames)
    if mime_type == "image/jpeg":
        meta = exif.jpeg_metadata(sample.head)
        phash = jpeg_thumbnail_hash(meta.thumbnail, meta.orientation) if meta else ""
        return _photo(meta, phash)
    if mime_type == "image/png":
        return _photo(exif.png_metadata(sample.head), "")
    if mime_type in _HEIF_TYPES:
        return _heif(sample)
    return _NOTHING


def _photo(meta: exif.PhotoMeta | None, phash: str) -> MediaFacts:
    if meta is None:
        return _NOTHING
    return MediaFacts(
        phash=phash,
        taken_at=parse_taken(meta.taken, meta.offset),
        camera=meta.camera,
        screenshot_mark=meta.screenshot_mark,
    )


def _heif(sample: AttachmentSample) -> MediaFacts:
    items = heifitems.locate(sample.head)
    if items is None:
        return _NOTHING
    read = (*sample.pieces, (0, sample.head))
    tiff = exif.tiff_of_exif_item(heifitems.read(items.exif, read)) if items.exif else b""
    thumbnail = heifitems.read(items.thumbnail, read) if items.thumbnail else b""
    phash = heif_thumbnail_hash(heifitems.thumbnail_file(sample.head, items, thumbnail))
    return _photo(exif.read_tiff(tiff), phash)


def parse_taken(taken: str, offset: str = "") -> datetime | None:
    """EXIF "2026:11:20 14:03:11" (+ OffsetTimeOriginal "+01:00") as a datetime, naive
    without an offset; None for an empty, zero or malformed date."""
    text = taken.strip()[:19]
    if not text:
        return None  # most photos say nothing: no strptime for that (~50 us)
    try:
        if found := _EXIF_MOMENT.fullmatch(text):
            year, month, day, hour, minute, second = map(int, found.groups())
            # ValueError for the values strptime refuses (month 13, second 60, year 0).
            moment = datetime(year, month, day, hour, minute, second)
        else:
            moment = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    sign, hours, minutes = offset[:1], offset[1:3], offset[4:6]
    if sign in ("+", "-") and hours.isdigit() and minutes.isdigit() and offset[3:4] == ":":
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta < timedelta(hours=24):
            return moment.replace(tzinfo=timezone(-delta if sign == "-" else delta))
    return moment
