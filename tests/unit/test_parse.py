"""parse_message on real-world and hostile mail: decoding, structure, addresses."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.inbound.imap.partial import base64_decoded_size, line_width
from mailbot.mail.headers import MAX_REFERENCES, strict_sender
from mailbot.mail.htmltext import html_to_text
from mailbot.mail.mime import MAX_PARTS
from mailbot.mail.parse import (
    HEAD_BYTES,
    TAIL_BYTES,
    decode_base64_tail,
    decode_partial_base64,
    parse_message,
)


def crlf(text: str) -> bytes:
    """A message written with \\n lines, sent with CRLF as on the wire."""
    return text.replace("\n", "\r\n").encode("utf-8")


SIMPLE = crlf(
    "From: Alice Example <Alice@Example.COM>\n"
    "To: returns@shop.example\n"
    "Subject: =?utf-8?q?R=C3=BCcksendung_?= =?utf-8?b?QmVzdGVsbHVuZw==?=\n"
    "Message-ID: <abc123@example.com>\n"
    "In-Reply-To: <prev@shop.example>\n"
    "References: <first@shop.example>\n <prev@shop.example>\n"
    "Date: Tue, 24 Nov 2026 10:00:00 +0100\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Hello, the mug arrived broken.\n"
)


def multipart(*parts: str, subtype: str = "mixed", boundary: str = "BOUNDARY") -> str:
    """A multipart body from already formatted parts (headers, blank line, body)."""
    body = "".join(f"--{boundary}\n{part}\n" for part in parts)
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n{body}--{boundary}--\n'


def b64(data: bytes) -> str:
    """Base64 in 76-character lines, as mail clients write it."""
    return base64.encodebytes(data).decode("ascii")


def test_simple_headers_decoded() -> None:
    parsed = parse_message(SIMPLE)
    assert parsed.sender == "alice@example.com"
    assert parsed.sender_name == "Alice Example"
    assert parsed.subject == "Rücksendung Bestellung"
    assert parsed.message_id == "<abc123@example.com>"
    assert parsed.in_reply_to == "<prev@shop.example>"
    assert parsed.references == ("<first@shop.example>", "<prev@shop.example>")
    assert parsed.date == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert parsed.text == "Hello, the mug arrived broken."
    assert ("to", "returns@shop.example") in parsed.headers
    assert parsed.attachments == ()


def test_a_long_references_keeps_the_root_and_the_newest() -> None:
    ids = [f"<r{n}@example.com>" for n in range(80)]
    raw = SIMPLE.replace(
        b"References: <first@shop.example>\r\n <prev@shop.example>",
        b"References: " + " ".join(ids).encode(),
    )
    assert raw != SIMPLE
    refs = parse_message(raw).references
    assert refs == (ids[0], *ids[-(MAX_REFERENCES - 1) :])


def test_subject_whitespace_and_control_chars_removed() -> None:
    raw = crlf("From: a@b.example\nSubject: Re:\t  broken\x07 mug\n  folded\n\nx\n")
    assert parse_message(raw).subject == "Re: broken mug folded"


def test_no_break_spaces_in_a_subject_are_kept() -> None:
    # French writes a narrow no-break space before ":" "?" "!"; a number keeps its unit
    # with a no-break space. Folding, tabs and control characters still go.
    subject = "=?utf-8?q?Retour_commande_100231=E2=80=AF:_carte_HS=E2=80=AF!?="
    tail = "(5\u00a0V)\x07  \u2003pourquoi \u202f?"
    raw = crlf(f"From: a@b.example\nSubject: {subject}\n\t{tail}\n\nx\n")
    assert parse_message(raw).subject == (
        "Retour commande 100231\u202f: carte HS\u202f! (5\u00a0V) pourquoi\u202f?"
    )


def test_header_values_truncated() -> None:
    raw = crlf(f"From: a@b.example\nX-Long: {'y' * 5000}\n\nx\n")
    assert dict(parse_message(raw).headers)["x-long"] == "y" * 2000


def test_html_only_body_becomes_text() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<p>Hello&nbsp;there &amp; welcome</p><ul><li>one</li><li>two</li></ul>"
        "<script>alert(1)</script>Bye<br>now</body></html>"
    )
    raw = crlf(f"From: a@b.example\nContent-Type: text/html; charset=utf-8\n\n{html}\n")
    assert parse_message(raw).text == "Hello there & welcome\n\n- one\n- two\nBye\nnow"


def test_html_blockquote_lines_are_marked_as_quoted() -> None:
    # Gmail's and Apple Mail's HTML replies quote the history in a blockquote: its lines
    # read as "> " lines, so the reading step leaves them out of the customer's words.
    html = (
        "<div>It is broken.</div><div class=gmail_quote><div>On Tue, Desk &lt;r@s.example&gt;"
        " wrote:<br></div><blockquote>Which case?<br>Defect or <b>wrong</b> item?</blockquote>"
        "</div><p>Sent from the shop</p>"
    )
    raw = crlf(f"From: a@b.example\nContent-Type: text/html; charset=utf-8\n\n{html}\n")
    assert parse_message(raw).text == (
        "It is broken.\n\nOn Tue, Desk <r@s.example> wrote:\n\n> Which case?\n"
        "> Defect or wrong item?\n\nSent from the shop"
    )


def test_alternative_prefers_plain_over_html() -> None:
    body = multipart(
        "Content-Type: text/plain\n\nplain words",
        "Content-Type: text/html\n\n<p>html words</p>",
        subtype="alternative",
    )
    parsed = parse_message(crlf(f"From: a@b.example\n{body}"))
    assert parsed.text == "plain words"


def test_nested_multipart_and_forwarded_message_with_attachment() -> None:
    inner = "From: shop@vendor.example\nSubject: your order\n" + multipart(
        "Content-Type: text/plain\n\nforwarded text",
        "Content-Type: application/pdf; name=invoice.pdf\nContent-Transfer-Encoding: base64\n\n"
        + b64(b"%PDF-1.4 fake"),
        boundary="INNER",
    )
    outer = multipart(
        multipart(
            "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding:"
            " quoted-printable\n\nSee below, gr=FC=DFe",
            "Content-Type: text/html\n\n<p>See below</p>",
            subtype="alternative",
            boundary="ALT",
        ),
        "Content-Type: message/rfc822\n\n" + inner,
    )
    parsed = parse_message(crlf(f"From: a@b.example\n{outer}"))
    assert parsed.text == "See below, grüße\n\nforwarded text"
    [attachment] = parsed.attachments
    assert attachment.part == "2.2"
    assert attachment.filename == "invoice.pdf"
    assert attachment.declared_type == "application/pdf"
    assert attachment.head == b"%PDF-1.4 fake"
    assert attachment.size == len(b"%PDF-1.4 fake")


def test_attachment_head_tail_and_size() -> None:
    data = bytes(range(256)) * 400  # 100 KiB, longer than HEAD_BYTES
    body = multipart(
        "Content-Type: text/plain\n\nsee attachment",
        'Content-Type: image/jpeg\nContent-Disposition: attachment; filename="a.jpg"\n'
        "Content-Transfer-Encoding: base64\n\n" + b64(data),
    )
    [sample] = parse_message(crlf(f"From: a@b.example\n{body}")).attachments
    assert (sample.part, sample.size) == ("2", len(data))
    assert sample.head == data[:HEAD_BYTES]
    assert sample.tail == data[-TAIL_BYTES:]


def test_text_attachment_and_named_text_part_are_attachments() -> None:
    body = multipart(
        "Content-Type: text/plain\n\nbody",
        "Content-Type: text/plain\nContent-Disposition: attachment\n\nlog file",
        'Content-Type: text/csv; name="data.csv"\n\na,b',
    )
    parsed = parse_message(crlf(f"From: a@b.example\n{body}"))
    assert parsed.text == "body"
    assert [a.filename for a in parsed.attachments] == ["", "data.csv"]


def test_filename_sanitised() -> None:
    body = multipart(
        "Content-Type: application/octet-stream\nContent-Disposition: attachment;"
        ' filename="../../etc/\x01pass\u202ewd.exe"',
        "Content-Type: application/octet-stream\nContent-Disposition: attachment;"
        " filename*=utf-8''..%5C..%5Cr%C3%A9sum%C3%A9.pdf",
        'Content-Type: application/octet-stream; name="=?utf-8?q?Foto_=C3=BC.jpg?="',
        f'Content-Type: application/octet-stream; name="{"x" * 300}.jpeg"',
    )
    names = [a.filename for a in parse_message(crlf(f"From: a@b.example\n{body}")).attachments]
    assert names[:3] == ["passwd.exe", "résumé.pdf", "Foto ü.jpg"]
    assert len(names[3]) == 200 and names[3].endswith("x.jpeg")


def test_rfc2231_continuations() -> None:
    body = multipart(
        "Content-Type: application/octet-stream\nContent-Disposition: attachment;\n"
        " filename*0*=utf-8''%C3%A4rger; filename*1=\"_long.txt\"",
    )
    [sample] = parse_message(crlf(f"From: a@b.example\n{body}")).attachments
    assert sample.filename == "ärger_long.txt"


def test_missing_boundary_keeps_text_and_records_defect() -> None:
    raw = crlf("From: a@b.example\nContent-Type: multipart/mixed\n\nplain words here\n")
    parsed = parse_message(raw)
    assert "plain words here" in parsed.text
    assert parsed.defects


def test_unknown_charset_falls_back() -> None:
    raw = (
        b"From: a@b.example\r\nContent-Type: text/plain; charset=x-klingon\r\n"
        b"\r\ngr\xc3\xbc\xc3\x9f\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.text == "grüß"
    assert any("UnknownCharset" in defect for defect in parsed.defects)


def test_eight_bit_headers_and_broken_encoded_words() -> None:
    raw = b"From: J\xc3\xb6rg <j@x.example>\r\nSubject: =?utf-8?q?broken=ZZ?= \xe4rger\r\n\r\nx"
    parsed = parse_message(raw)
    assert parsed.sender == "j@x.example"
    assert parsed.sender_name == "Jörg"
    assert "rger" in parsed.subject
    assert "NonAsciiHeader" in parsed.defects


def test_missing_message_id_gets_stable_synthetic_id() -> None:
    raw = crlf("From: a@b.example\nSubject: hi\n\nbody\n")
    first, second = parse_message(raw), parse_message(raw)
    assert first.message_id == second.message_id
    assert first.message_id.endswith("@mailbot.invalid>")
    other = parse_message(crlf("From: a@b.example\nSubject: hi!\n\nbody\n"))
    assert other.message_id != first.message_id
    # The same mail with LF line ends (e.g. from a Maildir) keeps its id.
    assert parse_message(raw.replace(b"\r\n", b"\n")).message_id == first.message_id


def test_date_without_zone_is_aware_and_bad_date_is_none() -> None:
    ok = parse_message(crlf("From: a@b.example\nDate: 1 Jan 2026 10:00:00 -0000\n\nx"))
    assert ok.date == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert parse_message(crlf("From: a@b.example\nDate: yesterday-ish\n\nx")).date is None


def test_too_many_parts_capped() -> None:
    parts = ["Content-Type: application/octet-stream\n\nx"] * (MAX_PARTS + 50)
    parsed = parse_message(crlf(f"From: a@b.example\n{multipart(*parts)}"))
    assert len(parsed.attachments) == MAX_PARTS
    assert "TooManyParts" in parsed.defects


def test_deep_nesting_capped() -> None:
    body = "Content-Type: text/plain\n\ndeep"
    for level in range(60):
        body = multipart(body, boundary=f"B{level}")
    parsed = parse_message(crlf(f"From: a@b.example\n{body}"))
    assert "NestingTooDeep" in parsed.defects
    assert parsed.text == ""


# -- sender address -------------------------------------------------------------------


def test_quoted_address_as_display_name_does_not_decide() -> None:
    assert strict_sender('"attacker@evil.com" <x@y.com>') == ("x@y.com", "attacker@evil.com")


def test_unquoted_address_before_angle_address_is_refused() -> None:
    assert strict_sender("alice@example.com<bob@evil.com>") == (None, "")
    assert strict_sender("alice@example.com <bob@evil.com>") == (None, "")


def test_cve_2023_27043_shapes_refused() -> None:
    for value in (
        "alice@example.org)<bob@example.org>",
        '"alice@example.org\\" <bob@example.org>',
        "bob@example.org, alice@example.org",
        "a@b.example <c@d.example>",
        "<a@b.example> <c@d.example>",
        "<a@b.example> trailing",
        "group: a@b.example;",
        "<@route.example:a@b.example>",
    ):
        assert strict_sender(value) == (None, ""), value


def test_encoded_word_inside_address_refused() -> None:
    assert strict_sender("=?utf-8?q?bob?=@evil.example")[0] is None
    assert strict_sender("Bob <=?utf-8?q?bob=40evil.example?=@good.example>")[0] is None


def test_plain_forms_accepted_and_lowercased() -> None:
    assert strict_sender("Bob.Smith+tag@Example.COM") == ("bob.smith+tag@example.com", "")
    assert strict_sender("Bob (work) <bob@example.com> (comment)") == ("bob@example.com", "Bob")
    assert strict_sender("=?utf-8?q?J=C3=B6rg?= <j@x.example>") == ("j@x.example", "Jörg")


def test_several_from_headers_or_addresses_give_none() -> None:
    raw = crlf("From: a@b.example\nFrom: c@d.example\n\nx")
    assert parse_message(raw).sender is None
    raw = crlf("From: a@b.example, c@d.example\n\nx")
    assert parse_message(raw).sender is None
    assert parse_message(crlf("Subject: no from\n\nx")).sender is None


# -- helpers --------------------------------------------------------------------------


def test_partial_base64_alignment() -> None:
    data = bytes(range(256)) * 10
    encoded = base64.encodebytes(data)
    assert (
        decode_partial_base64(encoded[:101])
        == data[: (len(encoded[:101].replace(b"\n", b"")) // 4) * 3]
    )
    tail = decode_base64_tail(encoded[-203:])
    assert data.endswith(tail) and len(tail) >= 140


# The regex implementation the bytes.translate one replaced: results must stay identical.
_OLD_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")


def _old_decode_partial_base64(data: bytes) -> bytes:
    clean = _OLD_NOT_BASE64.sub(b"", data)
    return _old_a2b(clean[: len(clean) // 4 * 4])


def _old_decode_base64_tail(data: bytes) -> bytes:
    clean = _OLD_NOT_BASE64.sub(b"", data)
    return _old_a2b(clean[len(clean) % 4 :])


def _old_a2b(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return b""


def _old_base64_decoded_size(encoded_size: int, head_raw: bytes, tail_raw: bytes) -> int:
    eol = b"\r\n" if b"\r\n" in head_raw else b"\n"
    lines = head_raw.split(eol)[:-1]
    body = tail_raw.rstrip()
    trailing = len(tail_raw) - len(body)
    last = len(body.rsplit(b"\n", 1)[-1].strip())
    padding = len(body) - len(body.rstrip(b"="))
    if lines and len({len(line) for line in lines}) == 1:
        width = len(lines[0])
        full, rest = divmod(encoded_size - trailing - last, width + len(eol))
        if rest == 0 and 0 < last <= width:
            return (full * width + last) // 4 * 3 - padding
    ratio = len(_old_decode_partial_base64(head_raw)) / max(1, len(head_raw))
    return int(encoded_size * ratio) - padding


_BASE64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# Mostly base64 with the bytes a sloppy or hostile encoder adds: whitespace, junk, 8-bit.
_NEAR_BASE64 = st.lists(
    st.sampled_from([*_BASE64_CHARS.encode(), *b" \t\r\n\x00\x7f\x80\xff-_.:*"]),
    max_size=600,
).map(bytes)


@st.composite
def _broken_base64(draw: st.DrawFn) -> bytes:
    """Real base64 of random bytes, line breaks and blanks inserted at random places,
    then cut at random ends as a partial FETCH cuts it."""
    encoded = bytearray(base64.b64encode(draw(st.binary(max_size=400))))
    for _ in range(draw(st.integers(0, 30))):
        position = draw(st.integers(0, len(encoded)))
        encoded[position:position] = draw(st.sampled_from([b"\n", b"\r\n", b" ", b"\t", b"\r"]))
    start = draw(st.integers(0, len(encoded)))
    end = draw(st.integers(start, len(encoded)))
    return bytes(encoded[start:end])


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=600), _NEAR_BASE64, _broken_base64()))
def test_base64_decoders_equal_the_regex_implementation(data: bytes) -> None:
    assert decode_partial_base64(data) == _old_decode_partial_base64(data)
    assert decode_base64_tail(data) == _old_decode_base64_tail(data)


@st.composite
def _base64_lines(draw: st.DrawFn) -> bytes:
    """Base64 in fixed-width lines (as encoders write it), sometimes with a line broken."""
    encoded = base64.b64encode(draw(st.binary(min_size=1, max_size=600)))
    width = draw(st.integers(1, 80))
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    lines = [encoded[i : i + width] for i in range(0, len(encoded), width)]
    if draw(st.booleans()):
        index = draw(st.integers(0, len(lines) - 1))
        lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
    return eol.join(lines) + eol


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(_base64_lines(), _NEAR_BASE64, st.binary(max_size=300)),
    st.one_of(st.none(), _base64_lines(), _NEAR_BASE64),
    st.data(),
)
def test_base64_decoded_size_equals_the_split_implementation(
    whole: bytes, other: bytes | None, data: st.DataObject
) -> None:
    # Head and tail of one part (None), as the IMAP reader sees them, or of unrelated data.
    head = whole[: data.draw(st.integers(0, len(whole)))]
    tail_source = whole if other is None else other
    tail = tail_source[data.draw(st.integers(0, len(tail_source))) :]
    size = data.draw(st.one_of(st.just(len(whole)), st.integers(0, 10**9)))
    expected = _old_base64_decoded_size(size, head, tail)
    assert base64_decoded_size(size, head, tail) == expected
    assert base64_decoded_size(size, head, tail, decode_partial_base64(head)) == expected


@settings(max_examples=1000, deadline=None)
@given(
    st.one_of(
        _base64_lines(),
        st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\r\n"]), max_size=40).map(b"".join),
        st.lists(st.sampled_from([b"abc\n", b"abc\r\n", b"ab\n", b"\n"]), max_size=20).map(
            b"".join
        ),
    ),
    st.sampled_from([b"\n", b"\r\n"]),
    st.data(),
)
def test_line_width_equals_the_split_implementation(
    whole: bytes, eol: bytes, data: st.DataObject
) -> None:
    text = whole[: data.draw(st.integers(0, len(whole)))]
    lines = text.split(eol)[:-1]
    expected = len(lines[0]) if lines and len({len(line) for line in lines}) == 1 else None
    assert line_width(text, eol) == expected


def test_base64_decoded_size_is_exact_for_fixed_width_lines() -> None:
    data = bytes(range(256)) * 40
    for encoded in (base64.encodebytes(data), base64.encodebytes(data).replace(b"\n", b"\r\n")):
        assert base64_decoded_size(len(encoded), encoded[:1000], encoded[-300:]) == len(data)
        assert base64_decoded_size(len(encoded), encoded[:1000], encoded[-300:], b"") == len(data)


def test_html_to_text_survives_broken_markup() -> None:
    assert (
        html_to_text("<p>unclosed <b>bold <div>block</p></i>&bogus;")
        == "unclosed bold\nblock\n&bogus;"
    )


# -- never raises ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_parse_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert parsed.message_id


VALID = crlf(
    "From: Alice <alice@example.com>\nSubject: =?utf-8?q?hi?=\nMessage-ID: <m@x>\n"
    + multipart(
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable"
        "\n\ngr=C3=BC=DF",
        'Content-Type: image/png\nContent-Disposition: attachment; filename="a.png"\n'
        "Content-Transfer-Encoding: base64\n\n" + b64(b"\x89PNG\r\n\x1a\n" + bytes(300)),
        "Content-Type: message/rfc822\n\nFrom: b@c.example\n\ninner",
    )
)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_parse_never_raises_on_mutated_messages(data: st.DataObject) -> None:
    raw = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 20))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            raw[position] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del raw[position : position + data.draw(st.integers(1, 50))]
        else:
            raw[position:position] = data.draw(
                st.sampled_from([b"\r\n", b"--BOUNDARY\r\n", b"=?", b'"', b"<", b"\x00", b"\xff"])
            )
        if not raw:
            break
    parse_message(bytes(raw))


def test_unquoted_parameter_values_end_like_dovecot_reads_them() -> None:
    # An IMAP server reports "my" for this sloppy header; both readers must agree.
    body = multipart(
        "Content-Type: image/jpeg\nContent-Disposition: attachment; filename=my photo.jpg"
    )
    [sample] = parse_message(crlf(f"From: a@b.example\n{body}")).attachments
    assert sample.filename == "my"


def test_a_declared_type_with_control_characters_is_cleaned() -> None:
    raw = crlf(
        "From: a@example.com\nSubject: x\n"
        + multipart(
            "Content-Type: text/\x0c\x1bhtml\x07\nContent-Disposition: attachment;"
            ' filename="a.txt"\n\nhello\n'
        )
    )
    [sample] = parse_message(raw).attachments
    assert sample.declared_type == "text/html"
