"""sniff() on real media files (tests/data) and on garbage."""

from __future__ import annotations

import base64
import struct
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mailbot.media.sniff
from mailbot.mail.parse import (
    FIRST_HEAD_BYTES,
    HEAD_BYTES,
    LONG_HEAD_BYTES,
    TAIL_BYTES,
    AttachmentSample,
    head_of,
    parse_message,
)
from mailbot.media.imagehead import image_size, more_head_needed
from mailbot.media.sniff import fingerprint, sniff
from tests.unit.media import PHOTO_HD_SIZE, jpeg_with_long_exif

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
        head=head_of(data),
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
    assert facts.description.startswith("ASCII text")  # told where it surprises


def test_a_type_as_declared_needs_no_description() -> None:
    jpeg = read("photo_640x480.jpg")
    assert sniff(sample(jpeg, filename="p.jpg", declared="image/jpeg")).description == ""
    named = sniff(sample(jpeg, filename="p.dat", declared="Application/Octet-Stream"))
    assert named.mime_type == "image/jpeg" and named.description.startswith("JPEG image data")


def test_jpeg_size_found_after_large_exif_block() -> None:
    jpeg = read("photo_640x480.jpg")
    app1 = b"\xff\xe1" + struct.pack(">H", 60002) + b"Exif\x00\x00" + bytes(59994)
    big = jpeg[:2] + app1 + jpeg[2:]
    assert image_size(big[:HEAD_BYTES]) is None  # a 16 KiB head is not enough...
    assert more_head_needed(big[:HEAD_BYTES], LONG_HEAD_BYTES) == LONG_HEAD_BYTES
    assert image_size(big[:LONG_HEAD_BYTES]) == (640, 480)  # ...the long head is
    assert head_of(big) == big[:LONG_HEAD_BYTES]
    assert image_size(big[:4096]) is None


def jpeg_message(data: bytes) -> bytes:
    """A message carrying ``data`` as a base64 JPEG attachment."""
    encoded = base64.encodebytes(data).decode("ascii")
    text = (
        "From: kim@example.com\nSubject: photo\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="B"\n\n--B\n'
        "Content-Type: text/plain\n\nsee photo\n--B\n"
        'Content-Type: image/jpeg\nContent-Disposition: attachment; filename="p.jpg"\n'
        f"Content-Transfer-Encoding: base64\n\n{encoded}\n--B--\n"
    )
    return text.replace("\n", "\r\n").encode("ascii")


def test_jpeg_with_sof_beyond_the_head_gets_its_size_through_parse_message() -> None:
    big = jpeg_with_long_exif()  # ~40 KiB of EXIF: the SOF sits near 41 KiB
    sof = big.index(b"\xff\xc0")
    assert HEAD_BYTES < sof < LONG_HEAD_BYTES
    [attachment] = parse_message(jpeg_message(big)).attachments
    needed = more_head_needed(big[:HEAD_BYTES], LONG_HEAD_BYTES)
    assert needed is not None and sof + 10 <= needed <= LONG_HEAD_BYTES
    assert attachment.head == big[:needed]
    assert attachment.size == len(big) and attachment.tail == big[-TAIL_BYTES:]
    facts = sniff(attachment)
    assert (facts.width, facts.height) == PHOTO_HD_SIZE
    assert facts.mime_type == "image/jpeg"
    # The fingerprint does not depend on the longer head: it is that of the 16 KiB one.
    short = sniff(replace(attachment, head=big[:HEAD_BYTES]))
    assert short.width is None
    assert facts.fingerprint == short.fingerprint
    assert facts.fingerprint == fingerprint(len(big), big[:HEAD_BYTES], big[-TAIL_BYTES:])
    assert (facts.mime_type, facts.description) == (short.mime_type, short.description)


def test_libmagic_sees_only_the_first_head_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = mailbot.media.sniff._libmagic

    def recording(head: bytes, declared_type: str) -> tuple[str, str]:
        seen.append(len(head))
        return real(head, declared_type)

    monkeypatch.setattr(mailbot.media.sniff, "_libmagic", recording)
    big = jpeg_with_long_exif()
    assert len(sample(big).head) > HEAD_BYTES
    sniff(sample(big))
    assert seen == [HEAD_BYTES]


def test_fingerprint_hashes_only_the_first_head_bytes() -> None:
    head = bytes(range(256)) * 256  # 64 KiB
    first = head[:FIRST_HEAD_BYTES]
    assert fingerprint(10**6, head, b"tail") == fingerprint(10**6, first, b"tail")
    changed = head[: FIRST_HEAD_BYTES - 1] + b"\x00"  # its last byte differs (was 0xff)
    assert fingerprint(10**6, head, b"tail") != fingerprint(10**6, changed, b"tail")


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
