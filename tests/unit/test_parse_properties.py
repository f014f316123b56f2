"""Property-based tests of the parser and its helpers, on arbitrary and mutated input.

test_parse.py already checks that parse_message does not raise; these check that what
it returns stays bounded and sanitised (mail_invariants.assert_sane), that a well-formed
message is read back exactly, and the sender, filename and tracking-number contracts.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
import urllib.parse
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.core.tracking import CarrierFormat, Tracking, find_tracking
from mailbot.inbound.imap.bodystructure import walk_bodystructure
from mailbot.mail.headers import strict_sender
from mailbot.mail.htmltext import html_to_text
from mailbot.mail.mime import (
    FILENAME_LIMIT,
    MAX_PARTS,
    LeafPart,
    charset_known,
    decode_words,
    leaf_filename,
    sanitise_filename,
)
from mailbot.mail.parse import HEAD_BYTES, decode_text_part, parse_message
from mailbot.patterns import compile_pattern
from mailbot.rulefiles import load_rulebook
from tests.unit.mail_invariants import (
    PART_NUMBER,
    STRICT_ADDRESS,
    assert_sane,
    unsafe_in_filename,
    unsafe_in_line,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CARRIERS = load_rulebook(Path(__file__).resolve().parents[2] / "rules").carrier_formats

# Pieces that make parsers stumble, for building hostile input more often than chance.
MIME_TOKENS = [
    b"\r\n", b"\n", b"\r", b"\r\n\r\n", b"--B\r\n", b"--B--\r\n", b"=?", b"?=", b"=?utf-8?q?",
    b'"', b"<", b">", b"(", b")", b"\\", b";", b"=", b"\x00", b"\xff", b"\xc3", b"From: ",
    b"Subject: ", b"Content-Type: multipart/mixed; boundary=B\r\n",
    b"Content-Type: message/rfc822\r\n", b"Content-Type: text/html\r\n",
    b"Content-Transfer-Encoding: base64\r\n", b"Content-Disposition: attachment; filename*0*=",
    b"<a x=", b"<!--", b"a@b.example",
]  # fmt: skip
FROM_TOKENS = [
    '"', "<", ">", "@", ",", ";", ":", "(", ")", "\\", " ", "\t", "\r\n ", ".", "[", "]",
    "alice@example.com", "mallory@evil.example", "=?utf-8?q?alice=40example.com?=",
    "=?utf-8?b?YWxpY2U=?=", "Alice", "ALICE@EXAMPLE.COM", "é", "\x00", "\u202e",
]  # fmt: skip


def hostile_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=2000),
        st.lists(st.sampled_from(MIME_TOKENS) | st.binary(max_size=8), max_size=60).map(b"".join),
    )


@SETTINGS
@given(hostile_bytes())
def test_anything_parses_bounded_and_sanitised(raw: bytes) -> None:
    assert_sane(parse_message(raw), raw)


# -- well-formed messages, read back exactly, then broken ------------------------------

WORDS = st.lists(st.text(string.ascii_letters, min_size=1, max_size=12), min_size=1, max_size=30)
BOUNDARY = st.text(string.ascii_letters + string.digits + "'()+_,-./:=? ", min_size=1, max_size=69)


@st.composite
def messages(draw: st.DrawFn) -> tuple[bytes, str, list[tuple[str, bytes]]]:
    """(raw message, its body text, its attachments) of a valid multipart message."""
    boundary = draw(BOUNDARY.filter(lambda b: not b.endswith(" ")))
    text = " ".join(draw(WORDS))
    encoding = draw(st.sampled_from(["7bit", "quoted-printable", "base64"]))
    body = {
        "7bit": text,
        "quoted-printable": binascii.b2a_qp(text.encode("utf-8")).decode("ascii"),
        "base64": base64.encodebytes(text.encode("utf-8")).decode("ascii"),
    }[encoding]
    parts = [f"Content-Type: text/plain\nContent-Transfer-Encoding: {encoding}\n\n{body}"]
    if draw(st.booleans()):  # an HTML alternative, which the plain text beats
        html = f"Content-Type: text/html\n\n<p>html {text}</p>"
        parts = [f'Content-Type: multipart/alternative; boundary="ALT"\n\n--ALT\n{parts[0]}\n'
                 f"--ALT\n{html}\n--ALT--"]  # fmt: skip
    files = st.tuples(st.text(max_size=40), st.binary(max_size=3000))
    attachments = draw(st.lists(files, max_size=4))
    for name, data in attachments:
        quoted = urllib.parse.quote(name.encode("utf-8"), safe="")
        parts.append(
            "Content-Type: application/octet-stream\n"
            f"Content-Disposition: attachment; filename*=utf-8''{quoted}\n"
            f"Content-Transfer-Encoding: base64\n\n{base64.encodebytes(data).decode('ascii')}"
        )
    mime = "".join(f"--{boundary}\n{part}\n" for part in parts) + f"--{boundary}--\n"
    headers = (
        f"From: Customer <customer@client.example>\nSubject: {text[:60]}\n"
        f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n\n'
    )
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    raw = (headers + mime).replace("\n", newline).encode("utf-8")
    return raw, text, attachments


@SETTINGS
@given(messages())
def test_well_formed_messages_read_back_exactly(
    message: tuple[bytes, str, list[tuple[str, bytes]]],
) -> None:
    raw, text, attachments = message
    parsed = parse_message(raw)
    assert_sane(parsed, raw)
    assert parsed.sender == "customer@client.example"
    assert parsed.text == text
    assert parsed.defects == ()
    assert [(a.filename, a.size, a.head) for a in parsed.attachments] == [
        (sanitise_filename(name), len(data), data[:HEAD_BYTES]) for name, data in attachments
    ]


@SETTINGS
@given(messages(), st.data())
def test_broken_messages_parse_bounded_and_sanitised(
    message: tuple[bytes, str, list[tuple[str, bytes]]], data: st.DataObject
) -> None:
    raw = bytearray(message[0])
    for _ in range(data.draw(st.integers(1, 8))):
        action = data.draw(st.sampled_from(["truncate", "flip", "delete", "duplicate", "insert"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if action == "truncate":
            del raw[at:]
        elif action == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255))
        elif action == "delete":
            del raw[at : at + data.draw(st.integers(1, 80))]
        elif action == "duplicate":  # a boundary line, a header line, whatever starts here
            end = raw.find(b"\n", at)
            raw[at:at] = raw[at : end + 1 if end >= 0 else len(raw)]
        else:
            raw[at:at] = data.draw(st.sampled_from(MIME_TOKENS))
    assert_sane(parse_message(bytes(raw)), bytes(raw))


# -- the sender ------------------------------------------------------------------------

FROM_VALUES = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(FROM_TOKENS) | st.text(max_size=4), max_size=20).map("".join),
)


@settings(max_examples=200, deadline=None)
@given(FROM_VALUES)
def test_strict_sender_gives_one_plain_address_or_none(value: str) -> None:
    address, name = strict_sender(value)
    if address is None:
        assert name == ""
        return
    assert STRICT_ADDRESS.fullmatch(address), address
    # The addr-spec as written (folding aside), never assembled from pieces.
    assert address in value.replace("\r", "").replace("\n", "").lower()
    assert not unsafe_in_line(name), name


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FROM_TOKENS[16:20]), st.text(max_size=20), st.text(max_size=20))
def test_display_name_never_supplies_the_address(display: str, before: str, after: str) -> None:
    # Whatever surrounds a display name that looks like an address, the address is
    # mallory's own or none at all.
    address, _ = strict_sender(f'{before}"{display}"{after} <mallory@evil.example>')
    assert address in (None, "mallory@evil.example")


# -- attachment names, charsets, HTML --------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_sanitised_filenames_are_safe(name: str) -> None:
    clean = sanitise_filename(name)
    assert not unsafe_in_filename(clean), clean
    assert clean.strip() not in (".", "..") and len(clean) <= FILENAME_LIMIT


PARAM_KEYS = st.sampled_from(["filename", "filename*", "filename*0", "filename*0*", "filename*1",
                              "filename*\u00b2", "filename*\u0661", "name", "name*"])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(PARAM_KEYS, st.text(max_size=30)), max_size=6))
def test_leaf_filename_never_raises_and_is_safe(params: list[tuple[str, str]]) -> None:
    leaf = LeafPart("1", "application/pdf", disposition="attachment",
                    disposition_params=tuple(params), params=tuple(params))  # fmt: skip
    assert not unsafe_in_filename(leaf_filename(leaf))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.binary(max_size=300), st.sampled_from(["plain", "html"]),
       st.sampled_from(["", "base64", "quoted-printable", "8bit", "x-bogus"]))  # fmt: skip
def test_any_charset_name_decodes(charset: str, payload: bytes, subtype: str, cte: str) -> None:
    charset_known(charset)
    text = decode_text_part(payload, cte, charset, subtype)
    assert "\x00" not in text and "\r" not in text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["=?", "?=", "?", "q", "b", "utf-8", "=C3", "=A9", "QQ", " ",
                                 "*en", "=", "x-unknown", "\u00e9"]) | st.text(max_size=3),
                max_size=30).map("".join))  # fmt: skip
def test_decode_words_never_raises(value: str) -> None:
    decoded = decode_words(value)
    if "=?" not in value:
        assert decoded == value


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<", ">", "</", "<!--", "-->", "<!", "<?", "&", "&#", ";",
                                 "a", "p", "script", "x=", "'", '"', " ", "\n", "\r"]),
                max_size=60).map("".join))  # fmt: skip
def test_html_to_text_never_raises(html: str) -> None:
    assert "\r" not in html_to_text(html)


# -- IMAP BODYSTRUCTURE ----------------------------------------------------------------

ATOMS = st.one_of(st.none(), st.integers(-5, 10**6), st.binary(max_size=12), st.text(max_size=6),
                  st.sampled_from([b"multipart", b"text", b"plain", b"message", b"rfc822",
                                   b"attachment", b"filename", b"base64", b"mixed"]))  # fmt: skip
STRUCTURES = st.recursive(
    ATOMS,
    lambda inner: st.lists(inner, max_size=10) | st.lists(inner, max_size=10).map(tuple),
    max_leaves=25,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STRUCTURES, max_size=10) | st.lists(STRUCTURES, max_size=10).map(tuple))
def test_walk_bodystructure_never_raises(structure: list[object] | tuple[object, ...]) -> None:
    leaves, _ = walk_bodystructure(structure)
    assert len(leaves) <= MAX_PARTS
    for planned in leaves:
        assert PART_NUMBER.fullmatch(planned.leaf.part), planned.leaf.part
        assert not unsafe_in_filename(leaf_filename(planned.leaf))


# -- tracking numbers ------------------------------------------------------------------

TRACKING_TEXT = st.lists(
    st.sampled_from(["RR123456789CN", "123456789012", "JJD0123456789012345", "1234567890",
                     "ſ", "ı", "ß", "ﬁ", "K", "İ", "rr", "cn", " ", "\n", "-"])
    | st.text(string.ascii_letters + string.digits, max_size=12) | st.text(max_size=3),
    max_size=12,
).map("".join)  # fmt: skip
OWN_CARRIER = CarrierFormat("own", accepted=True, patterns=(compile_pattern(r"S\d{10}"),))


@settings(max_examples=200, deadline=None)
@given(TRACKING_TEXT, st.data())
def test_find_tracking_returns_a_number_from_the_text(text: str, data: st.DataObject) -> None:
    # Some of the numbers written, in any case, are excluded (an order or RMA number).
    candidates = text.split() or ["RR123456789CN"]
    excluded = data.draw(st.lists(st.sampled_from(candidates), max_size=3))
    exclude = tuple(data.draw(st.sampled_from([c, c.lower(), c.upper()])) for c in excluded)
    found = find_tracking(text, (*CARRIERS, OWN_CARRIER), exclude)
    if found is None:
        return
    # Written in one piece, or in groups one space or hyphen apart ("1234 5678 9012").
    assert found.number.lower() in re.sub(r"(?<=[^\W_]) |(?<=[^\W_])-", "", text.lower())
    assert found.number.upper() not in {x.upper() for x in exclude}
    if found.carrier is None:
        assert sum(c.isdigit() for c in found.number) >= 8
    else:
        assert any(p.fullmatch(found.number) for p in found.carrier.patterns)


def test_find_tracking_does_not_invent_letters() -> None:
    # "ſ".upper() == "S": upper-casing the whole text read "ſ1234567890" as S1234567890.
    assert find_tracking("ſ1234567890", (OWN_CARRIER,)) == Tracking("1234567890", None)


def test_find_tracking_excludes_in_any_case() -> None:
    assert find_tracking("RR123456789CN", CARRIERS, ("rr123456789cn",)) is None
