"""headplan.head_needed: a head read only as far as it says gives the same facts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mailbot.mail.mime import LeafPart
from mailbot.mail.parse import FIRST_HEAD_BYTES, HEAD_BYTES, AttachmentSample, sample_of
from mailbot.media.headplan import head_needed
from mailbot.media.sniff import sniff
from mailbot.testing import guess_type
from tests.unit.media import jpeg_with_long_exif

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(
    p
    for folder in ("examples/media", "tests/data")
    for p in (REPO / folder).iterdir()
    if p.is_file()
)


def whole(data: bytes, name: str, declared: str) -> AttachmentSample:
    return sample_of(LeafPart(part="2", content_type=declared, params=(("name", name),)), data)


def planned(data: bytes, name: str, declared: str) -> tuple[AttachmentSample, int]:
    """The sample with the head the IMAP reader ends with, and how many reads it took."""
    full = whole(data, name, declared)
    head, reads = data[:FIRST_HEAD_BYTES], 1
    while (needed := min(head_needed(head, len(data), declared), len(data))) > len(head):
        head, reads = data[:needed], reads + 1
    return replace(full, head=head), reads


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("declared", ["as named", "application/octet-stream"])
def test_the_planned_head_gives_the_facts_of_the_full_head(path: Path, declared: str) -> None:
    data = path.read_bytes()
    kind = guess_type(path.name) if declared == "as named" else declared
    short, _ = planned(data, path.name, kind)
    assert sniff(short) == sniff(whole(data, path.name, kind))


def test_photos_and_fast_start_videos_need_little() -> None:
    photo = (REPO / "examples/media/photo-hd-01.jpg").read_bytes()
    short, reads = planned(photo, "a.jpg", "image/jpeg")
    assert reads == 1 and len(short.head) == FIRST_HEAD_BYTES
    video = (REPO / "examples/media/video-01.mp4").read_bytes() * 8  # longer than its head
    short, reads = planned(video, "v.mp4", "video/mp4")
    assert reads == 2 and FIRST_HEAD_BYTES < len(short.head) < 6 * 1024


def test_a_surprise_or_a_long_exif_block_gets_the_full_head() -> None:
    photo = (REPO / "examples/media/photo-hd-01.jpg").read_bytes() * 4
    assert head_needed(photo[:FIRST_HEAD_BYTES], len(photo), "video/mp4") == HEAD_BYTES
    exif = jpeg_with_long_exif()
    assert head_needed(exif[:FIRST_HEAD_BYTES], len(exif), "image/jpeg") == HEAD_BYTES
    short, reads = planned(exif, "e.jpg", "image/jpeg")
    assert reads == 3 and len(short.head) > HEAD_BYTES
