"""The attachment bundles a label names (eval/README.md), attached from the set's media
folder as the mail's own attachments would be read (parse.sample_of)."""

from __future__ import annotations

import mimetypes
from dataclasses import replace
from pathlib import Path

from mailbot.mail.mime import LeafPart
from mailbot.mail.parse import ParsedMessage, sample_of

_PHOTOS = tuple(f"photo-hd-{n:02d}.jpg" for n in range(1, 11))
_VIDEOS = ("video-01.mp4", "video-02.mp4", "video-03.mp4")

BUNDLES: dict[str, tuple[str, ...]] = {
    "none": (),
    "defect_complete": (*_VIDEOS, *_PHOTOS, "fault-statement.pdf"),
    "defect_photos": _PHOTOS[:6],
    "defect_videos": (*_VIDEOS, "fault-statement.pdf"),
    "wrong_complete": ("screenshot-order.png", "photo-hd-01.jpg", "photo-hd-02.jpg"),
    "wrong_photos": ("photo-hd-01.jpg", "photo-hd-02.jpg"),
    "change_complete": ("photo-hd-11.jpg", "photo-hd-12.jpg"),
    "change_partial": ("photo-hd-11.jpg",),
}


def attach(parsed: ParsedMessage, bundle: str, media: Path) -> ParsedMessage:
    """`parsed` with the bundle's files after its own attachments."""
    added = []
    for number, name in enumerate(BUNDLES[bundle], len(parsed.attachments) + 2):
        declared = mimetypes.guess_type(name)[0] or "application/octet-stream"
        leaf = LeafPart(
            part=str(number),
            content_type=declared,
            disposition="attachment",
            disposition_params=(("filename", name),),
            transfer_encoding="base64",
        )
        added.append(sample_of(leaf, (media / name).read_bytes()))
    return replace(parsed, attachments=(*parsed.attachments, *added))
