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

from mailbot.core.evidencereport import (
    AttachmentVerdict,
    EvidenceReport,
    NotCounted,
    Requirement,
    Verdict,
)
from mailbot.core.model import (
    AttachmentFacts,
    EvidenceKind,
    Scenario,
)
from mailbot.core.rulebook import EvidenceChecks, EvidenceRule, MediaRules, Rulebook
from mailbot.core.wording import format_day

# File name endings and the kind of content they promise. A file whose content is of
# another family (a text file named .mp4) is a lie and counts for nothing.
_PROMISED = {
    EvidenceKind.VIDEO: ("mp4", "m4v", "mov", "qt", "webm", "avi", "3gp", "mkv", "mpg", "mpeg"),
    EvidenceKind.PHOTO: ("jpg", "jpeg", "heic", "heif", "png", "webp", "tif", "tiff", "gif"),
    EvidenceKind.DOCUMENT: ("pdf", "docx", "odt", "txt", "doc", "rtf"),
}
_IMAGES = (EvidenceKind.PHOTO, EvidenceKind.SCREENSHOT)


def kind_of(facts: AttachmentFacts, media: MediaRules) -> EvidenceKind:
    """The evidence kind of an attachment's real content.

    With ``media.read_metadata``, camera EXIF makes an image a photo whatever its type,
    size or name, and a screenshot mark in its metadata or a screen's exact size makes
    one without camera EXIF a screenshot.
    """
    if facts.mime_type in media.video_types:
        return EvidenceKind.VIDEO
    if facts.mime_type in media.photo_types or facts.mime_type in media.screenshot_types:
        if media.read_metadata and facts.camera:
            return EvidenceKind.PHOTO
        name = facts.filename.lower()
        if (
            facts.mime_type in media.screenshot_types
            or any(w in name for w in media.screenshot_name_words)
            or (media.read_metadata and (facts.screenshot_mark or _screen_sized(facts, media)))
        ):
            return EvidenceKind.SCREENSHOT
        return EvidenceKind.PHOTO
    if facts.mime_type in media.document_types:
        return EvidenceKind.DOCUMENT
    return EvidenceKind.OTHER


def _screen_sized(facts: AttachmentFacts, media: MediaRules) -> bool:
    if facts.width is None or facts.height is None:
        return False
    size = (facts.width, facts.height)
    return size in media.screen_sizes or size[::-1] in media.screen_sizes


def _promised_kind(filename: str) -> EvidenceKind | None:
    ending = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    for kind, endings in _PROMISED.items():
        if ending in endings:
            return kind
    return None


def _family(kind: EvidenceKind) -> EvidenceKind:
    return EvidenceKind.PHOTO if kind is EvidenceKind.SCREENSHOT else kind


def is_hd(facts: AttachmentFacts, media: MediaRules) -> bool:
    """True when the image reaches the HD resolution in either orientation."""
    if facts.width is None or facts.height is None:
        return False
    long_side, short_side = max(facts.width, facts.height), min(facts.width, facts.height)
    return long_side >= media.hd_min_width and short_side >= media.hd_min_height


@dataclass
class _Tally:
    rule: EvidenceRule
    counted: int = 0
    refused: list[str] | None = None

    def refuse(self, why: str) -> None:
        self.refused = [*(self.refused or []), why]


def _judge(
    facts: AttachmentFacts, media: MediaRules
) -> tuple[EvidenceKind, str, str, NotCounted | None]:
    """The attachment's kind, why it counts for nothing, that in a few words for its
    verdict, and as facts for the customer ("", "" and None when it may count)."""
    kind = kind_of(facts, media)
    promised = _promised_kind(facts.filename)
    if promised is not None and kind is not EvidenceKind.OTHER and _family(kind) is not promised:
        return (
            kind,
            f"{facts.filename} is named as a {promised.value} but its content is {facts.mime_type}",
            f"not a {promised.value}: its content is {facts.mime_type}",
            NotCounted(facts.filename, "misnamed", promised.value),
        )
    if kind is EvidenceKind.OTHER:
        why, key = _why_other(facts)
        return kind, why, f"not counted: {why}", NotCounted(facts.filename, key, facts.mime_type)
    return kind, "", "", None


