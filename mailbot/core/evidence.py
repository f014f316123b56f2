"""What the attachments prove: sniffed facts + rules -> what is met, what is missing.

Each attachment is judged by its real content type. It counts once per distinct
content (fingerprint) and toward one requirement only, the first that accepts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailbot.core.model import AttachmentFacts, EvidenceKind, EvidenceReport, Requirement, Scenario
from mailbot.core.rulebook import EvidenceRule, MediaRules

# File name endings and the kind of content they promise. A file whose content is of
# another family (a text file named .mp4) is a lie and counts for nothing.
_PROMISED = {
    EvidenceKind.VIDEO: ("mp4", "m4v", "mov", "qt", "webm", "avi", "3gp", "mkv", "mpg", "mpeg"),
    EvidenceKind.PHOTO: ("jpg", "jpeg", "heic", "heif", "png", "webp", "tif", "tiff", "gif"),
    EvidenceKind.DOCUMENT: ("pdf", "docx", "odt", "txt", "doc", "rtf"),
}


def kind_of(facts: AttachmentFacts, media: MediaRules) -> EvidenceKind:
    """The evidence kind of an attachment's real content."""
    if facts.mime_type in media.video_types:
        return EvidenceKind.VIDEO
    if facts.mime_type in media.photo_types or facts.mime_type in media.screenshot_types:
        name = facts.filename.lower()
        if facts.mime_type in media.screenshot_types or any(
            w in name for w in media.screenshot_name_words
        ):
            return EvidenceKind.SCREENSHOT
        return EvidenceKind.PHOTO
    if facts.mime_type in media.document_types:
        return EvidenceKind.DOCUMENT
    return EvidenceKind.OTHER


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


def _judge(facts: AttachmentFacts, media: MediaRules) -> tuple[EvidenceKind, str | None]:
    """The attachment's kind, and why it counts for nothing (None when it may count)."""
    kind = kind_of(facts, media)
    promised = _promised_kind(facts.filename)
    if promised is not None and kind is not EvidenceKind.OTHER and _family(kind) is not promised:
        return (
            kind,
            f"{facts.filename} is named as a {promised.value} but its content is {facts.mime_type}",
        )
    if kind is EvidenceKind.OTHER:
        return kind, _why_other(facts)
    return kind, None


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


def _why_other(facts: AttachmentFacts) -> str:
    """Why an attachment of no known kind does not count, with what the customer can do."""
    name = facts.filename or "an attachment"
    if facts.mime_type in _TNEF or facts.filename.lower() == "winmail.dat":
        # Outlook's rich-text wrapper: the real files are inside and never counted
        # silently as nothing, the customer is told how to send them.
        return (
            f"{name}: your mail program (Outlook) packed the attachments into this file, which"
            " we cannot open; please send them again as ordinary attachments (in Outlook,"
            " choose HTML or plain text as the message format)"
        )
    if facts.mime_type in _ARCHIVES:
        return (
            f"{name} is an archive ({facts.mime_type}); archives are never opened, please"
            " attach the photos, videos and documents themselves"
        )
    content = facts.mime_type or "unknown content"
    return f"{name} ({content}) is not a photo, video or document"


def check_evidence(
    scenario: Scenario,
    attachments: Iterable[AttachmentFacts],
    requirements: tuple[EvidenceRule, ...],
    media: MediaRules,
) -> EvidenceReport:
    """Match attachments to the scenario's requirements."""
    tallies = [_Tally(rule) for rule in requirements]
    seen: set[str] = set()
    ignored: list[str] = []
    duplicates = 0
    for facts in attachments:
        if facts.fingerprint in seen:
            duplicates += 1
            continue
        seen.add(facts.fingerprint)
        kind, problem = _judge(facts, media)
        if problem:
            ignored.append(problem)
            continue
        _count(facts, kind, tallies, media, ignored)
    return EvidenceReport(
        scenario=scenario,
        requirements=tuple(
            Requirement(t.rule.key, t.rule.label, t.rule.count, t.counted, tuple(t.refused or ()))
            for t in tallies
        ),
        ignored=tuple(ignored),
        duplicates=duplicates,
    )


def _count(
    facts: AttachmentFacts,
    kind: EvidenceKind,
    tallies: list[_Tally],
    media: MediaRules,
    ignored: list[str],
) -> None:
    """Count one distinct attachment toward the first requirement that accepts it."""
    accepting = [t for t in tallies if kind in t.rule.kinds]
    for tally in accepting:
        if tally.rule.hd_only and not is_hd(facts, media):
            continue
        if tally.counted < tally.rule.count or tally is accepting[-1]:
            tally.counted += 1
            return
    if not accepting:
        ignored.append(f"{facts.filename} ({kind.value}) is not needed for this request")
        return
    size = f"{facts.width}×{facts.height}" if facts.width else "unknown size"
    hd_tally = next(t for t in accepting if t.rule.hd_only)
    hd_tally.refuse(
        f"{facts.filename} ({size}) is below {media.hd_min_width}×{media.hd_min_height}"
    )
