"""The thumbnail hash against real JPEG and HEIC files written as phones write them:
copies of one picture at ten HD sizes, each saved again with a thumbnail of its own,
hash within the rules' distance; different pictures hash far apart."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from PIL import Image

from mailbot.core.lookalike import hash_distance
from mailbot.mail.mime import LeafPart
from mailbot.mail.parse import AttachmentSample, sample_of
from mailbot.media.exif import jpeg_metadata
from mailbot.media.photohash import dhash, jpeg_thumbnail_hash
from mailbot.media.sniff import sniff
from mailbot.rulefiles import load_rulebook
from tests.phone_media import phone_heic, phone_jpeg, scene

RULES = load_rulebook(Path(__file__).resolve().parents[2] / "rules")
assert RULES.checks.hash_distance is not None
LIMIT = RULES.checks.hash_distance
# Ten HD sizes of one 4:3 picture, and the JPEG quality each copy is saved at.
SIZES = [(1280, 960), (1440, 1080), (1600, 1200), (1920, 1440), (2048, 1536),
         (2304, 1728), (2560, 1920), (2880, 2160), (3264, 2448), (4032, 3024)]  # fmt: skip
QUALITIES = [70, 92, 75, 88, 80, 95, 72, 85, 90, 78]


def sample(data: bytes) -> AttachmentSample:
    """The sample the readers take of an attachment (head, tail, a HEIC's pieces)."""
    return sample_of(LeafPart(part="2", content_type="application/octet-stream"), data)


def phashes(files: list[bytes]) -> list[str]:
    found = [sniff(sample(data)).phash for data in files]
    assert all(found), "every file has a thumbnail to hash"
    return found


def distances(hashes: list[str]) -> list[int]:
    return [hash_distance(a, b) or 0 for a, b in itertools.combinations(hashes, 2)]


def test_ten_resized_jpeg_copies_hash_alike_and_ten_pictures_do_not() -> None:
    picture = scene(7)
    copies = [phone_jpeg(picture, s, quality=q) for s, q in zip(SIZES, QUALITIES, strict=True)]
    assert len({len(c) for c in copies}) == 10  # ten different files
    same = distances(phashes(copies))
    others = distances(phashes([phone_jpeg(scene(100 + n), (1280, 960)) for n in range(10)]))
    print(f"JPEG copies: max {max(same)} bits apart; pictures: min {min(others)} (limit {LIMIT})")
    assert max(same) <= LIMIT < min(others)


def test_ten_resized_heic_copies_hash_alike_and_ten_pictures_do_not() -> None:
    picture = scene(8)
    copies = [
        phone_heic(picture, size, quality=40 + 5 * n, thumbnail=(256, 320, 512)[n % 3])
        for n, size in enumerate(SIZES)
    ]
    same = distances(phashes(copies))
    others = distances(phashes([phone_heic(scene(100 + n), (1440, 1080)) for n in range(10)]))
    print(f"HEIC copies: max {max(same)} bits apart; pictures: min {min(others)} (limit {LIMIT})")
    assert max(same) <= LIMIT < min(others)


def test_a_jpeg_and_a_heic_of_one_picture_hash_alike() -> None:
    picture = scene(9)
    jpeg, heic = phone_jpeg(picture, (2016, 1512)), phone_heic(picture, (1600, 1200))
    [a, b] = phashes([jpeg, heic])
    assert (hash_distance(a, b) or 0) <= LIMIT


def test_a_thumbnail_is_turned_upright_before_hashing() -> None:
    picture = scene(10).resize((160, 120))
    upright = io.BytesIO()
    picture.save(upright, "JPEG", quality=90)
    turned = io.BytesIO()
    picture.transpose(Image.Transpose.ROTATE_90).save(turned, "JPEG", quality=90)
    # ROTATE_90 is counter-clockwise; EXIF orientation 6 says "turn clockwise to view".
    a = jpeg_thumbnail_hash(upright.getvalue())
    b = jpeg_thumbnail_hash(turned.getvalue(), orientation=6)
    assert (hash_distance(a, b) or 0) <= 4
    assert (hash_distance(a, jpeg_thumbnail_hash(turned.getvalue())) or 0) > LIMIT


def test_a_broken_or_huge_thumbnail_gives_no_hash() -> None:
    assert jpeg_thumbnail_hash(b"\xff\xd8\xff\xe0garbage") == ""
    huge = io.BytesIO()
    Image.new("L", (2000, 1000)).save(huge, "JPEG")
    assert jpeg_thumbnail_hash(huge.getvalue()) == ""


def test_a_photo_without_a_thumbnail_has_no_hash() -> None:
    data = phone_jpeg(scene(11), (1600, 1200), thumbnail=False)
    meta = jpeg_metadata(data)
    assert meta is not None and meta.camera and not meta.thumbnail
    assert sniff(sample(data)).phash == ""


@pytest.mark.parametrize("size", [(9, 8), (160, 120), (320, 240)])
def test_dhash_has_128_bits(size: tuple[int, int]) -> None:
    assert len(dhash(scene(12).resize(size))) == 32
