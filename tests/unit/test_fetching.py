"""mailbot's reading of FETCH answers against IMAPClient's own, on imaplib's records.

Each case is what imaplib hands over for one UID FETCH: lines, and (line ending in
``{n}``, literal) pairs. Both readings must give the same dict with the same types, or
both refuse the answer. Answers read from a real Dovecot go through the reader in
tests/integration/test_inbox_imap.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from imapclient.exceptions import ProtocolError
from imapclient.response_parser import parse_fetch_response

from mailbot.inbound.imap.fetching import parse_fetch

STRUCTURE = (
    b'1 (UID 7 RFC822.SIZE 123456 BODYSTRUCTURE ((("text" "plain" ("charset" "utf-8") NIL'
    b' NIL "quoted-printable" 312 9 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL'
    b' NIL "7bit" 600 12 NIL NIL NIL NIL) "alternative" ("boundary" "b1") NIL NIL NIL)'
    b'("video" "mp4" ("name" "clip 1.mp4") NIL NIL "base64" 4000000 NIL ("attachment"'
    b' ("filename" "clip 1.mp4")) NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 900'
    b' (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii")'
    b' NIL NIL "7bit" 20 1 NIL NIL NIL NIL) 30 NIL NIL NIL NIL) "mixed" ("boundary" "b0")'
    b" NIL NIL NIL)"
)

CASES: dict[str, list[Any]] = {
    "a multipart structure, nested, with a message/rfc822": [STRUCTURE + b")"],
    "a single-part structure": [
        b'2 (UID 8 BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 0 0 NIL NIL NIL NIL))'
    ],
    "literals: header block and part heads": [
        (b"3 (UID 9 BODY[HEADER] {19}", b"Subject: hi\r\nX: y\r\n"),
        (b" BODY[2]<0> {4}", b"\x00\x01()"),
        (b' BODY[2]<4000> "" BODY[1] {0}', b""),
        b")",
    ],
    "two messages, and an unsolicited FLAGS for the first": [
        b"4 (UID 10 RFC822.SIZE 5)",
        b"5 (UID 11 RFC822.SIZE 0)",
        b"4 (FLAGS (\\Seen $Forwarded) UID 10)",
    ],
    "escapes in quoted strings": [
        b'6 (UID 12 BODY[1] "a \\"quoted\\" back\\\\slash \\n kept")',
    ],
    "numbers: leading zeros stay bytes, NIL is None, quoted NIL stays": [
        b'7 (UID 13 X-A 007 X-B 0 X-C NIL X-D "NIL" X-E 12abc)',
    ],
    "brackets holding spaces and parentheses": [
        b"8 (UID 14 BODY[HEADER.FIELDS (FROM TO)] NIL)",
    ],
    "lower-case item names and odd whitespace": [
        b'9 (uid 15 rfc822.size\t44  bodystructure ("text" "plain" NIL NIL NIL NIL 1 1))',
    ],
    "a percent sign and an 8-bit filename": [
        b'10 (UID 16 X-A % BODY[1] "na\xc3\xafve.pdf")',
    ],
    "empty": [None],
}

BROKEN: dict[str, list[Any]] = {
    "an unterminated quote": [b'1 (UID 7 BODY[1] "abc)'],
    "an unterminated bracket": [b"1 (UID 7 BODY[1 NIL)"],
    "a literal marker without its literal": [b"1 (UID 7 BODY[1] {3})"],
    "a literal of the wrong length": [(b"1 (UID 7 BODY[1] {3}", b"ab"), b")"],
    "an uneven item list": [b"1 (UID 7 BODY[1])"],
    "no message number": [b"(UID 7)"],
    "a missing closing parenthesis": [b"1 (UID 7 X (1 2)"],
    "a word running into a quote": [b'1 (UID 7 X ab"c")'],
}


def typed(value: Any) -> Any:
    """The value with the type of every atom spelled out, so 1 and b"1" differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(item) for item in value])
    return (type(value).__name__, value)


@pytest.mark.parametrize("records", CASES.values(), ids=CASES.keys())
def test_the_same_answer_as_imapclient(records: list[Any]) -> None:
    expected = dict(parse_fetch_response(records, True, True))
    assert typed(parse_fetch(records)) == typed(expected)


def test_bodystructure_is_imapclients_body_data() -> None:
    found = parse_fetch([STRUCTURE + b")"])[7][b"BODYSTRUCTURE"]
    assert found.is_multipart
    assert found[1] == b"mixed"


@pytest.mark.parametrize("records", BROKEN.values(), ids=BROKEN.keys())
def test_refuses_what_imapclient_refuses(records: list[Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_fetch_response(records, True, True)
    with pytest.raises(ProtocolError):
        parse_fetch(records)
