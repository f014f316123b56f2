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
(parse.head_of); libmagic sees only its first HEAD_BYTES, the fingerprint less. The
IMAP reader's head is shorter where mailbot/media/headplan.py shows that the verdicts of a
full head cannot differ (a JPEG's headers up to its dimensions, a fast-start video up
to its first frames).

Fingerprint: hex SHA-256 over the decoded size, the first FIRST_HEAD_BYTES (256) of the
head and the last TAIL_BYTES (128), so it does not depend on how far the head was read
(issue 17: the IMAP reader reads no more of a file than its analysis needs, and a photo
without EXIF needs its first ~200 bytes). Two different files get the same fingerprint
only if they have the same decoded size AND identical first 256 AND last 128 bytes. In
a compressed photo or video the last bytes are coded picture or sound data, which
differ between any two pictures or recordings; what is not told apart is a file
changed purely in its middle without changing its size, or two uncompressed
documents made from one template with text of equal length at the same place (two
PDFs of one form, filled alike in length). Accidental collisions of SHA-256 itself are
negligible (~2^-128). Files of at most 384 bytes are covered entirely.

Versions before issue 17 hashed the first 16 KiB and the last 4 KiB (and before those,
64 KiB heads): their recorded fingerprints differ from today's for every file longer
than 384 bytes, so a file sent once before the upgrade and again after it is not
recognised as the same file.
"""

from __future__ import annotations

import functools
import hashlib
import struct

import magic

from mailbot.core.model import AttachmentFacts
from mailbot.mail.parse import FIRST_HEAD_BYTES, HEAD_BYTES, AttachmentSample
from mailbot.media.facts import media_facts
from mailbot.media.imagehead import image_size

__all__ = ["fingerprint", "image_size", "magic_mime", "sniff"]

_UNKNOWN = "application/octet-stream"


def sniff(sample: AttachmentSample) -> AttachmentFacts:
    """Type, description, dimensions and fingerprint of one attachment; never raises."""
    # libmagic sees the same 16 KiB whatever was read, so its verdict cannot change with
    # a longer JPEG head; the size parsers may use all of it.
    mime_type, description = _libmagic(sample.head[:HEAD_BYTES], sample.declared_type)
    width, height = image_size(sample.head) or (None, None)
    media = media_facts(mime_type, sample)
    return AttachmentFacts(
        filename=sample.filename,
        declared_type=sample.declared_type,
        mime_type=mime_type,
        size=sample.size,
        fingerprint=fingerprint(sample.size, sample.head, sample.tail),
        width=width,
        height=height,
        description=description,
        phash=media.phash,
        taken_at=media.taken_at,
        camera=media.camera,
        screenshot_mark=media.screenshot_mark,
        duration_ms=media.duration_ms,
        frames=media.frames,
    )


def fingerprint(size: int, head: bytes, tail: bytes) -> str:
    """Hex SHA-256 over size, the first FIRST_HEAD_BYTES of head, and tail
    (length-prefixed).

    The head is cut here, so a head read further for the analysis gives the same
    fingerprint as the first read; the length prefixes keep the fields from blurring.
    """
    head = head[:FIRST_HEAD_BYTES]
    digest = hashlib.sha256(struct.pack(">QQQ", max(size, 0), len(head), len(tail)))
    digest.update(head)
    digest.update(tail)
    return digest.hexdigest()


@functools.lru_cache(maxsize=128)
def magic_mime(head: bytes) -> str:
    """libmagic's MIME type of ``head``. Cached: the IMAP reader asks it of an
    attachment's first bytes (headplan.head_needed) and, where they were enough, sniff
    asks it again of the same bytes; at most 128 heads of up to 16 KiB are kept."""
    return str(magic.from_buffer(head, mime=True))


def _libmagic(head: bytes, declared_type: str) -> tuple[str, str]:
    """libmagic's MIME type, and its description when the type is a surprise."""
    try:
        mime_type = magic_mime(head)
        declared = declared_type.split(";", 1)[0].strip().lower()
        if mime_type == declared and mime_type != _UNKNOWN:
            return mime_type, ""
        return mime_type, str(magic.from_buffer(head))
    except Exception:  # libmagic errors on odd input must not stop a message
        return _UNKNOWN, ""
