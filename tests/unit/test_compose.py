"""compose(): exact subject round trip, no header injection, threading headers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from mailbot.compose import MAX_REFERENCES, compose
from mailbot.render import RenderedMail

DATE = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TAG = "[T-000123]"


def build(
    subject: str = "Your return",
    *,
    to: str = "ana@example.com",
    html: str | None = "<p>Hi</p>",
    in_reply_to: str | None = "<orig@example.com>",
    references: Sequence[str] = ("<root@example.com>",),
    instance: str = "shop-1",
) -> bytes:
    return compose(
        rendered=RenderedMail(subject=subject, text="Hello Ana,\nbody\n", html=html),
        from_addr="Returns <returns@shop.example>",
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
