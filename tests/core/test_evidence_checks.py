"""The content checks of rules/evidence.toml [checks]: look-alike photos and videos,
photo dates against the delivery scan, screenshots told from photos, per-attachment
verdicts for the agents. Plain calls on literal facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailbot.core.decide import decide
from mailbot.core.evidence import check_evidence
from mailbot.core.evidencekind import kind_of
from mailbot.core.evidencereport import NotCounted, Verdict
from mailbot.core.model import (
    AttachmentFacts,
    Decision,
    EvidenceKind,
    InboundMessage,
    Order,
    Scenario,
    TicketState,
)
from mailbot.core.notify import with_agent_notices
from mailbot.core.rulebook import Rulebook
from mailbot.core.wording import evidence_lines
from tests.core.conftest import NOW, STATEMENT, facts, message, order, videos

DEFECT = "The board arrived dead, it does not power on."
WRONG = "I received the wrong item, a F401 board instead of the F407."
IPHONE = "Apple iPhone 13"
# 128-bit hashes: one picture and copies of it a few bits off; others far away.
BASE = 0x3C3C_F0F0_0FF0_A5A5_5A5A_C3C3_9999_6666


def _hex(bits: int) -> str:
    return f"{bits:032x}"


def photo(n: int, phash: int | None = None, **more: object) -> AttachmentFacts:
    extra: dict[str, object] = {"camera": IPHONE, **more}
    if phash is not None:
        extra["phash"] = _hex(phash)
    return facts(f"IMG_{n:02d}.jpg", "image/jpeg", n, 4032, 3024, **extra)


def run(rules: Rulebook, msg: InboundMessage, the_order: Order | None = None) -> Decision:
    return decide(None, msg, "100201", the_order or order(), rules, NOW)


def test_copies_of_one_photo_count_once_and_the_reply_names_them(rules: Rulebook) -> None:
    # Ten copies: each differs from the first in a few bits (resized, saved again).
    copies = [photo(n, BASE ^ ((1 << n) - 1 if n else 0)) for n in range(10)]
    d = run(rules, message(DEFECT, [*videos(3), *copies, STATEMENT]))
    assert d.outcome == "evidence_missing"
    assert d.evidence is not None
    [photos] = [r for r in d.evidence.requirements if r.key == "photos"]
    assert photos.counted == 1
    evidence = d.replies[0].context["evidence"]
    assert isinstance(evidence, dict)
    said = evidence["not_counted"]
    assert {"file": "IMG_01.jpg", "why": "lookalike", "detail": "IMG_00.jpg"} in said
    assert sum(n["why"] == "lookalike" and n["detail"] == "IMG_00.jpg" for n in said) == 9
    missing = [(n["key"], n["missing"], n["counted"]) for n in evidence["needs"] if n["missing"]]
    assert missing == [("photos", 9, 1)]


def test_different_photos_count_each(rules: Rulebook) -> None:
    # Hashes 40 bits apart from each other: different pictures.
    distinct = [photo(n, BASE ^ (((1 << 40) - 1) << (n * 8))) for n in range(10)]
    d = run(rules, message(DEFECT, [*videos(3), *distinct, STATEMENT]))
    assert d.outcome == "rma_issued"


def test_the_hash_distance_is_the_rules_and_the_check_can_be_switched_off(
    rules: Rulebook,
) -> None:
    close = [photo(0, BASE), photo(1, BASE ^ 0b111)]  # 3 bits apart
    attachments = [*videos(3), *close, STATEMENT]
    strict = replace(rules, checks=replace(rules.checks, hash_distance=2))
    off = replace(rules, checks=replace(rules.checks, hash_distance=None))
    for tuned, counted in ((rules, 1), (strict, 2), (off, 2)):
        report = check_evidence(Scenario.QUALITY_DEFECT, attachments, tuned, NOW)
        [photos] = [r for r in report.requirements if r.key == "photos"]
        assert photos.counted == counted


def test_a_lookalike_of_a_small_photo_still_counts_when_it_is_hd(rules: Rulebook) -> None:
    small = replace(photo(0, BASE), width=640, height=480)
    report = check_evidence(Scenario.QUALITY_DEFECT, [small, photo(1, BASE ^ 1)], rules, NOW)
    [photos] = [r for r in report.requirements if r.key == "photos"]
    assert photos.counted == 1
    assert [v.verdict for v in report.verdicts] == [Verdict.REFUSED, Verdict.COUNTED]


def test_photos_dated_before_the_delivery_scan_go_to_an_agent(rules: Rulebook) -> None:
    delivered = order(days_ago=5)
    before = delivered.delivered_at - timedelta(days=3)
    early = [photo(n, taken_at=before) for n in range(10)]
    d = run(rules, message(DEFECT, [*videos(3), *early, STATEMENT]), delivered)
    assert (d.state, d.outcome, d.issue_rma) == (TicketState.UNDER_REVIEW, "agent_review", False)
    assert d.reasons[-1].startswith("10 photo(s) taken before the delivery scan of Saturday")
    assert "(IMG_00.jpg taken " in d.reasons[-1]
    assert d.agent_notice == d.reasons[-1]
    assert d.evidence is not None
    assert all(v.before_delivery for v in d.evidence.verdicts if v.kind is EvidenceKind.PHOTO)


def test_the_same_photos_dated_after_delivery_get_the_rma(rules: Rulebook) -> None:
    delivered = order(days_ago=5)
    after = delivered.delivered_at + timedelta(hours=20)
    late = [photo(n, taken_at=after) for n in range(10)]
    d = run(rules, message(DEFECT, [*videos(3), *late, STATEMENT]), delivered)
    assert d.outcome == "rma_issued" and d.issue_rma


def test_photo_dates_without_offset_are_shop_time_and_have_a_tolerance(rules: Rulebook) -> None:
    delivered = order(days_ago=5)
    scan = delivered.delivered_at  # UTC
    tolerance = rules.checks.date_tolerance
    assert tolerance == timedelta(hours=24)
    local = scan.astimezone(rules.timezone).replace(tzinfo=None)
    wall = (scan + timedelta(hours=10) - timedelta(hours=30)).replace(tzinfo=None)
    cases = [
        (local - tolerance + timedelta(minutes=1), False),  # within the tolerance, naive
        (local - tolerance - timedelta(minutes=1), True),  # just beyond it
        # One wall-clock reading: with an offset 10 h ahead of UTC it is 30 h before
        # the scan; without one it is read in the shop's zone (UTC+1), 21 h before.
        (wall.replace(tzinfo=timezone(timedelta(hours=10))), True),
        (wall, False),
    ]
    for taken, flagged in cases:
        report = check_evidence(Scenario.QUALITY_DEFECT, [photo(0, taken_at=taken)], rules, scan)
        assert bool(report.before_delivery) is flagged, taken
    off = replace(rules, checks=replace(rules.checks, date_tolerance=None))
    early = photo(0, taken_at=scan - timedelta(days=30))
    assert not check_evidence(Scenario.QUALITY_DEFECT, [early], off, scan).before_delivery


def test_photos_without_a_date_are_fine(rules: Rulebook) -> None:
    d = run(rules, message(DEFECT, [*videos(3), *(photo(n) for n in range(10)), STATEMENT]))
    assert d.outcome == "rma_issued"


def test_screenshots_and_photos_are_told_apart_by_metadata_and_size(rules: Rulebook) -> None:
    media = rules.media

    def kind(**changes: object) -> EvidenceKind:
        base = facts("IMG.jpg", "image/jpeg", 0, 4032, 3024)
        return kind_of(replace(base, **changes), media)  # type: ignore[arg-type]

    assert kind() is EvidenceKind.PHOTO  # not a screen's size
    assert kind(width=1170, height=2532) is EvidenceKind.SCREENSHOT  # iPhone screen
    assert kind(width=2532, height=1170) is EvidenceKind.SCREENSHOT  # turned
    assert kind(width=1920, height=1080, camera=IPHONE) is EvidenceKind.PHOTO
    assert kind(screenshot_mark=True) is EvidenceKind.SCREENSHOT
    assert kind(mime_type="image/png") is EvidenceKind.SCREENSHOT
    assert kind(mime_type="image/png", camera="Google Pixel 8") is EvidenceKind.PHOTO
    assert kind(filename="Screenshot_2026.jpg") is EvidenceKind.SCREENSHOT
    # 1280x720 is left out of the screen sizes: it is the smallest HD photo.
    assert kind(width=1280, height=720) is EvidenceKind.PHOTO
    old = replace(media, read_metadata=False, screen_sizes=frozenset())
    assert kind_of(facts("a.png", "image/png", 0, 9, 9, camera=IPHONE), old) is (
        EvidenceKind.SCREENSHOT
    )


def test_wrong_item_with_a_real_screenshot_and_package_photos_is_complete(
    rules: Rulebook,
) -> None:
    screenshot = facts("IMG_5001.PNG", "image/png", 0, 1170, 2532)
    jpeg_screenshot = facts("capture.jpg", "image/jpeg", 1, 1080, 2400)
    package = [photo(n) for n in range(2)]
    for shot in (screenshot, jpeg_screenshot):
        d = run(rules, message(WRONG, [shot, *package]), order(days_ago=1))
        assert d.outcome == "options_offered", shot.filename
    d = run(rules, message(WRONG, package), order(days_ago=1))
    assert d.outcome == "evidence_missing"
    assert d.evidence is not None
    assert [r.key for r in d.evidence.requirements if not r.met] == ["screenshot"]


def _clip(n: int, frames: str, size: int, duration: int = 12_400) -> AttachmentFacts:
    clip = facts(f"clip{n}.mp4", "video/mp4", n, duration_ms=duration, frames=frames)
    return replace(clip, size=size)


def test_copies_of_one_video_count_once(rules: Rulebook) -> None:
    one = _clip(0, "f" * 16, 5_000_000)
    remuxed = _clip(1, "f" * 16, 5_000_000 + 40_000)  # 0.8 % larger, same frames
    other_angle = _clip(2, "a" * 16, 5_000_000)  # same length, other first frames
    longer = _clip(3, "f" * 16, 5_000_000, duration=12_500)
    much_larger = _clip(4, "f" * 16, 6_000_000)
    report = check_evidence(
        Scenario.QUALITY_DEFECT, [one, remuxed, other_angle, longer, much_larger], rules, NOW
    )
    assert [v.verdict for v in report.verdicts] == [
        Verdict.COUNTED,
        Verdict.DUPLICATE,
        Verdict.COUNTED,
        Verdict.COUNTED,
        Verdict.COUNTED,
    ]
    assert report.not_counted == (NotCounted("clip1.mp4", "lookalike", "clip0.mp4"),)
    unknown = _clip(5, "", 5_000_000)
    report = check_evidence(Scenario.QUALITY_DEFECT, [one, unknown], rules, NOW)
    assert "compared by its bytes only" in report.verdicts[1].line


def test_the_agent_notice_lists_every_attachment_with_its_verdict(rules: Rulebook) -> None:
    delivered = order(days_ago=5)
    before = delivered.delivered_at - timedelta(days=2)
    attachments = [
        *videos(3),
        photo(0, BASE, taken_at=before),
        photo(1, BASE ^ 1),
        *(photo(n, BASE ^ (((1 << 40) - 1) << (n * 8))) for n in range(2, 11)),
        replace(photo(11), width=640, height=480),
        facts("not-a-video.mp4", "text/plain", 12),
        facts("IMG_5001.PNG", "image/png", 13, 1170, 2532),
        photo(2, BASE ^ (((1 << 40) - 1) << 16)),  # IMG_02.jpg sent again
        STATEMENT,
    ]
    d = run(rules, message(DEFECT, attachments), delivered)
    d = with_agent_notices(d, message(DEFECT, attachments), ("agent@shop.example",), rules)
    assert d.outcome == "agent_review"
    [notice] = [r for r in d.replies if r.template == "agent/notice"]
    evidence = notice.context["evidence"]
    assert isinstance(evidence, dict)
    lines = evidence["attachments"]
    assert len(lines) == len(attachments)

    def line_of(name: str) -> str:
        return str(next(line for line in lines if line.startswith(name + " ")))

    assert "counted" in line_of("IMG_00.jpg") and "TAKEN BEFORE DELIVERY" in line_of("IMG_00.jpg")
    assert "duplicate of IMG_00.jpg (looks the same" in line_of("IMG_01.jpg")
    assert "not HD (below 1280×720)" in line_of("IMG_11.jpg")
    assert "not a video: its content is text/plain" in line_of("not-a-video.mp4")
    assert line_of("IMG_5001.PNG").startswith("IMG_5001.PNG (screenshot, 1170×2532")
    assert "duplicate of IMG_02.jpg (same file)" in lines[-2]
    assert "no thumbnail: compared by its bytes only" in line_of("IMG_11.jpg")


@pytest.mark.parametrize("hours", [0, 24])
def test_photo_taken_exactly_at_the_tolerance_is_fine(rules: Rulebook, hours: int) -> None:
    tuned = replace(rules, checks=replace(rules.checks, date_tolerance=timedelta(hours=hours)))
    scan = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    at_edge = photo(0, taken_at=scan - timedelta(hours=hours))
    assert not check_evidence(Scenario.QUALITY_DEFECT, [at_edge], tuned, scan).before_delivery


def test_a_message_of_thousands_of_attachments_lists_the_first_200(rules: Rulebook) -> None:
    many = [photo(n, BASE ^ n) for n in range(2500)]  # all within 12 bits of the first
    report = check_evidence(Scenario.QUALITY_DEFECT, many, rules, NOW)
    lookalikes = [n for n in report.not_counted if n.why == "lookalike"]
    assert len(report.verdicts) == 2500 and len(lookalikes) == 2499
    lines = evidence_lines(report)["attachments"]
    assert len(lines) == 201 and lines[-1] == "… and 2300 more attachments"
