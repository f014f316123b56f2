"""What every ParsedMessage must satisfy, whatever bytes it was parsed from.

Shared by the hostile corpus and the property-based tests.
"""

from __future__ import annotations

import re
import unicodedata

from mailbot.mail.headers import HEADER_VALUE_LIMIT, MAX_REFERENCES
from mailbot.mail.mime import FILENAME_LIMIT, MAX_PARTS
from mailbot.mail.parse import (
    HEAD_BYTES,
    LONG_HEAD_BYTES,
    TAIL_BYTES,
    TEXT_LIMIT,
    TEXT_PART_LIMIT,
    ParsedMessage,
)
from mailbot.media.imagehead import more_head_needed

# A dot-atom addr-spec in lower case and ASCII only: no quoted local part, no
# whitespace, no comment, no encoded word, no IP literal, no route.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
STRICT_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*", re.ASCII)
MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")
PART_NUMBER = re.compile(r"[1-9][0-9]*(?:\.[1-9][0-9]*)*")
HEADER_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")
BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unsafe_in_line(text: str) -> list[str]:
    """Characters a one-line display value must not carry: controls (CR, LF, NUL…),
    line/paragraph separators, lone surrogates, bidi overrides."""
    return [
        c
        for c in text
        if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or c in BIDI_OVERRIDES
    ]


def unsafe_in_filename(name: str) -> list[str]:
    """What a file name must not carry: path separators and every invisible character."""
    return [
        c for c in name if c in "/\\" or unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    ]


def assert_sane(parsed: ParsedMessage, raw: bytes) -> None:
    """Fail unless ``parsed`` is bounded and sanitised as parse.py promises."""
    assert MESSAGE_ID.fullmatch(parsed.message_id), parsed.message_id
    assert parsed.in_reply_to is None or MESSAGE_ID.fullmatch(parsed.in_reply_to)
    assert len(parsed.references) <= MAX_REFERENCES
    assert all(MESSAGE_ID.fullmatch(ref) for ref in parsed.references)
    assert parsed.date is None or parsed.date.tzinfo is not None

    if parsed.sender is None:
        assert parsed.sender_name == ""
    else:
        assert STRICT_ADDRESS.fullmatch(parsed.sender), parsed.sender
        # The address is written in the message as it is: never assembled or decoded.
        assert parsed.sender.encode("ascii") in raw.lower(), parsed.sender
    assert not unsafe_in_line(parsed.sender_name), parsed.sender_name
    assert not unsafe_in_line(parsed.subject), parsed.subject
    assert len(parsed.subject) <= HEADER_VALUE_LIMIT
    for name, value in parsed.headers:
        assert HEADER_NAME.fullmatch(name) and name == name.lower(), name
        assert not unsafe_in_line(value), (name, value)
        assert len(value) <= HEADER_VALUE_LIMIT, name

    assert not [c for c in unsafe_in_line(parsed.text) if c not in "\n\t"], parsed.text
    assert len(parsed.text) <= min(len(raw), MAX_PARTS * (TEXT_PART_LIMIT + 2), TEXT_LIMIT)

    assert not any(defect.startswith("ParserError") for defect in parsed.defects), parsed.defects
    assert not any(unsafe_in_line(defect) for defect in parsed.defects), parsed.defects

    assert len(parsed.attachments) <= MAX_PARTS
    for sample in parsed.attachments:
        assert PART_NUMBER.fullmatch(sample.part), sample.part
        assert not unsafe_in_filename(sample.filename), sample.filename
        assert sample.filename.strip() not in (".", ".."), sample.filename
        assert len(sample.filename) <= FILENAME_LIMIT
        assert not unsafe_in_line(sample.declared_type), sample.declared_type
        assert len(sample.tail) <= TAIL_BYTES
        # A head longer than HEAD_BYTES only for a JPEG whose first HEAD_BYTES asked for
        # it, and never longer than they asked (at most LONG_HEAD_BYTES).
        if len(sample.head) > HEAD_BYTES:
            needed = more_head_needed(sample.head[:HEAD_BYTES], LONG_HEAD_BYTES)
            assert needed is not None and len(sample.head) <= needed <= LONG_HEAD_BYTES
        assert sample.size >= max(len(sample.head), len(sample.tail))
