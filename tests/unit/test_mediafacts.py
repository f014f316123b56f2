"""What photos' and videos' own metadata says, read from the sampled bytes of real files
(JPEG and HEIC written as phones write them, PNG screenshots, MP4/MOV) and never an
error on broken ones."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mailbot.mail.mime import LeafPart
from mailbot.mail.parse import HEAD_BYTES, TAIL_BYTES, AttachmentSample, pieces_wanted, sample_of
from mailbot.media import heifitems
from mailbot.media.exif import png_metadata
from mailbot.media.facts import media_facts, parse_taken
from mailbot.media.sniff import sniff
from mailbot.media.videohead import FRAME_BYTES, video_head
from tests.phone_media import phone_heic, phone_jpeg, scene, screenshot_png

REPO = Path(__file__).resolve().parents[2]
TAKEN = datetime(2026, 11, 20, 14, 3, 11)
MINUS_0530 = timezone(-timedelta(hours=5, minutes=30))


def sample(data: bytes) -> AttachmentSample:
    return sample_of(LeafPart(part="2", content_type="application/octet-stream"), data)


def test_a_phone_jpeg_says_camera_date_and_offset() -> None:
    data = phone_jpeg(scene(1), (2016, 1512), taken_at=TAKEN, offset="+09:00")
    facts = sniff(sample(data))
    assert facts.camera == "Apple iPhone 13" and facts.phash
    assert facts.taken_at == TAKEN.replace(tzinfo=timezone(timedelta(hours=9)))
    assert not facts.screenshot_mark and (facts.width, facts.height) == (2016, 1512)


def test_a_date_without_offset_stays_naive_and_no_date_is_none() -> None:
    assert sniff(sample(phone_jpeg(scene(1), taken_at=TAKEN))).taken_at == TAKEN
    assert sniff(sample(phone_jpeg(scene(1)))).taken_at is None


@pytest.mark.parametrize(
    ("taken", "offset", "expected"),
    [
        ("2026:11:20 14:03:11", "", datetime(2026, 11, 20, 14, 3, 11)),
        ("2026:11:20 14:03:11", "-05:30", datetime(2026, 11, 20, 14, 3, 11, tzinfo=MINUS_0530)),
        ("2026:11:20 14:03:11", "bogus", datetime(2026, 11, 20, 14, 3, 11)),
        ("0000:00:00 00:00:00", "", None),
        ("    :  :     :  :  ", "", None),
        ("", "+01:00", None),
        ("2026:13:45 99:00:00", "", None),
    ],
)
def test_parse_taken(taken: str, offset: str, expected: datetime | None) -> None:
    assert parse_taken(taken, offset) == expected


@settings(max_examples=300, deadline=None)
@given(st.tuples(*(st.integers(0, 99) for _ in range(5)), st.integers(0, 9999)))
def test_parse_taken_reads_exif_moments_as_strptime_does(fields: tuple[int, ...]) -> None:
    month, day, hour, minute, second, year = fields
    taken = f"{year:04d}:{month:02d}:{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    try:
        expected: datetime | None = datetime.strptime(taken, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        expected = None
    assert parse_taken(taken) == expected


def test_an_editor_jpeg_without_camera_fields_has_no_camera() -> None:
    facts = sniff(sample(phone_jpeg(scene(2), (1080, 2400), camera=False)))
    assert facts.camera == "" and facts.phash  # its thumbnail still counts for look-alikes


def test_a_phone_screenshot_png_has_no_metadata() -> None:
    facts = sniff(sample(screenshot_png()))
    assert (facts.mime_type, facts.width, facts.height) == ("image/png", 1170, 2532)
    assert (facts.camera, facts.phash, facts.taken_at) == ("", "", None)


def _png_with(chunk: bytes, payload: bytes) -> bytes:
    """A screenshot PNG with one more chunk before its image data."""
    png = screenshot_png((1280, 800))
    body = chunk + payload
    extra = struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))
    return png[:33] + extra + png[33:]  # after the signature and IHDR


def test_png_metadata_camera_exif_and_the_ios_screenshot_mark() -> None:
    camera = Image.Exif()
    camera[0x010F], camera[0x0110] = "Google", "Pixel 8"
    tiff = camera.tobytes()[6:]  # without "Exif\0\0"
    facts = sniff(sample(_png_with(b"eXIf", tiff)))
    assert facts.camera == "Google Pixel 8"
    xmp = (
        b'XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>'
        b'<rdf:Description><exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">'
        b"Screenshot</rdf:li></rdf:Alt></exif:UserComment></rdf:Description></rdf:RDF>"
        b"</x:xmpmeta>"
    )
    marked = png_metadata(_png_with(b"iTXt", xmp))
    assert marked is not None and marked.screenshot_mark and not marked.camera


def test_a_heic_s_exif_and_thumbnail_are_read_as_pieces_and_hashed() -> None:
    data = phone_heic(scene(3), (2016, 1512), taken_at=TAKEN, offset="+01:00")
    items = heifitems.locate(data[:HEAD_BYTES])
    assert items is not None and items.exif and items.thumbnail
    wanted = pieces_wanted(data[:HEAD_BYTES], len(data))
    # libheif writes both items after the image, at the end, more than the tail holds:
    # one range reads them (they adjoin), a few KiB, not the whole file.
    [(offset, length)] = wanted
    assert offset > HEAD_BYTES and length > TAIL_BYTES
    assert length < 24 * 1024 and len(data) > 10 * length
    facts = sniff(sample(data))
    assert facts.camera == "Apple iPhone 13" and facts.phash
    assert facts.taken_at == TAKEN.replace(tzinfo=timezone(timedelta(hours=1)))
    # Without the pieces: the EXIF and the thumbnail are out of reach, nothing is made up.
    blind = sniff(replace(sample(data), pieces=()))
    assert (blind.phash, blind.camera, blind.taken_at) == ("", "", None)


def test_a_heic_without_a_thumbnail_falls_back_to_its_bytes() -> None:
    facts = sniff(sample((REPO / "examples/media/photo-phone.heic").read_bytes()))
    assert facts.mime_type == "image/heic" and facts.phash == ""
    data = phone_heic(scene(4), (1280, 960), thumbnail=None, taken_at=TAKEN)
    facts = sniff(sample(data))
    assert facts.phash == "" and facts.taken_at == TAKEN


def test_video_duration_and_first_frames() -> None:
    for name in ("video-01.mp4", "video-02.mp4", "video-phone.mov"):
        data = (REPO / "examples/media" / name).read_bytes()
        facts = sniff(sample(data))
        assert facts.duration_ms == 1000 and len(facts.frames) == 32, name
    clip = (REPO / "tests/data/clip.mp4").read_bytes()  # moov at the end: not in the head
    assert video_head(clip[:HEAD_BYTES][: len(clip) - 900]) == (None, "")


def _mp4(media: bytes, moov_padding: int = 0) -> bytes:
    """A minimal fast-start MP4: ftyp, moov (mvhd: 12.4 s), mdat."""
    mvhd = struct.pack(">I4sB3xIIII", 108, b"mvhd", 0, 0, 0, 1000, 12_400) + bytes(80)
    free = struct.pack(">I4s", 8 + moov_padding, b"free") + bytes(moov_padding)
    moov = struct.pack(">I4s", 8 + len(mvhd) + len(free), b"moov") + mvhd + free
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 512, b"isom")
    return ftyp + moov + struct.pack(">I4s", 8 + len(media), b"mdat") + media


def test_a_remuxed_copy_keeps_duration_and_frames_a_long_index_hides_them() -> None:
    media = bytes(range(256)) * 64  # 16 KiB of "frames"
    original, remuxed = _mp4(media), _mp4(media, moov_padding=900)
    assert video_head(original[:HEAD_BYTES]) == video_head(remuxed[:HEAD_BYTES])
    assert video_head(original[:HEAD_BYTES])[0] == 12_400
    other = _mp4(bytes(FRAME_BYTES) + media)
    assert video_head(other[:HEAD_BYTES])[1] != video_head(original[:HEAD_BYTES])[1]
    long_index = _mp4(media, moov_padding=HEAD_BYTES)
    assert video_head(long_index[:HEAD_BYTES]) == (12_400, "")


PHONE_JPEG = phone_jpeg(scene(5), (1600, 1200), taken_at=TAKEN, offset="+01:00")
PHONE_HEIC = phone_heic(scene(5), (1280, 960), taken_at=TAKEN)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([PHONE_JPEG, PHONE_HEIC, _mp4(bytes(20_000))]),
    st.integers(min_value=0, max_value=4000),
    st.binary(min_size=1, max_size=64),
    st.integers(min_value=0, max_value=40_000),
)
def test_damaged_metadata_never_raises(base: bytes, at: int, junk: bytes, cut: int) -> None:
    data = (base[:at] + junk + base[at + len(junk) :])[: max(64, len(base) - cut)]
    for mime in ("image/jpeg", "image/heic", "video/mp4", "image/png"):
        media_facts(mime, sample(data))
    assert sniff(sample(data)).fingerprint
