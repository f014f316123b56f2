"""Where a dotted key stands in a TOML file's text: tomllib reports no positions."""

from __future__ import annotations

import re

# A table header line, `[name]` or `[[name]]` (not a line of a list of lists).
_HEADER = re.compile(r"""^\s*\[\[?\s*[\w.\-"' ]+\s*\]\]?\s*(#.*)?$""")


def line_of(text: str, key: str) -> int | None:
    """Best-effort line of a dotted key (`windows.return_days`, `evidence.x[1].count`).

    tomllib reports no positions for values, so the key is searched as text: its table
    header first, then the last part as `name =` after it.
    """
    parts = [p.split("[")[0] for p in key.split(".")]
    lines = text.splitlines()
    start, in_table = 0, False
    for depth in range(len(parts) - 1, 0, -1):
        header = re.compile(r"^\s*\[\[?\s*" + re.escape(".".join(parts[:depth])) + r"\s*\]\]?")
        hits = [i for i, line in enumerate(lines) if header.match(line)]
        index = re.search(r"\[(\d+)\]", key)
        if hits:
            start = hits[min(int(index.group(1)), len(hits) - 1)] if index else hits[0]
            in_table = True
            break
    name = re.compile(r"^\s*[\"']?" + re.escape(parts[-1].strip("\"'")) + r"[\"']?\s*=")
    item = re.search(r"\[(\d+)\]$", key)
    for i in range(start, len(lines)):
        if in_table and i > start and _HEADER.match(lines[i]):
            break  # the table ends: the key is not in it
        if name.match(lines[i]):
            return i + 1 + (_item_offset(lines[i + 1 :], int(item.group(1))) if item else 0)
    table = re.compile(r"^\s*\[\[?\s*" + re.escape(".".join(parts)) + r"\s*\]\]?")
    for i, line in enumerate(lines):
        if table.match(line):  # the key is a table of its own
            return i + 1
    return start + 1 if in_table else None


def _item_offset(after: list[str], index: int) -> int:
    """Lines from a list's key to its item `index`, when the list writes one string per
    line (comment lines skipped); 0 when it does not."""
    seen = -1
    for offset, line in enumerate(after, start=1):
        stripped = line.strip()
        if stripped.startswith(("'", '"')):
            seen += 1
            if seen == index:
                return offset
        elif stripped.startswith("]") or not (stripped == "" or stripped.startswith("#")):
            break
    return 0
