"""How much of an attachment's start its analysis needs (issue 17: read no more).

The IMAP reader first reads only FIRST_HEAD_BYTES of each attachment (and its last
TAIL_BYTES). ``head_needed`` then tells from those bytes how far the analysis (libmagic's
verdict, the image size, EXIF and XMP, a video's duration and first frames) has to see
to conclude exactly what it would from the first HEAD_BYTES (and a JPEG's longer head,
``imagehead.more_head_needed``), which is what the whole-message reader gives it
(``parse.head_of``). It is the same answer on less input only where the format says
where its facts end:

- the type is what the sender declared and libmagic tells it from the first bytes
  (JPEG, PNG, GIF, WebP, MP4, QuickTime, PDF), so no description is asked for and
  more bytes cannot change the verdict;
- a JPEG: every analysis walks its segments up to the first SOF and stops there;
- a PNG: its metadata chunks come before IDAT, where the walk stops;
- an MP4 or QuickTime file whose index (``moov``) comes before the media data: the
  duration is in ``moov``, the first frames are the first FRAME_BYTES of ``mdat``.

Anything else (a surprising or unknown type, text, HEIC, a JPEG whose SOF lies beyond
the first read, a video with its index at the end) gets the whole HEAD_BYTES as before.
Pure apart from libmagic; no I/O.
"""

from __future__ import annotations

import struct

from mailbot.mail.parse import HEAD_BYTES, LONG_HEAD_BYTES
from mailbot.media.imagehead import jpeg_frame_at, more_head_needed
from mailbot.media.sniff import magic_mime
from mailbot.media.videohead import FRAME_BYTES

__all__ = ["head_needed"]

# Types libmagic knows by their first bytes alone.
_KNOWN_BY_START = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime",
     "application/pdf"}
)  # fmt: skip
_VIDEO = frozenset({"video/mp4", "video/quicktime"})
# Boxes between a video's moov and its mdat (free, wide) are small: read this much past
# the end of moov with the mdat header and the first frames, so one more read is rare.
_AFTER_MOOV = 64


def head_needed(head: bytes, size: int, declared_type: str) -> int:
    """The first bytes of an attachment of ``size`` decoded bytes its analysis needs,
    judged from its first ``len(head)`` bytes; at most ``len(head)`` when it has them.
    """
    full = min(size, HEAD_BYTES)
    if len(head) >= full:  # the head every reader takes; a JPEG may need more
        more = more_head_needed(head, LONG_HEAD_BYTES)
        return len(head) if more is None else min(more, size)
    try:
        mime = magic_mime(head)
    except Exception:  # libmagic errors on odd input: read as much as always
        return full
    if mime != declared_type.split(";", 1)[0].strip().lower() or mime not in _KNOWN_BY_START:
        return full
    if mime == "image/jpeg":
        frame = jpeg_frame_at(head)
        return full if frame is None else min(frame, full)
    if mime == "image/png":
        return _png_needed(head, full)
    if mime in _VIDEO:
        return _video_needed(head, full)
    return min(len(head), full)  # GIF and WebP sizes lie in the first 30 bytes; PDF


def _png_needed(head: bytes, full: int) -> int:
    """Through the header of the first IDAT (or IEND) chunk, where the walks stop."""
    pos = 8
    while pos + 8 <= len(head):
        length, kind = struct.unpack(">I4s", head[pos : pos + 8])
        if kind in (b"IDAT", b"IEND"):
            return max(24, pos + 8)
        pos += 12 + length
    return full


def _video_needed(head: bytes, full: int) -> int:
    """Through the first FRAME_BYTES of mdat, for a file whose moov precedes it (what
    ``videohead.video_head`` reads); ``full`` for any other layout."""
    pos, moov = 0, False
    while pos + 8 <= len(head):
        size, kind = struct.unpack(">I4s", head[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > len(head):
                break
            (size,) = struct.unpack(">Q", head[pos + 8 : pos + 16])
            header = 16
        if kind == b"mdat":
            return min(full, pos + header + FRAME_BYTES) if moov else full
        if size < header:  # 0 (to the end of the file) or broken: walk as always
            return full
        moov = moov or kind == b"moov"
        pos += size
    # The head ends inside a box: past moov, the next box is most likely mdat.
    return min(full, pos + 16 + _AFTER_MOOV + FRAME_BYTES) if moov else full
