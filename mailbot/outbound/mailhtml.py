"""The HTML part of a reply, built from its plain text, which stays the reference.

Templates write each paragraph on one line (sentences are never wrapped by hand, so
no translation carries line breaks), blank lines between blocks, "- " before a list
item, "1. " before a numbered step and four spaces before the lines of a box (the
RMA number, the refund sum). `blocks` reads that back as structure, which the layout
template (`<audience>/_layout.html.j2`) writes as paragraphs, lists and a boxed block
that reflow at any width; only lines inside one block (a sign-off) become line breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUMBERED = re.compile(r"\d{1,2}\. ")
_BOX = "    "
_ITEM = "- "
_CONTINUED = "  "


@dataclass
class Block:
    """One block of a reply: "p" (lines of one paragraph), "ul" or "ol" (items), "box"
    (lines)."""

    kind: str
    lines: list[str] = field(default_factory=list)


def _kind(line: str) -> str:
    if line.startswith(_BOX):
        return "box"
    if line.startswith(_ITEM):
        return "ul"
    if _NUMBERED.match(line):
        return "ol"
    return "p"


def blocks(text: str) -> list[Block]:
    """The blocks of a plain-text reply, in order."""
    found: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", text.strip("\n")):
        current: Block | None = None
        for line in chunk.split("\n"):
            if not line.strip():
                continue
            kind = _kind(line)
            if (
                current is not None
                and current.kind in ("ul", "ol")
                and kind in ("p", "box")
                and line.startswith(_CONTINUED)
            ):
                current.lines[-1] += " " + line.strip()  # an item's second line
                continue
            if current is None or current.kind != kind:
                current = Block(kind)
                found.append(current)
            if kind == "ul":
                line = line[len(_ITEM) :]
            elif kind == "ol":
                line = _NUMBERED.sub("", line, count=1)
            current.lines.append(line.strip())
    return found
