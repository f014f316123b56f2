"""Whether an attachment shows the same as one counted before, though its bytes differ:
a photo resized or saved again (its thumbnail's perceptual hash within the rules'
distance), a video of the same duration and first frames and about the same size."""

from __future__ import annotations

from mailbot.core.evidencekind import IMAGES
from mailbot.core.model import AttachmentFacts, EvidenceKind
from mailbot.core.rulebook import EvidenceChecks


def hash_distance(first: str, second: str) -> int | None:
    """Bits that differ between two perceptual hashes (hex), None if not comparable."""
    if not first or len(first) != len(second):
        return None
    try:
        return (int(first, 16) ^ int(second, 16)).bit_count()
    except ValueError:
        return None


def lookalike(
    facts: AttachmentFacts,
    kind: EvidenceKind,
    counted: list[AttachmentFacts],
    checks: EvidenceChecks,
) -> AttachmentFacts | None:
    """The counted attachment this one looks the same as, if the checks find one."""
    if kind in IMAGES and facts.phash and checks.hash_distance is not None:
        for earlier in counted:
            distance = hash_distance(facts.phash, earlier.phash)
            if distance is not None and distance <= checks.hash_distance:
                return earlier
    if kind is EvidenceKind.VIDEO and facts.frames:
        return next((e for e in counted if _same_video(facts, e, checks)), None)
    return None


def _same_video(first: AttachmentFacts, second: AttachmentFacts, checks: EvidenceChecks) -> bool:
    if checks.video_size_percent is None or not first.frames or first.duration_ms is None:
        return False
    if (first.frames, first.duration_ms) != (second.frames, second.duration_ms):
        return False
    larger = max(first.size, second.size, 1)
    return abs(first.size - second.size) * 100 <= checks.video_size_percent * larger
