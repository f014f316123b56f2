"""What the attachments prove: sniffed facts + rules -> what is met, what is missing.

Each attachment is judged by its real content type. It counts once per distinct
content and toward one requirement only, the first that accepts it. Distinct means: not
the same bytes as an earlier attachment (fingerprint), and, with the rules' checks on,
not a photo whose thumbnail looks like an earlier counted photo's (perceptual hash) nor
a video of the same duration, first frames and about the same size as an earlier
counted video. A counted photo taken before the delivery scan is flagged for an agent.
Every attachment gets a verdict line, so an agent sees in one read what counted and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from mailbot.core.evidencekind import IMAGES, is_hd, judge
from mailbot.core.evidencereport import (
    AttachmentVerdict,
    EvidenceReport,
    NotCounted,
    Requirement,
    Verdict,
)
from mailbot.core.lookalike import lookalike
from mailbot.core.model import AttachmentFacts, EvidenceKind, Scenario
from mailbot.core.rulebook import EvidenceRule, MediaRules, Rulebook
from mailbot.core.wording import format_day


@dataclass
class _Tally:
    rule: EvidenceRule
    counted: int = 0
    refused: list[str] | None = None

    def refuse(self, why: str) -> None:
        self.refused = [*(self.refused or []), why]


def taken_at(facts: AttachmentFacts, rules: Rulebook) -> datetime | None:
    """When the photo was taken, read in the shop's time zone if it gives no offset."""
    taken = facts.taken_at
    if taken is None or taken.tzinfo is not None:
        return taken
    return taken.replace(tzinfo=rules.timezone)


@dataclass
class _Judging:
    """One pass over a ticket's attachments, oldest first."""

    rules: Rulebook
    delivered_at: datetime | None
    tallies: list[_Tally]
    first_of: dict[str, str] = field(default_factory=dict)  # fingerprint -> file name
    counted: list[AttachmentFacts] = field(default_factory=list)
    verdicts: list[AttachmentVerdict] = field(default_factory=list)
    before_delivery: list[str] = field(default_factory=list)
    not_counted: list[NotCounted] = field(default_factory=list)
    duplicates: int = 0

    def judge(self, facts: AttachmentFacts) -> None:
        media = self.rules.media
        kind, verdict, fact = judge(facts, media)
        about = f"{facts.filename} ({self._describe(facts, kind)})"
        first = self.first_of.get(facts.fingerprint)
        if first is not None:
            self.duplicates += 1
            self._verdict(
                facts, kind, Verdict.DUPLICATE, f"{about}: duplicate of {first} (same file)"
            )
            return
        self.first_of[facts.fingerprint] = facts.filename
        if fact is not None:
            self.not_counted.append(fact)
            self._verdict(facts, kind, Verdict.IGNORED, f"{about}: {verdict}")
            return
        twin = lookalike(facts, kind, self.counted, self.rules.checks)
        if twin is not None:
            how = "resized or saved again" if kind in IMAGES else "same duration and first frames"
            self.not_counted.append(NotCounted(facts.filename, "lookalike", twin.filename))
            line = f"{about}: duplicate of {twin.filename} (looks the same: {how})"
            self._verdict(facts, kind, Verdict.DUPLICATE, line)
            return
        tally, refusal = _count(facts, kind, self.tallies, media)
        if tally is None:
            if refusal is None:
                self.not_counted.append(NotCounted(facts.filename, "not_needed", kind.value))
                self._verdict(facts, kind, Verdict.IGNORED, f"{about}: not needed for this request")
            else:
                hd = f"{media.hd_min_width}×{media.hd_min_height}"
                self._verdict(facts, kind, Verdict.REFUSED, f"{about}: not HD (below {hd})")
                size = f"{facts.width}×{facts.height}" if facts.width else ""
                self.not_counted.append(NotCounted(facts.filename, "not_hd", size))
            return
        self.counted.append(facts)
        line = f"{about}: counted ({tally.rule.label})"
        early = kind is EvidenceKind.PHOTO and self._before_delivery(facts)
        if early:
            taken = taken_at(facts, self.rules)
            assert taken is not None and self.delivered_at is not None
            when = format_day(taken, self.rules, with_time=True)
            scan = format_day(self.delivered_at, self.rules, with_time=True)
            self.before_delivery.append(f"{facts.filename} taken {when}")
            line += f"; TAKEN BEFORE DELIVERY (delivery scan {scan})"
        self._verdict(facts, kind, Verdict.COUNTED, line, early)

    def _before_delivery(self, facts: AttachmentFacts) -> bool:
        tolerance = self.rules.checks.date_tolerance
        taken = taken_at(facts, self.rules)
        if tolerance is None or taken is None or self.delivered_at is None:
            return False
        return taken < self.delivered_at - tolerance

    def _describe(self, facts: AttachmentFacts, kind: EvidenceKind) -> str:
        """What the attachment is, in a few words: kind, size, camera, date, duration."""
        words = [kind.value if kind is not EvidenceKind.OTHER else facts.mime_type or "unknown"]
        if facts.width and facts.height:
            words.append(f"{facts.width}×{facts.height}")
        if facts.duration_ms is not None:
            words.append(f"{facts.duration_ms / 1000:.1f} s")
        if facts.camera and kind in IMAGES:
            words.append(facts.camera)
        taken = taken_at(facts, self.rules)
        if taken is not None and kind in IMAGES:
            words.append(f"taken {format_day(taken, self.rules, with_time=True)}")
        checks = self.rules.checks
        if kind in IMAGES and checks.hash_distance is not None and not facts.phash:
            words.append("no thumbnail: compared by its bytes only")
        if (
            kind is EvidenceKind.VIDEO
            and checks.video_size_percent is not None
            and not facts.frames
        ):
            words.append("index not at the start: compared by its bytes only")
        return ", ".join(words)

    def _verdict(
        self,
        facts: AttachmentFacts,
        kind: EvidenceKind,
        verdict: Verdict,
        line: str,
        early: bool = False,
    ) -> None:
        self.verdicts.append(AttachmentVerdict(facts.filename, kind, verdict, line, early))


