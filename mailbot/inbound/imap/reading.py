"""Reading one message over IMAP without downloading it whole: its BODYSTRUCTURE, the
header block, the text parts (capped) and only the head and tail of each attachment
(mailbot/mail/mime.py), built into the ParsedMessage with the same pieces
``parse.parse_message`` uses. Where the analysis needs more of a head
(``headplan.head_needed``: a video up to its first frames, anything unusual up to 16
KiB, a JPEG with a long EXIF block further), and for the pieces holding a HEIC's EXIF
and thumbnail, one more FETCH a round reads it for all the message's attachments at
once; the ranges are planned by imap/partial.py.

Each message is read by a generator (``message_reader``) that yields the FETCH items it
needs next and is sent their answer, so ``read_messages`` can read several messages in
lockstep: one UID FETCH per message and round, all of a round sent before the first
answer is read (pipelined, ``fetching.fetch_each``). Over a network that turns a
message's two to five round trips into a share of the group's.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from imapclient import IMAPClient

from mailbot.inbound.imap import fetching
from mailbot.inbound.imap.bodystructure import PlannedLeaf, walk_bodystructure
from mailbot.inbound.imap.partial import (
    decode_head,
    decode_piece,
    long_head_item,
    part_items,
    piece_item,
    sample_from_fetch,
)
from mailbot.mail.headers import HeaderFields, parse_headers
from mailbot.mail.mime import (
    LeafPart,
    clean_type,
    leaf_role,
    split_params,
)
from mailbot.mail.parse import (
    HEAD_BYTES,
    TEXT_PART_LIMIT,
    AttachmentSample,
    BodyCollector,
    ParsedMessage,
    pieces_wanted,
)
from mailbot.media.headplan import head_needed

# FETCHes after the first for one message's attachments: the head a video's first
# frames need, then the rest of a head, then a JPEG's longer head or a HEIC's items.
_MORE_ROUNDS = 4


# A message's reader: yields the FETCH items it needs next, is sent their answer.
Reader = Generator[list[str], dict[bytes, Any], ParsedMessage]


def read_messages(
    client: IMAPClient, messages: Sequence[tuple[int, dict[bytes, Any]]]
) -> list[ParsedMessage | Exception]:
    """The ParsedMessage of each (uid, overview) in order, read in lockstep: each round
    pipelines one FETCH per message still reading. A message whose reading fails (not
    the connection: that raises) gets its exception in its place, the others are read."""
    results: dict[int, ParsedMessage | Exception] = {}
    readers: dict[int, Reader] = {}
    wanted: dict[int, list[str]] = {}
    for uid, info in messages:
        try:
            readers[uid] = message_reader(uid, info)
        except Exception as error:
            results[uid] = error
            continue
        _step(uid, readers[uid], None, wanted, results)
    while wanted:
        answers = fetching.fetch_each(client, wanted)
        asked, wanted = wanted, {}
        for uid in asked:
            _step(uid, readers[uid], answers.get(uid, {}), wanted, results)
    return [results[uid] for uid, _ in messages]


def _step(
    uid: int,
    reader: Reader,
    answer: dict[bytes, Any] | None,
    wanted: dict[int, list[str]],
    results: dict[int, ParsedMessage | Exception],
) -> None:
    """Send a reader its answer (None to start it): it wants more, or it is done."""
    try:
        wanted[uid] = reader.send(answer)  # type: ignore[arg-type]  # None starts it
    except StopIteration as done:
        results[uid] = done.value
    except Exception as error:
        results[uid] = error


def message_reader(uid: int, info: dict[bytes, Any]) -> Reader:
    """Build the ParsedMessage of one message from its structure and partial reads."""
    fields = parse_headers(bytes(info.get(b"BODY[HEADER]") or b""))
    collector = BodyCollector()
    structure = info.get(b"BODYSTRUCTURE")
    if not isinstance(structure, (list, tuple)):
        collector.defects.append("BodyStructureUnreadable")
        return collector.finish(fields)
    leaves, defects = walk_bodystructure(structure)
    collector.defects.extend(defects)
    whole = _whole_body_leaf(structure, leaves, fields)
    if whole is not None:
        found = yield [f"BODY.PEEK[TEXT]<0.{TEXT_PART_LIMIT}>"]
        body = bytes(found.get(b"BODY[TEXT]<0>") or b"")
        used = whole.boundary and b"--" + whole.boundary.encode("utf-8", "replace") in body
        if body and not used:
            collector.defects.append("MultipartWithoutUsableBoundary")
            collector.add_text(whole, body)
            return collector.finish(fields)
    requests = [item for planned in leaves for item in part_items(planned)]
    data: dict[bytes, Any] = (yield requests) if requests else {}
    for planned in leaves:
        _collect(planned, data, collector)
    # Each round reads what the last showed is needed (a video's first frames after its
    # index, a HEIC's items after its head); most messages need one or two.
    for _ in range(_MORE_ROUNDS):
        more = _plan_more(leaves, collector.attachments, data)
        if more is None:
            break
        _apply_more(more, (yield more.items), leaves, collector.attachments)
    return collector.finish(fields)


def _whole_body_leaf(
    structure: Sequence[Any], leaves: Sequence[PlannedLeaf], fields: HeaderFields
) -> LeafPart | None:
    """The whole body as one text leaf, if the message is a multipart whose parts are
    all empty; else None. Its body (one FETCH) then shows whether the boundary is
    missing or never used.

    Dovecot describes such a message as a multipart holding one empty text part, so
    its words would never be fetched; Python's parser (the Maildir path) reads the body
    as text instead, and so does this. A real multipart whose parts are all empty is
    told apart by its boundary appearing in the body.
    """
    if not (structure and isinstance(structure[0], list)) or not leaves:
        return None  # not a multipart at the top
    if any(planned.encoded_size for planned in leaves):
        return None
    headers = dict(reversed(fields.headers))  # the first of each name, as parse does
    content_type, params = split_params(headers.get("content-type", ""))
    return LeafPart(
        part="TEXT",
        content_type=clean_type(content_type),
        params=params,
        transfer_encoding=headers.get("content-transfer-encoding", "").strip().lower(),
    )


@dataclass(frozen=True)
class _Range:
    """One range of an attachment's decoded content to read: [offset, offset + length),
    with the FETCH item for it (see ``piece_item``)."""

    index: int  # of the sample
    offset: int
    length: int
    item: str
    start: int  # encoded offset the item reads from
    decoded_start: int  # the decoded offset that is


@dataclass(frozen=True)
class _More:
    """What one more FETCH of a message reads: longer heads, by sample index, with the
    decoded length each needs; ranges; and the FETCH items for both."""

    longer: dict[int, tuple[PlannedLeaf, int]]
    ranges: list[_Range]
    items: list[str]


def _plan_more(
    leaves: Sequence[PlannedLeaf], samples: list[AttachmentSample], first: dict[bytes, Any]
) -> _More | None:
    """What the heads showed is needed besides, in one FETCH for all attachments
    (None: nothing): the rest of the head its analysis needs
    (``headplan.head_needed``: a video's up to its first frames, a JPEG's whose SOF or
    EXIF block lies beyond it), and once the head is whole, the pieces a HEIC's EXIF
    and thumbnail items are in (``parse.pieces_wanted``).

    A longer head is [0, needed) of the decoded content, as ``parse.head_of`` takes it,
    so both readers sample alike: only the part after the head is read where its
    encoded position is known (``piece_item``), else all of it again from offset 0.
    Most messages need nothing more and cost no extra command. ``first`` is the first
    FETCH's answer (the base64 line layout comes from the head read there).
    """
    planned_by_part = {planned.leaf.part: planned for planned in leaves}
    longer: dict[int, tuple[PlannedLeaf, int]] = {}
    ranges: list[_Range] = []
    for index, sample in enumerate(samples):
        planned = planned_by_part.get(sample.part)
        # A head longer than HEAD_BYTES was lengthened from a whole part already; a
        # head as long as the content has nothing more to read.
        if planned is None or len(sample.head) > HEAD_BYTES or sample.size <= len(sample.head):
            continue
        head_raw = bytes(first.get(f"BODY[{planned.leaf.part}]<0>".encode()) or b"")
        needed = min(head_needed(sample.head, sample.size, sample.declared_type), sample.size)
        whole = needed <= len(sample.head) and not sample.pieces  # pieces: read already
        wanted = list(pieces_wanted(sample.head, sample.size)) if whole else []
        if needed > len(sample.head):
            rest = (len(sample.head), needed - len(sample.head))
            if piece_item(planned, head_raw, *rest) is None:
                longer[index] = (planned, needed)
            else:
                wanted.insert(0, rest)
        for offset, length in wanted:
            item = piece_item(planned, head_raw, offset, length)
            if item is not None:
                ranges.append(_Range(index, offset, length, *item))
    items = [long_head_item(planned, needed) for planned, needed in longer.values()]
    items += [r.item for r in ranges]
    return _More(longer, ranges, items) if items else None


def _apply_more(
    more: _More,
    data: dict[bytes, Any],
    leaves: Sequence[PlannedLeaf],
    samples: list[AttachmentSample],
) -> None:
    """Put what the FETCH of ``more`` answered into the samples; what the server did
    not send back stays unread."""
    planned_by_part = {planned.leaf.part: planned for planned in leaves}
    for index, (planned, needed) in more.longer.items():
        raw = data.get(f"BODY[{planned.leaf.part}]<0>".encode())
        if raw is None:
            continue
        head = decode_head(planned, bytes(raw), needed)[:needed]
        if len(head) > len(samples[index].head):
            samples[index] = replace(samples[index], head=head)
    for r in more.ranges:
        sample = samples[r.index]
        raw = bytes(data.get(f"BODY[{sample.part}]<{r.start}>".encode()) or b"")
        encoding = planned_by_part[sample.part].leaf.transfer_encoding
        piece = decode_piece(raw, encoding, r.offset - r.decoded_start, r.length)
        if piece and r.offset == len(sample.head):  # the rest of a longer head
            samples[r.index] = replace(sample, head=sample.head + piece)
        elif piece:
            samples[r.index] = replace(sample, pieces=(*sample.pieces, (r.offset, piece)))


def _collect(planned: PlannedLeaf, data: dict[bytes, Any], collector: BodyCollector) -> None:
    leaf = planned.leaf
    role = leaf_role(leaf)
    if role in ("plain", "html"):
        collector.add_text(leaf, bytes(data.get(f"BODY[{leaf.part}]<0>".encode()) or b""))
    elif role == "attachment":
        collector.attachments.append(sample_from_fetch(planned, data))
