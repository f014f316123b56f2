"""compose(): exact subject round trip, no header injection, threading headers, and the
written bytes (line ends, line lengths, quoted-printable bodies) parse back exactly."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.outbound.compose import MAX_REFERENCES, compose
from mailbot.outbound.render import RenderedMail
from mailbot.store.outbox import own_header

DATE = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TAG = "[T-000123]"


def build(
    subject: str = "Your return",
    *,
    to: str = "ana@example.com",
    text: str = "Hello Ana,\nbody\n",
    html: str | None = "<p>Hi</p>",
    from_addr: str = "Returns <returns@shop.example>",
    in_reply_to: str | None = "<orig@example.com>",
    references: Sequence[str] = ("<root@example.com>",),
    instance: str = "shop-1",
) -> bytes:
    return compose(
        rendered=RenderedMail(subject=subject, text=text, html=html),
        from_addr=from_addr,
        to_addr=to,
        message_id="<mailbot.abc@shop.example>",
        subject_tag=TAG,
        in_reply_to=in_reply_to,
        references=references,
        instance=instance,
        date=DATE,
    )


def parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


LONG_SUBJECTS = [
    "退货申请：您的订单 100231 已收到 请在十四天内寄回 "
    "商品 申请 退货 以及 所有 配件 和 原包装 谢谢",
    "Ihre Rücksendung für Bestellung 100231: Größe passt nicht – bitte schicken Sie "
    "die Ware innerhalb von 14 Tagen zurück, Rücksendenummer folgt",
    "🎉 Rückgabe genehmigt 📦 RMA048213370 😀 bitte 📦 gut verpacken 🎉 und 日本語 テキスト 👨‍👩‍👧",
    "Größe 申请 über-lange-Wörter-mit-Bindestrich 申请 📦 😀😀😀 🎉 xxxxxxxxxxxxxxxxxxxx Ünïcödé",
    "a " * 60 + "ä",
    "Literal =?utf-8?q?not_an_encoded_word?= stays literal",
]


@pytest.mark.parametrize("subject", LONG_SUBJECTS)
def test_long_non_ascii_subject_round_trips_exactly(subject: str) -> None:
    raw = build(subject)
    assert parse(raw)["Subject"] == f"{subject} {TAG}"
    # Every physical line fits SMTP's recommended limit.
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_no_break_spaces_survive_in_the_subject() -> None:
    # French subjects: a narrow no-break space before ":" "?" "!" (as the catalogs write).
    subject = "Votre demande de retour pour la commande 100231\u202f: une pièce manque\u202f!"
    assert parse(build(f"{subject}\u00a0\t\u2003")).get("Subject") == f"{subject} {TAG}"
    # A run of spaces that holds a no-break space is that no-break space.
    kept = parse(build("Re:\u00a0 \u00a05\u00a0V \u202f?"))["Subject"]
    assert kept == f"Re:\u00a05\u00a0V\u202f? {TAG}"


def test_crlf_line_ends() -> None:
    raw = build()
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_tag_is_not_duplicated() -> None:
    assert parse(build(f"Re: {TAG} broken board"))["Subject"] == f"Re: {TAG} broken board"


@pytest.mark.parametrize(
    "subject",
    [
        "Hi\r\nBcc: x@y.example",
        "Hi\nBcc: x@y.example",
        "Hi\rBcc: x@y.example",
        "Hi\x00\x0bBcc: x@y.example",
        "Hi\u2028Bcc: x@y.example",
        "Hä\r\nBcc: x@y.example",
    ],
)
def test_subject_injection_is_neutralised(subject: str) -> None:
    raw = build(subject)
    msg = parse(raw)
    assert msg["Bcc"] is None
    assert b"\r\nBcc:" not in raw
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert "Bcc: x@y.example" in msg["Subject"]  # kept as harmless text


def test_recipient_injection_is_refused() -> None:
    with pytest.raises(ValueError):
        build(to="ana@example.com\r\nBcc: x@y.example")
    with pytest.raises(ValueError):
        build(to="ana@example.com, eve@example.com")


def test_instance_and_references_are_sanitised() -> None:
    msg = parse(build(instance="a\r\nBcc: x@y", references=["<r@x>\r\nBcc: z@y", "junk"]))
    assert msg["Bcc"] is None
    assert msg["X-Mailbot-Loop"] == "a Bcc: x@y"
    assert msg["References"] == "<r@x> <orig@example.com>"


def test_threading_and_robot_headers() -> None:
    msg = parse(build())
    assert msg["Message-ID"] == "<mailbot.abc@shop.example>"
    assert msg["In-Reply-To"] == "<orig@example.com>"
    assert msg["References"] == "<root@example.com> <orig@example.com>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Mailbot-Loop"] == "shop-1"
    assert msg["Precedence"] is None
    assert msg["Date"] == "Thu, 26 Nov 2026 10:00:00 +0000"


def test_no_parent_no_threading_headers() -> None:
    msg = parse(build(in_reply_to=None, references=()))
    assert msg["In-Reply-To"] is None and msg["References"] is None


def test_references_are_capped_keeping_first_and_last() -> None:
    chain = [f"<m{i}@example.com>" for i in range(30)]
    refs = str(parse(build(references=chain, in_reply_to="<m30@example.com>"))["References"])
    ids = refs.split()
    assert len(ids) == MAX_REFERENCES
    assert ids[0] == "<m0@example.com>"
    assert ids[-1] == "<m30@example.com>"
    assert ids[-2] == "<m29@example.com>"


def test_text_and_html_alternative() -> None:
    msg = parse(build())
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    # The parser keeps the CRLF line ends of the wire format.
    assert text.get_content().replace("\r\n", "\n") == "Hello Ana,\nbody\n"
    assert html.get_content().strip() == "<p>Hi</p>"


def test_text_only() -> None:
    msg = parse(build(html=None))
    assert msg.get_content_type() == "text/plain"


def test_bad_message_id_is_refused() -> None:
    with pytest.raises(ValueError):
        compose(
            rendered=RenderedMail("s", "t"),
            from_addr="a@b.example",
            to_addr="c@d.example",
            message_id="no-brackets",
            subject_tag=TAG,
            in_reply_to=None,
            references=(),
            instance="i",
            date=DATE,
        )


# --- The bytes as written: every header and body round-trips through a parser. ---

FROM_NAME = "Jürgen vom Shop"
REFS = [f"<m{i}.20261126.{'x' * 20}@customer.example>" for i in range(12)]


def compose_with(
    text: str = "Hello Ana,\nbody\n",
    html: str | None = "<p>Hi</p>\n",
    *,
    subject: str = "Ihre Rücksendung – Größe 申请",
    from_addr: str = f"{FROM_NAME} <returns@shop.example>",
    references: Sequence[str] = (),
    in_reply_to: str | None = "<orig@example.com>",
    instance: str = "shop-1",
) -> bytes:
    """A reply with non-ASCII subject and sender by default (see build)."""
    return build(subject, text=text, html=html, from_addr=from_addr, references=references,
                 in_reply_to=in_reply_to, instance=instance)  # fmt: skip


def lines_of(raw: bytes) -> list[bytes]:
    """The physical lines, after checking that each one ends in CRLF."""
    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    assert not any(b"\r" in line or b"\n" in line for line in lines)
    return lines


def header_lines(raw: bytes) -> list[bytes]:
    return lines_of(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n")


def body_lines(raw: bytes) -> list[bytes]:
    """The physical lines of each part's quoted-printable body."""
    msg = parse(raw)
    parts = list(msg.iter_parts()) if msg.is_multipart() else [msg]
    found = []
    for part in parts:
        payload = part.get_payload()
        assert isinstance(payload, str)
        found += payload.encode("ascii").split(b"\r\n")
    return found


