"""sniff() on real media files (tests/data) and on garbage."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.parse import HEAD_BYTES, TAIL_BYTES, AttachmentSample
from mailbot.sniff import image_size, sniff

DATA = Path(__file__).resolve().parents[1] / "data"


def sample(
    data: bytes, filename: str = "file", declared: str = "application/octet-stream"
) -> AttachmentSample:
    """The AttachmentSample the parser would make of a whole file."""
    return AttachmentSample(
        part="2",
        filename=filename,
        declared_type=declared,
        size=len(data),
        head=data[:HEAD_BYTES],
        tail=data[-TAIL_BYTES:],
    )


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "mime", "size"),
    [
        ("photo_1280x720.jpg", "image/jpeg", (1280, 720)),
        ("photo_640x480.jpg", "image/jpeg", (640, 480)),
        ("screenshot_300x200.png", "image/png", (300, 200)),
        ("photo_320x240.heic", "image/heic", (320, 240)),
    ],
)
def test_images_type_and_dimensions(name: str, mime: str, size: tuple[int, int]) -> None:
    facts = sniff(sample(read(name), filename=name))
    assert facts.mime_type == mime
    assert (facts.width, facts.height) == size
    assert facts.filename == name
    assert facts.size == len(read(name))


@pytest.mark.parametrize(
    ("name", "mime"),
    [("clip.mp4", "video/mp4"), ("clip.mov", "video/quicktime"), ("clip.webm", "video/webm")],
)
def test_videos_identified_from_head(name: str, mime: str) -> None:
    # Pad so the head really is HEAD_BYTES long, as for a real phone video.
    data = read(name) + bytes(HEAD_BYTES)
    facts = sniff(sample(data))
    assert facts.mime_type == mime
    assert facts.mime_type.startswith("video/")
    assert facts.width is None


def test_documents() -> None:
    assert sniff(sample(read("invoice.pdf"))).mime_type == "application/pdf"
    docx = sniff(sample(read("letter.docx")))
    assert (
        docx.mime_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


def test_text_named_mp4_is_text() -> None:
    facts = sniff(sample(read("not_a_video.mp4"), filename="video.mp4", declared="video/mp4"))
    assert facts.mime_type == "text/plain"
    assert facts.declared_type == "video/mp4"
    assert facts.description.startswith("ASCII text")


def test_jpeg_size_found_after_large_exif_block() -> None:
    jpeg = read("photo_640x480.jpg")
    app1 = b"\xff\xe1" + struct.pack(">H", 60002) + b"Exif\x00\x00" + bytes(59994)
    big = jpeg[:2] + app1 + jpeg[2:]
    assert image_size(big[:HEAD_BYTES]) == (640, 480)
    assert image_size(big[:4096]) is None  # a 4 KiB head would not have been enough


def ispe(width: int, height: int) -> bytes:
    return struct.pack(">I4sIII", 20, b"ispe", 0, width, height)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def test_heic_largest_ispe_wins() -> None:
    ipco = box(b"ipco", ispe(320, 240) + ispe(4032, 3024) + ispe(160, 120))
    meta = box(b"meta", b"\x00\x00\x00\x00" + box(b"hdlr", bytes(24)) + box(b"iprp", ipco))
    heic = box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic") + meta
    assert image_size(heic) == (4032, 3024)


def test_gif_and_webp_dimensions() -> None:
    assert image_size(b"GIF89a" + struct.pack("<HH", 17, 9) + bytes(10)) == (17, 9)
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X" + bytes(8) + (999).to_bytes(3, "little")
    assert image_size(vp8x + (499).to_bytes(3, "little")) == (1000, 500)
    bits = (99) | (49 << 14)
    vp8l = b"RIFF\x00\x00\x00\x00WEBPVP8L" + bytes(4) + b"\x2f" + struct.pack("<I", bits)
    assert image_size(vp8l) == (100, 50)
    vp8 = b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(7) + b"\x9d\x01\x2a" + struct.pack("<HH", 64, 48)
    assert image_size(vp8) == (64, 48)


def test_fingerprint_same_bytes_same_print() -> None:
    data = read("photo_1280x720.jpg")
    first = sniff(sample(data, filename="a.jpg"))
    again = sniff(sample(data, filename="renamed.jpeg", declared="image/png"))
    assert first.fingerprint == again.fingerprint
    assert len(first.fingerprint) == 64


def test_fingerprint_differs_for_different_content() -> None:
    data = read("photo_1280x720.jpg")
    changed_tail = data[:-1] + bytes([data[-1] ^ 1])
    prints = {
        sniff(sample(data)).fingerprint,
        sniff(sample(changed_tail)).fingerprint,
        sniff(sample(read("photo_640x480.jpg"))).fingerprint,
    }
    assert len(prints) == 3


def test_truncated_and_empty_inputs() -> None:
    jpeg = read("photo_640x480.jpg")
    for data in (b"", jpeg[:3], jpeg[:20], b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBPVP8L"):
        facts = sniff(sample(data))
        assert facts.width is None and facts.height is None
    assert sniff(sample(b"")).mime_type == "application/x-empty"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([b"", b"\xff\xd8", b"\x00\x00\x00\x18ftypheic"]))
def test_garbage_never_raises(data: bytes, prefix: bytes) -> None:
    facts = sniff(sample(prefix + data))
    assert facts.mime_type
