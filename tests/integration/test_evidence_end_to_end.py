"""Issue 16 end to end: real JPEG and HEIC photos (written as phones write them) in
requests APPENDed to a real Dovecot, `mailbot run --once`, replies and agent notices read
back from a real SMTP server. Copies of one photo count once, photos dated before the
delivery scan send a complete claim to an agent, screenshots are told from photos."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from functools import cache
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.demo import DemoOrder
from mailbot.store.orderscsv import COLUMNS
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, REPO, RMA, _text, _write_config
from tests.phone_media import phone_heic, phone_jpeg, scene, screenshot_png

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
MEDIA = REPO / "examples" / "media"
DEFECT = "The board arrived dead: it does not power on. Videos, photos and my statement attached."
WRONG = "I received the wrong item: a Raspberry Pi 4 instead of the Pi 5 I ordered."
# Ten HD sizes of one 4:3 picture, and the quality each copy is saved at.
SIZES = [(1280, 960), (1440, 1080), (1600, 1200), (1920, 1440), (2048, 1536),
         (2304, 1728), (2560, 1920), (2880, 2160), (3264, 2448), (4032, 3024)]  # fmt: skip
QUALITIES = [70, 92, 75, 88, 80, 95, 72, 85, 90, 78]
# Delivered 2 days ago and 6 days ago; the same photos, taken 4 days ago, come before
# the first delivery scan (by more than the 24-hour tolerance) and after the second.
TAKEN = NOW - timedelta(days=4)

Attachment = tuple[str, bytes, str]


def _order(number: int, delivered_days_ago: float) -> DemoOrder:
    return DemoOrder(
        order_id=str(number),
        customer_email=f"buyer{number}@example.com",
        product="STM32F407 development board",
        sku="STM32F407-DISC",
        quantity=1,
        payment_price=Decimal("49.90"),
        purchase_cost=Decimal("21.30"),
        export_postage=Decimal("9.80"),
        delivered_ago=timedelta(days=delivered_days_ago),
        tracking_number="00340434161234567801",
        carrier="DHL",
    )


def _request(number: int, text: str, attachments: list[Attachment], **more: str) -> bytes:
    return make_request(
        sender=f"Buyer {number} <buyer{number}@example.com>",
        subject=f"Order {number}: return request",
        body=f"Hello,\n\n{text}\n\nRegards\n",
        attachments=attachments,
        message_id=more.get("message_id", f"<req-{number}@example.com>"),
        in_reply_to=more.get("in_reply_to"),
    )


def _defect(photos: list[Attachment]) -> list[Attachment]:
    """Three videos, ``photos`` and the fault statement."""
    videos = [(p.name, p.read_bytes(), "video/mp4") for p in sorted(MEDIA.glob("video-0*.mp4"))]
    statement = MEDIA / "fault-statement.pdf"
    return [*videos, *photos, (statement.name, statement.read_bytes(), "application/pdf")]


@cache
def _jpeg_copies() -> list[Attachment]:
    """One photo resized to ten HD sizes, each saved again with a thumbnail of its own."""
    picture = scene(31)
    return [
        (f"IMG_{n:04d}.jpg", phone_jpeg(picture, size, quality=q, taken_at=TAKEN), "image/jpeg")
        for n, (size, q) in enumerate(zip(SIZES, QUALITIES, strict=True))
    ]


@cache
def _jpeg_photos(first_seed: int = 40, taken: datetime = TAKEN) -> list[Attachment]:
    """Ten different photos from one phone, taken at ``taken``."""
    return [
        (f"IMG_{n:04d}.jpg", phone_jpeg(scene(first_seed + n), (1600, 1200), taken_at=taken),
         "image/jpeg")
        for n in range(10)
    ]  # fmt: skip


@cache
def _heic_copies() -> list[Attachment]:
    picture = scene(32)
    return [
        (f"IMG_{n:04d}.HEIC", phone_heic(picture, size, quality=40 + 4 * n), "image/heic")
        for n, size in enumerate(SIZES)
    ]


@cache
def _heic_photos() -> list[Attachment]:
    return [
        (f"IMG_{n:04d}.HEIC", phone_heic(scene(40 + n), (1440, 1080)), "image/heic")
        for n in range(10)
    ]


def _setup(
    tmp_path: Path,
    account: ImapAccount,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    orders: list[DemoOrder],
) -> Path:
    """A config (SQLite) whose orders CSV also holds ``orders``; nothing in the inbox."""
    monkeypatch.setenv("TEST_IMAP_PASSWORD", account.password)
    config = _write_config(tmp_path, account, smtp, f"sqlite:///{tmp_path / 'db'}", NOW, only="")
    with (tmp_path / "demo" / "orders.csv").open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        for order in orders:
            writer.writerow(order.row(NOW))
    return config


def _replies(smtp: SmtpServer) -> dict[str, EmailMessage]:
    """Customer replies by the order number in their subject; agent notices by "agent"."""
    found: dict[str, EmailMessage] = {}
    for received in smtp.handler.received:
        msg = received.parsed()
        if msg["To"] == AGENT:
            found.setdefault(f"agent {msg['Subject']}", msg)
            continue
        number = re.search(r"\b9\d{5}\b", str(msg["Subject"]))
        assert number, msg["Subject"]
        found[f"{number.group(0)} {msg['In-Reply-To']}"] = msg
    return found


def _reply(replies: dict[str, EmailMessage], number: int, to: str = "") -> str:
    key = f"{number} <{to or f'req-{number}'}@example.com>"
    return _text(replies[key])


def test_copies_count_once_different_photos_each_jpeg_and_heic(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders = [_order(n, 5) for n in range(900001, 900005)]
    config = _setup(tmp_path, imap_account, smtp_server, monkeypatch, orders)
    imap_account.append(_request(900001, DEFECT, _defect(_jpeg_copies())))
    imap_account.append(_request(900002, DEFECT, _defect(_jpeg_photos())))
    imap_account.append(_request(900003, DEFECT, _defect(_heic_copies())))
    imap_account.append(_request(900004, DEFECT, _defect(_heic_photos())))
    appended = imap_account.bytes_sent_to_clients()
    assert main(["--config", str(config), "run", "--once"]) == 0
    replies = _replies(smtp_server)

    for number, ext in ((900001, "jpg"), (900003, "HEIC")):
        text = _reply(replies, number)
        assert not RMA.search(text), number
        assert "9 high-definition photos under ambient lighting (1 of 10 received)" in text
        for n in range(1, 10):
            assert f"IMG_{n:04d}.{ext} looks the same as IMG_0000.{ext}, so" in text, (number, n)
    for number in (900002, 900004):
        text = _reply(replies, number)
        assert RMA.search(text), text
    # Photos are judged from parts of them: the bot read a small share of the mail
    # (its session's summary is in Dovecot's log once the run has logged out).
    read = imap_account.bytes_sent_to_clients() - appended
    mail = sum(len(m) for m in imap_account.list_folder("Processed"))
    print(f"IMAP bytes read: {read} of {mail} bytes of mail")
    assert read > 0 and 4 * read < mail


def test_photos_dated_before_the_delivery_scan_go_to_an_agent_after_it_the_rma(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders = [_order(900005, 2), _order(900006, 6)]
    config = _setup(tmp_path, imap_account, smtp_server, monkeypatch, orders)
    photos = _jpeg_photos(60)
    imap_account.append(_request(900005, DEFECT, _defect(photos)))
    imap_account.append(_request(900006, DEFECT, _defect(photos)))
    assert main(["--config", str(config), "run", "--once"]) == 0
    replies = _replies(smtp_server)

    early = _reply(replies, 900005)
    assert not RMA.search(early) and "review it personally" in early
    assert RMA.search(_reply(replies, 900006))
    [notice] = [m for k, m in replies.items() if k.startswith("agent")]
    text = _text(notice)
    assert "10 photo(s) taken before the delivery scan" in str(notice["Subject"])
    assert "an agent reviews the claim" in text
    # One line per attachment with its verdict, so a person decides in one read.
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("- IMG_")]
    assert len(lines) == 10
    assert all("counted" in line and "TAKEN BEFORE DELIVERY" in line for line in lines)
    assert all("Apple iPhone 13" in line for line in lines)
    assert "- video-01.mp4 (video, 1.0 s): counted (videos of the fault" in text


def test_wrong_item_screenshot_and_package_photos_over_two_mails(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders = [_order(900007, 1), _order(900008, 1), _order(900009, 5)]
    config = _setup(tmp_path, imap_account, smtp_server, monkeypatch, orders)
    just_taken = _jpeg_photos(taken=NOW - timedelta(hours=2))
    package = just_taken[:2]
    screenshot = ("IMG_5001.PNG", screenshot_png(), "image/png")
    imap_account.append(_request(900007, WRONG, [screenshot, *package]))
    imap_account.append(_request(900008, WRONG, package))
    # A defect claim whose photos come in two mails; the second repeats one, resized.
    first, second = just_taken[:5], just_taken[5:9]
    again = ("again.jpg", phone_jpeg(scene(40), (2048, 1536), quality=80), "image/jpeg")
    imap_account.append(_request(900009, DEFECT, _defect(first)))
    assert main(["--config", str(config), "run", "--once"]) == 0
    replies = _replies(smtp_server)

    assert "Option 1, keep the item" in _reply(replies, 900007)
    only_photos = _reply(replies, 900008)
    assert "- 1 screenshot comparing the item received with your order\r\n" in only_photos
    assert "Already complete:\r\n- 2 photos or videos of the package from several" in only_photos

    follow_up = _request(
        900009, "Here are more photos.", [*second, again],
        message_id="<req-900009-2@example.com>",
        in_reply_to=str(replies["900009 <req-900009@example.com>"]["Message-ID"]),
    )  # fmt: skip
    imap_account.append(follow_up)
    assert main(["--config", str(config), "run", "--once"]) == 0
    text = _reply(_replies(smtp_server), 900009, "req-900009-2")
    assert "1 high-definition photo under ambient lighting (9 of 10 received)" in text
    assert "again.jpg looks the same as IMG_0000.jpg" in text