def check_evidence(
    scenario: Scenario,
    attachments: Iterable[AttachmentFacts],
    rules: Rulebook,
    delivered_at: datetime | None = None,
) -> EvidenceReport:
    """Match attachments (oldest first) to the scenario's requirements."""
    judging = _Judging(rules, delivered_at, [_Tally(rule) for rule in rules.evidence[scenario]])
    for facts in attachments:
        judging.judge(facts)
    return EvidenceReport(
        scenario=scenario,
        requirements=tuple(
            Requirement(
                t.rule.key,
                t.rule.label,
                t.rule.count,
                t.counted,
                tuple(t.refused or ()),
                t.rule.reply,
            )
            for t in judging.tallies
        ),
        duplicates=judging.duplicates,
        verdicts=tuple(judging.verdicts),
        before_delivery=tuple(judging.before_delivery),
        not_counted=tuple(judging.not_counted),
    )


def _count(
    facts: AttachmentFacts, kind: EvidenceKind, tallies: list[_Tally], media: MediaRules
) -> tuple[_Tally | None, str | None]:
    """Count one distinct attachment toward the first requirement that accepts it: the
    tally it counted for, or None and why it was refused (None: no requirement wants it)."""
    accepting = [t for t in tallies if kind in t.rule.kinds]
    for tally in accepting:
        if tally.rule.hd_only and not is_hd(facts, media):
            continue
        if tally.counted < tally.rule.count or tally is accepting[-1]:
            tally.counted += 1
            return tally, None
    if not accepting:
        return None, None
    size = f"{facts.width}×{facts.height}" if facts.width else "unknown size"
    why = f"{facts.filename} ({size}) is below {media.hd_min_width}×{media.hd_min_height}"
    next(t for t in accepting if t.rule.hd_only).refuse(why)
    return None, why
