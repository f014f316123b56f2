"""What an attachment really is, judged from its bytes: AttachmentSample -> AttachmentFacts.

The only user of libmagic. ``mime_type`` and ``description`` are libmagic's verdict on
the first HEAD_BYTES (16 KiB) of the decoded content, reported as libmagic gives them
(5.44 says ``image/heic`` for HEIC, ``video/quicktime`` for MOV, ``video/mp4``,
``video/webm``). The description (libmagic's text, e.g. "ASCII text" for a text file
named .mp4) is asked for only when the real type is not the declared one or is unknown:
that is where an agent needs it, and each libmagic call costs ~0.1 ms, about a tenth of
a message's CPU with two calls for each of its attachments.

Why 16 KiB: libmagic 5.44 gives the same answers on 4, 8, 16 and 64 KiB heads for every
file of the types we see (JPEG, PNG, HEIC, MP4, MOV, WebM, PDF, text) in examples/media
and tests/data, while some releases misread MP4/WebM from 2 KB (python-magic issue 362);
16 KiB keeps a margin above both and reads a third less than 64 KiB heads did
(bench/README.md).

What a photo's or video's own metadata says (thumbnail hash, date taken, camera,
screenshot mark, duration, first frames) comes from mediafacts.py, by the real type.

Image width and height come from our own header parsers (mailbot/media/imagehead.py), because
libmagic's text does not always contain them. They get the whole head, which for a JPEG
whose SOF lies beyond 16 KiB (behind a long EXIF block) is longer, up to LONG_HEAD_BYTES
(parse.head_of); libmagic and the fingerprint see only its first HEAD_BYTES.

Fingerprint: hex SHA-256 over the decoded size, the first HEAD_BYTES of the head and the
tail, so it does not depend on whether a longer head was read. Two different files get
the same fingerprint only if they have the same decoded size AND identical first
HEAD_BYTES (16 KiB) AND identical last TAIL_BYTES (4 KiB): in practice only a file
changed purely in its middle without changing its size (a video re-muxed without
touching either end normally changes the size; a re-saved photo changes its end).
Accidental collisions of SHA-256 itself are negligible (~2^-128). Files of at most
HEAD_BYTES + TAIL_BYTES (20 KiB) are covered entirely, so for them it is exact.

Versions before this one hashed 64 KiB heads: their recorded fingerprints differ from
today's for every file longer than 16 KiB, so a file sent once before the upgrade and
again after it is not recognised as the same file.
"""

from __future__ import annotations

import hashlib
import struct

import magic

from mailbot.core.model import AttachmentFacts
from mailbot.mail.parse import HEAD_BYTES, AttachmentSample
from mailbot.media.facts import with_media_facts
from mailbot.media.imagehead import image_size

__all__ = ["fingerprint", "image_size", "sniff"]

_UNKNOWN = "application/octet-stream"


def sniff(sample: AttachmentSample) -> AttachmentFacts:
    """Type, description, dimensions and fingerprint of one attachment; never raises."""
    # libmagic sees the same 16 KiB whatever was read, so its verdict cannot change with
    # a longer JPEG head; the size parsers may use all of it.
    mime_type, description = _libmagic(sample.head[:HEAD_BYTES], sample.declared_type)
    width, height = image_size(sample.head) or (None, None)
    facts = AttachmentFacts(
        filename=sample.filename,
        declared_type=sample.declared_type,
        mime_type=mime_type,
        size=sample.size,
        fingerprint=fingerprint(sample.size, sample.head, sample.tail),
        width=width,
        height=height,
        description=description,
    )
    return with_media_facts(facts, sample)


def fingerprint(size: int, head: bytes, tail: bytes) -> str:
    """Hex SHA-256 over size, the first HEAD_BYTES of head, and tail (length-prefixed).

    The head is cut here, so a head lengthened to find a JPEG's size gives the same
    fingerprint as the plain one; the length prefixes keep the fields from blurring.
    """
    head = head[:HEAD_BYTES]
    digest = hashlib.sha256(struct.pack(">QQQ", max(size, 0), len(head), len(tail)))
    digest.update(head)
    digest.update(tail)
    return digest.hexdigest()


def _libmagic(head: bytes, declared_type: str) -> tuple[str, str]:
    """libmagic's MIME type, and its description when the type is a surprise."""
    try:
        mime_type = str(magic.from_buffer(head, mime=True))
        declared = declared_type.split(";", 1)[0].strip().lower()
        if mime_type == declared and mime_type != _UNKNOWN:
            return mime_type, ""
        return mime_type, str(magic.from_buffer(head))
    except Exception:  # libmagic errors on odd input must not stop a message
        return _UNKNOWN, ""
