"""A video's duration and a fingerprint of its first frames, from its first bytes.

Pure functions over bytes, no I/O. MP4 and QuickTime files are ISO-BMFF boxes: the
index (``moov``, whose ``mvhd`` gives the duration) and the media data (``mdat``,
frames in file order). Phones and "fast start" exports put ``moov`` first, so the
head read of every attachment holds the duration and, when ``moov`` is small, the
first frames' bytes (all of them for a clip shorter than FRAME_BYTES): two files with
the same duration and the same first FRAME_BYTES of media data carry the same
recording, whatever else changed around it (metadata rewritten, the index moved, a
copy re-muxed). Not detected: a video with
``moov`` at its end (the head shows only media data; such files are compared by their
bytes), a ``moov`` too large for the media data to start in the head, WebM and other
containers, and any re-encoding (other bytes altogether).
"""

from __future__ import annotations

import hashlib
import struct

from mailbot.media.imagehead import boxes, child

__all__ = ["FRAME_BYTES", "video_head"]

# Bytes of media data fingerprinted: a few frames of a phone video, the whole first
# keyframe of a small one; enough that two different recordings never share them.
FRAME_BYTES = 4 * 1024


def video_head(head: bytes) -> tuple[int | None, str]:
    """(duration in milliseconds, fingerprint of the first FRAME_BYTES of media data)
    of an MP4/QuickTime file; None and "" for what its head does not show."""
    try:
        return _video_head(head)
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return None, ""


def _video_head(head: bytes) -> tuple[int | None, str]:
    if head[4:8] not in (b"ftyp", b"moov", b"wide", b"mdat", b"free", b"skip", b"pnot"):
        return None, ""
    top = boxes(head, 0, len(head))
    order = [kind for kind, _, _ in top]
    if b"moov" not in order:
        return None, ""  # the index is at the end
    moov = top[order.index(b"moov")]
    duration = _duration(head, child(head, moov[1], moov[2], b"mvhd"))
    frames = ""
    if b"mdat" in order and order.index(b"mdat") > order.index(b"moov"):
        _, start, end = top[order.index(b"mdat")]
        (declared,) = struct.unpack(">I", head[start - 8 : start - 4])
        whole = declared >= 8 and start - 8 + declared <= len(head)  # a short clip
        media = head[start : min(end, start + FRAME_BYTES)]
        if len(media) == FRAME_BYTES or (whole and media):
            frames = hashlib.sha256(media).hexdigest()[:32]
    return duration, frames


def _duration(head: bytes, mvhd: tuple[int, int] | None) -> int | None:
    if mvhd is None:
        return None
    begin = mvhd[0]
    if head[begin] == 1:  # 64-bit times
        timescale, duration = struct.unpack(">IQ", head[begin + 20 : begin + 32])
    else:
        timescale, duration = struct.unpack(">II", head[begin + 12 : begin + 20])
    return None if timescale == 0 else duration * 1000 // timescale
