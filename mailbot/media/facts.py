"""What a photo's or video's own metadata says, from the parts of it that were read.

``with_media_facts(facts, sample)`` dispatches on the real type libmagic found: a JPEG's
EXIF and XMP (and thumbnail) from its head, a PNG's from its head, a HEIC's EXIF and
thumbnail items from the pieces the reader fetched for them (``sample.pieces``), a
video's duration and first frames from its head, and fills the metadata fields of
``AttachmentFacts`` with them; what the bytes do not say stays empty.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from mailbot.core.model import AttachmentFacts
from mailbot.mail.parse import AttachmentSample
from mailbot.media import exif, heifitems
from mailbot.media.photohash import heif_thumbnail_hash, jpeg_thumbnail_hash
from mailbot.media.videohead import video_head

__all__ = ["parse_taken", "with_media_facts"]

_HEIF_TYPES = frozenset({"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"})
_VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/3gpp", "video/x-m4v"})


def with_media_facts(facts: AttachmentFacts, sample: AttachmentSample) -> AttachmentFacts:
    """``facts`` (of ``sample``, its real type found) with what its metadata says."""
    mime_type = facts.mime_type
    if mime_type in _VIDEO_TYPES:
        duration, frames = video_head(sample.head)
        return replace(facts, duration_ms=duration, frames=frames)
    if mime_type == "image/jpeg":
        meta = exif.jpeg_metadata(sample.head)
        phash = jpeg_thumbnail_hash(meta.thumbnail, meta.orientation) if meta else ""
        return _photo(facts, meta, phash)
    if mime_type == "image/png":
        return _photo(facts, exif.png_metadata(sample.head), "")
    if mime_type in _HEIF_TYPES:
        return _heif(facts, sample)
    return facts


def _photo(facts: AttachmentFacts, meta: exif.PhotoMeta | None, phash: str) -> AttachmentFacts:
    if meta is None:
        return facts
    return replace(
        facts,
        phash=phash,
        taken_at=parse_taken(meta.taken, meta.offset),
        camera=meta.camera,
        screenshot_mark=meta.screenshot_mark,
    )


def _heif(facts: AttachmentFacts, sample: AttachmentSample) -> AttachmentFacts:
    items = heifitems.locate(sample.head)
    if items is None:
        return facts
    read = (*sample.pieces, (0, sample.head))
    tiff = exif.tiff_of_exif_item(heifitems.read(items.exif, read)) if items.exif else b""
    thumbnail = heifitems.read(items.thumbnail, read) if items.thumbnail else b""
    phash = heif_thumbnail_hash(heifitems.thumbnail_file(sample.head, items, thumbnail))
    return _photo(facts, exif.read_tiff(tiff), phash)


def parse_taken(taken: str, offset: str = "") -> datetime | None:
    """EXIF "2026:11:20 14:03:11" (+ OffsetTimeOriginal "+01:00") as a datetime, naive
    without an offset; None for an empty, zero or malformed date."""
    try:
        moment = datetime.strptime(taken.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    sign, hours, minutes = offset[:1], offset[1:3], offset[4:6]
    if sign in ("+", "-") and hours.isdigit() and minutes.isdigit() and offset[3:4] == ":":
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta < timedelta(hours=24):
            return moment.replace(tzinfo=timezone(-delta if sign == "-" else delta))
    return moment