def unfolded(raw: bytes, name: bytes) -> str:
    """The raw value of header ``name``, unfolded, still encoded."""
    block = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ")
    [line] = [x for x in block.split(b"\r\n") if x.lower().startswith(name.lower() + b":")]
    return line.split(b":", 1)[1].strip().decode("utf-8")


def text_and_html(msg: EmailMessage) -> tuple[str, str]:
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_headers_decode_back_to_what_was_given() -> None:
    raw = compose_with(references=REFS[:9])
    msg = parse(raw)
    [sender] = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (FROM_NAME, "returns@shop.example")
    assert msg["To"] == "ana@example.com"
    assert msg["Subject"] == f"Ihre Rücksendung – Größe 申请 {TAG}"
    assert msg["Message-ID"] == "<mailbot.abc@shop.example>"
    assert msg["In-Reply-To"] == "<orig@example.com>"
    assert str(msg["References"]).split() == [*REFS[:9], "<orig@example.com>"]
    assert msg["Date"] == "Thu, 26 Nov 2026 10:00:00 +0000"
    assert msg["MIME-Version"] == "1.0"
    assert b"MIME-Version" not in raw.split(b"\r\n\r\n", 1)[1]  # once, at the top


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=120))
def test_the_store_reads_our_subject_and_from_as_email_decodes_them(subject: str) -> None:
    raw = build(subject, from_addr="Shop Returns <returns@shop.example>")
    head = raw[: raw.find(b"\r\n\r\n")]
    for name in (b"From", b"Subject"):
        [line] = re.findall(rb"^" + name + rb": ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.M)
        value = line.replace(b"\r\n", b"").decode()
        assert own_header(head, name) == str(make_header(decode_header(value)))


def test_references_are_folded_onto_continuation_lines() -> None:
    raw = compose_with(references=REFS)
    lines = header_lines(raw)
    start = next(i for i, line in enumerate(lines) if line.startswith(b"References:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(b" "))
    assert end - start > 1  # folded: one or more continuation lines
    assert all(line.startswith(b" <") for line in lines[start + 1 : end])
    refs = str(parse(raw)["References"]).split()
    assert refs == [REFS[0], *REFS[-(MAX_REFERENCES - 2) :], "<orig@example.com>"]
    assert all(len(line) <= 78 for line in lines)


def test_headers_stay_short_and_body_lines_within_76() -> None:
    raw = compose_with("x" * 3000 + "\n" + "ä" * 500, "<p>" + "y" * 3000 + "</p>", references=REFS)
    assert all(len(line) <= 78 for line in header_lines(raw))
    assert all(len(line) <= 998 for line in lines_of(raw))
    assert all(len(line) <= 76 for line in body_lines(raw))


@pytest.mark.parametrize(
    ("from_addr", "name"),
    [
        ("Returns <returns@shop.example>", "Returns"),
        ('"Shop, Returns" <returns@shop.example>', "Shop, Returns"),
        ("Shop.Returns <returns@shop.example>", "Shop.Returns"),
        ("returns@shop.example", ""),
        ("Jürgen <returns@shop.example>", "Jürgen"),
        ("申请 退货 <returns@shop.example>", "申请 退货"),
        ("=?utf-8?q?J=C3=BCrgen?= <returns@shop.example>", "Jürgen"),
    ],
)
def test_from_display_name_round_trips(from_addr: str, name: str) -> None:
    raw = compose_with(from_addr=from_addr)
    [sender] = parse(raw)["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (name, "returns@shop.example")
    assert all(len(line) <= 78 for line in header_lines(raw))


def test_long_display_name_is_folded_encoded_words() -> None:
    name = "Kundenservice Rücksendungen und Reklamationen 申请 退货 " * 4
    raw = compose_with(from_addr=f"{name} <returns@shop.example>")
    assert all(len(line) <= 78 for line in header_lines(raw))
    # RFC 2047 decoding (whitespace between encoded words is not text). Python's
    # address parser, unlike mail clients, shows a space where a word was split.
    decoded = str(make_header(decode_header(unfolded(raw, b"From"))))
    assert decoded == f"{name.strip()} <returns@shop.example>"


def test_encoded_display_name_cannot_inject_a_header() -> None:
    msg = parse(compose_with(from_addr='"=?utf-8?q?x=0D=0ABcc:_y?=" <returns@shop.example>'))
    assert msg["Bcc"] is None
    assert msg["From"].addresses[0].display_name == "x Bcc: y"


def test_non_ascii_instance_round_trips() -> None:
    instance = "Lager Süd – 申请 " * 5
    raw = compose_with(instance=instance)
    assert parse(raw)["X-Mailbot-Loop"] == instance.strip()
    assert all(len(line) <= 78 for line in header_lines(raw))


def test_unusable_message_ids_are_dropped() -> None:
    long_id = "<" + "a" * 890 + "@example.com>"
    msg = parse(compose_with(references=["<ü@example.com>", long_id], in_reply_to=None))
    assert msg["References"] is None
    fits = "<" + "a" * 880 + "@example.com>"
    raw = compose_with(references=[fits])
    assert all(len(line) <= 998 for line in lines_of(raw))
    assert str(parse(raw)["References"]).split() == [fits, "<orig@example.com>"]


TRICKY_TEXTS = [
    "x" * 500 + "\nshort\n",
    ".\n.dot\n..two\n.\n",
    "From here\nFrom: x\n>From there\nFrom\n",
    "trailing  \nspaces\t\n  \n\t\nend   ",
    "Grüße 申请 😀 ü\u00a0é\u200bx\n",
    "a=b ==\n=3D\n=\n=?utf-8?q?x?=\n",
    "no final newline",
    "\n\nblank lines around\n\n\n",
    "a" * 74 + " \n" + "a" * 75 + "\t\n" + "a" * 75 + " ",
    "." * 200 + "\n" + "From " * 40 + "\n" + ("x" * 75 + ".") * 3,
    "x" * 75 + "\nFrom " + "y" * 71 + "\n" + "z" * 75 + "=From =.",
    "mixed\r\nline\rends\n",
    "",
]


def normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def assert_body_lines_safe(raw: bytes) -> None:
    for line in body_lines(raw):
        assert len(line) <= 76, line
        assert not line.startswith((b".", b"From ")), line


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tricky_text_round_trips_exactly(text: str) -> None:
    html = f"<pre>{text}</pre>"
    raw = compose_with(text, html)
    lines_of(raw)
    assert_body_lines_safe(raw)
    got_text, got_html = text_and_html(parse(raw))
    assert normalised(got_text) == normalised(text)
    assert normalised(got_html) == normalised(html)


@pytest.mark.parametrize("text", [*TRICKY_TEXTS, *("w" * n for n in range(70, 82))])
def test_text_only_round_trips_exactly(text: str) -> None:
    raw = compose_with(text, None)
    lines_of(raw)  # ends in CRLF even when the text does not end in a line end
    assert_body_lines_safe(raw)
    msg = parse(raw)
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert normalised(str(msg.get_content())) == normalised(text)


def test_boundary_is_fresh_and_not_in_the_parts() -> None:
    first, second = compose_with(), compose_with()
    boundary = parse(first).get_boundary()
    assert boundary and boundary != parse(second).get_boundary()
    assert first.count(boundary.encode("ascii")) == 4  # header, two parts, close


@settings(max_examples=300, deadline=None)
@given(text=st.text(), html=st.one_of(st.none(), st.text()))
def test_any_unicode_body_round_trips(text: str, html: str | None) -> None:
    raw = compose_with(text, html)
    lines_of(raw)
    assert_body_lines_safe(raw)
    msg = parse(raw)
    if html is None:
        assert normalised(str(msg.get_content())) == normalised(text)
    else:
        got_text, got_html = text_and_html(msg)
        assert normalised(got_text) == normalised(text)
        assert normalised(got_html) == normalised(html)
