"""What an attachment is as evidence: its kind by real content (not its name), whether
its name promises another kind (a text file named .mp4), why a file of no known kind
counts for nothing, and whether an image is HD."""

from __future__ import annotations

from mailbot.core.evidencereport import NotCounted
from mailbot.core.model import AttachmentFacts, EvidenceKind
from mailbot.core.rulebook import MediaRules

# File name endings and the kind of content they promise. A file whose content is of
# another family (a text file named .mp4) is a lie and counts for nothing.
_PROMISED = {
    EvidenceKind.VIDEO: ("mp4", "m4v", "mov", "qt", "webm", "avi", "3gp", "mkv", "mpg", "mpeg"),
    EvidenceKind.PHOTO: ("jpg", "jpeg", "heic", "heif", "png", "webp", "tif", "tiff", "gif"),
    EvidenceKind.DOCUMENT: ("pdf", "docx", "odt", "txt", "doc", "rtf"),
}
IMAGES = (EvidenceKind.PHOTO, EvidenceKind.SCREENSHOT)


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


def judge(facts: AttachmentFacts, media: MediaRules) -> tuple[EvidenceKind, str, NotCounted | None]:
    """The attachment's kind, why it counts for nothing in a few words for its verdict,
    and that as facts for the customer ("" and None when it may count)."""
    kind = kind_of(facts, media)
    promised = _promised_kind(facts.filename)
    if promised is not None and kind is not EvidenceKind.OTHER and _family(kind) is not promised:
        return (
            kind,
            f"not a {promised.value}: its content is {facts.mime_type}",
            NotCounted(facts.filename, "misnamed", promised.value),
        )
    if kind is EvidenceKind.OTHER:
        why, key = _why_other(facts)
        return kind, f"not counted: {why}", NotCounted(facts.filename, key, facts.mime_type)
    return kind, "", None


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
