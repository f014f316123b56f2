"""The walk of an IMAP BODYSTRUCTURE: the leaves of a message in the order the whole-
message parser (mailbot/mail/parse.py) meets them, as LeafParts (mailbot/mail/mime.py)
with their encoded sizes, so both readers decide alike what each part is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mailbot.mail.mime import (
    MAX_DEPTH,
    MAX_PARTS,
    LeafPart,
    Params,
    clean_type,
    decode_bytes,
)


@dataclass(frozen=True)
class PlannedLeaf:
    """A leaf found in a BODYSTRUCTURE with its encoded size in octets."""

    leaf: LeafPart
    encoded_size: int


def _text(value: object) -> str:
    if isinstance(value, bytes):
        # As parse.py reads 8-bit header bytes (UTF-8, else cp1252), so both readers agree.
        return decode_bytes(value, "")
    return value if isinstance(value, str) else ""


def _pairs(value: object) -> Params:
    if not isinstance(value, (list, tuple)):
        return ()
    items = [_text(v) for v in value]
    return tuple((items[i].lower(), items[i + 1]) for i in range(0, len(items) - 1, 2))


def _disposition(value: object) -> tuple[str, Params]:
    if isinstance(value, (list, tuple)) and value:
        return _text(value[0]).lower(), _pairs(value[1] if len(value) > 1 else None)
    return "", ()


def walk_bodystructure(structure: Sequence[object]) -> tuple[list[PlannedLeaf], list[str]]:
    """List the leaves of an imapclient BODYSTRUCTURE in the order the parser meets them.

    Part numbers follow RFC 3501: a message's only body is ``<n>.1`` (``1`` at the top),
    multipart children are numbered from 1, and message/rfc822 parts are entered.
    """
    walker = _StructureWalker()
    walker.message(structure, "", 0)
    return walker.leaves, walker.defects


class _StructureWalker:
    """Mirror of the email walker in parse.py, over an imapclient BODYSTRUCTURE."""

    def __init__(self) -> None:
        self.leaves: list[PlannedLeaf] = []
        self.defects: list[str] = []

    def message(self, body: Sequence[object], number: str, depth: int) -> None:
        if _multipart(body) is None:
            number = f"{number}.1" if number else "1"
        self.part(body, number, depth, "")

    def part(self, body: Sequence[object], number: str, depth: int, alternative: str) -> None:
        if depth > MAX_DEPTH:
            _once(self.defects, "NestingTooDeep")
            return
        multipart = _multipart(body)
        if multipart is not None:
            children, subtype = multipart
            if subtype == "alternative":
                alternative = number or "0"
            for index, child in enumerate(children, 1):
                sub = f"{number}.{index}" if number else str(index)
                self.part(child, sub, depth + 1, alternative)
            return
        ctype = f"{_text(body[0])}/{_text(body[1])}".lower() if len(body) > 1 else "text/plain"
        # Dovecot reports a Content-Type it cannot parse (";;", "multipart/") as "" "":
        # text/plain, as RFC 2045 5.2 and parse.py read it. As "/" it was an attachment.
        ctype = "text/plain" if ctype == "/" else ctype
        if ctype == "message/rfc822" and len(body) > 8 and isinstance(body[8], (list, tuple)):
            self.message(body[8], number, depth + 1)
            return
        if len(self.leaves) >= MAX_PARTS:
            _once(self.defects, "TooManyParts")
            return
        self.leaves.append(PlannedLeaf(_leaf(body, number, ctype, alternative), _size(body)))


def _multipart(body: Sequence[object]) -> tuple[list[Sequence[object]], str] | None:
    """(children, subtype) of a multipart body, else None.

    imapclient nests the top level's children in a list, but leaves a forwarded
    message's structure as the raw tuple: children first, then the subtype.
    """
    if body and isinstance(body[0], list):
        children: list[Sequence[object]] = [c for c in body[0] if isinstance(c, (list, tuple))]
        return children, _text(body[1]).lower() if len(body) > 1 else ""
    if body and isinstance(body[0], tuple):
        count = next((i for i, item in enumerate(body) if not isinstance(item, tuple)), len(body))
        rest = body[count] if count < len(body) else b""
        return [c for c in body[:count] if isinstance(c, tuple)], _text(rest).lower()
    return None


def _size(body: Sequence[object]) -> int:
    return body[6] if len(body) > 6 and isinstance(body[6], int) else 0


def _leaf(body: Sequence[object], number: str, ctype: str, alternative: str) -> LeafPart:
    # The disposition's position depends on the type (RFC 3501 body extension data).
    where = {"message/rfc822": 11}.get(ctype, 9 if ctype.startswith("text/") else 8)
    disposition, dparams = _disposition(body[where] if len(body) > where else None)
    return LeafPart(
        part=number,
        content_type=clean_type(ctype),
        params=_pairs(body[2] if len(body) > 2 else None),
        disposition=disposition,
        disposition_params=dparams,
        transfer_encoding=_text(body[5] if len(body) > 5 else "").lower(),
        alternative=alternative,
    )


def _once(defects: list[str], name: str) -> None:
    if name not in defects:
        defects.append(name)