_TNEF = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_ARCHIVES = frozenset(
    {
        "application/zip",
        "application/x-7z-compressed",
        "application/x-rar",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-bzip2",
        "application/x-xz",
    }
)


def _why_other(facts: AttachmentFacts) -> tuple[str, str]:
    """Why an attachment of no known kind does not count, with what the customer can do,
    and the key a reply words it by."""
    name = facts.filename or "an attachment"
    if facts.mime_type in _TNEF or facts.filename.lower() == "winmail.dat":
        # Outlook's rich-text wrapper: the real files are inside and never counted
        # silently as nothing, the customer is told how to send them.
        return (
            f"{name}: your mail program (Outlook) packed the attachments into this file, which"
            " we cannot open; please send them again as ordinary attachments (in Outlook,"
            " choose HTML or plain text as the message format)",
            "outlook",
        )
    if facts.mime_type in _ARCHIVES:
        return (
            f"{name} is an archive ({facts.mime_type}); archives are never opened, please"
            " attach the photos, videos and documents themselves",
            "archive",
        )
    content = facts.mime_type or "unknown content"
    return f"{name} ({content}) is not a photo, video or document", "unknown"


def hash_distance(first: str, second: str) -> int | None:
    """Bits that differ between two perceptual hashes (hex), None if not comparable."""
    if not first or len(first) != len(second):
        return None
    try:
        return (int(first, 16) ^ int(second, 16)).bit_count()
    except ValueError:
        return None


def _lookalike(
    facts: AttachmentFacts,
    kind: EvidenceKind,
    counted: list[AttachmentFacts],
    checks: EvidenceChecks,
) -> AttachmentFacts | None:
    """The counted attachment this one looks the same as, if the checks find one."""
    if kind in _IMAGES and facts.phash and checks.hash_distance is not None:
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
    ignored: list[str] = field(default_factory=list)
    verdicts: list[AttachmentVerdict] = field(default_factory=list)
    lookalikes: list[str] = field(default_factory=list)
    before_delivery: list[str] = field(default_factory=list)
    not_counted: list[NotCounted] = field(default_factory=list)
    duplicates: int = 0

    def judge(self, facts: AttachmentFacts) -> None:
        media = self.rules.media
        kind, problem, verdict, fact = _judge(facts, media)
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
            self.ignored.append(problem)
            self.not_counted.append(fact)
            self._verdict(facts, kind, Verdict.IGNORED, f"{about}: {verdict}")
            return
        twin = _lookalike(facts, kind, self.counted, self.rules.checks)
        if twin is not None:
            how = "resized or saved again" if kind in _IMAGES else "same duration and first frames"
            self.lookalikes.append(
                f"{facts.filename} looks the same as {twin.filename} ({how}), so it counted once"
            )
            self.not_counted.append(NotCounted(facts.filename, "lookalike", twin.filename))
            line = f"{about}: duplicate of {twin.filename} (looks the same: {how})"
            self._verdict(facts, kind, Verdict.DUPLICATE, line)
            return
        tally, refusal = _count(facts, kind, self.tallies, media)
        if tally is None:
            if refusal is None:
                self.ignored.append(
                    f"{facts.filename} ({kind.value}) is not needed for this request"
                )
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
        if facts.camera and kind in _IMAGES:
            words.append(facts.camera)
        taken = taken_at(facts, self.rules)
        if taken is not None and kind in _IMAGES:
            words.append(f"taken {format_day(taken, self.rules, with_time=True)}")
        checks = self.rules.checks
        if kind in _IMAGES and checks.hash_distance is not None and not facts.phash:
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
        ignored=tuple(judging.ignored),
        duplicates=judging.duplicates,
        verdicts=tuple(judging.verdicts),
        lookalikes=tuple(judging.lookalikes),
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
