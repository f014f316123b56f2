"""Tests of the demo builder and the customer email factory (mailbot.demo)."""

from __future__ import annotations

import csv
import email
import email.policy
import mailbox
import tomllib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.core.model import Scenario
from mailbot.core.ordernumber import find_numbers
from mailbot.demo import MARKER, build_demo, demo_orders, demo_requests
from mailbot.reading import read
from mailbot.rulefiles import load_rulebook
from mailbot.store.orderscsv import COLUMNS
from mailbot.testing import make_request

REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

# Attachments per demo request: a..o.
EXPECTED_ATTACHMENTS = {
    "a": 14,
    "b": 13,
    "c": 14,
    "d": 14,
    "e": 3,
    "f": 3,
    "g": 2,
    "h": 14,
    "i": 0,
    "j": 0,
    "k": 1,
    "l": 3,
    "m": 2,
    "n": 0,
    "o": 1,
}
# The requests written in another language than English, and that language.
LANGUAGES = {"l": "de", "m": "fr", "n": "es", "o": "zh"}


def _parse(raw: bytes) -> EmailMessage:
    """Parse raw bytes into a modern EmailMessage."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _inbox_messages(config: Path) -> dict[str, EmailMessage]:
    """Demo inbox messages keyed by their demo letter (from the Message-ID)."""
    box = mailbox.Maildir(config.parent / "inbox", create=False)
    messages = {}
    for key in box.iterkeys():
        message = _parse(box.get_bytes(key))
        letter = str(message["Message-ID"]).split("-")[1]
        messages[letter] = message
    return messages


def test_build_creates_layout(tmp_path: Path) -> None:
    config = build_demo(tmp_path / "demo", NOW, REPO_ROOT)
    target = config.parent
    assert config == tmp_path / "demo" / "config.toml"
    assert (target / MARKER).is_file()
    assert (target / "outbox").is_dir() and not any((target / "outbox").iterdir())
    assert (target / "orders.csv").is_file()


def test_inbox_holds_every_request_with_expected_attachments(tmp_path: Path) -> None:
    messages = _inbox_messages(build_demo(tmp_path / "demo", NOW, REPO_ROOT))
    assert len(messages) == len(demo_requests()) == 15
    for letter, message in messages.items():
        attachments = list(message.iter_attachments())
        assert len(attachments) == EXPECTED_ATTACHMENTS[letter], letter
        assert message.get_body(("plain",)) is not None
        assert message["To"] == "returns@shop.example"
        assert message["Date"].datetime <= NOW


def test_attachments_keep_bytes_and_declare_type_by_name(tmp_path: Path) -> None:
    messages = _inbox_messages(build_demo(tmp_path / "demo", NOW, REPO_ROOT))
    media = REPO_ROOT / "examples" / "media"
    for part in messages["c"].iter_attachments():
        name = part.get_filename()
        assert name is not None
        assert part["Content-Transfer-Encoding"] == "base64"
        assert part.get_payload(decode=True) == (media / name).read_bytes()
    declared = {p.get_filename(): p.get_content_type() for p in messages["c"].iter_attachments()}
    assert declared["not-a-video.mp4"] == "video/mp4"
    assert declared["photo-small-01.jpg"] == "image/jpeg"
    assert declared["fault-statement.pdf"] == "application/pdf"


def test_order_number_and_no_order_number(tmp_path: Path) -> None:
    messages = _inbox_messages(build_demo(tmp_path / "demo", NOW, REPO_ROOT))
    for request in demo_requests():
        message = messages[request.key]
        body = message.get_body(("plain",))
        assert body is not None
        text = f"{message['Subject']}\n{body.get_content()}"
        assert (request.order_id in text) is (request.key != "j")


def test_orders_csv_columns_and_delivery_offsets(tmp_path: Path) -> None:
    config = build_demo(tmp_path / "demo", NOW, REPO_ROOT)
    with (config.parent / "orders.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)
    assert [row["order_id"] for row in rows] == [order.order_id for order in demo_orders()]
    for row, order in zip(rows, demo_orders(), strict=True):
        delivered = datetime.fromisoformat(row["delivered_at"])
        assert delivered.utcoffset() is not None
        assert NOW - delivered == order.delivered_ago
        assert row["currency"] == "EUR"
        assert row["carrier"] in {"DHL", "FedEx"}
    by_id = {row["order_id"]: row for row in rows}
    assert NOW - datetime.fromisoformat(by_id["100201"]["delivered_at"]) == timedelta(days=5)
    assert NOW - datetime.fromisoformat(by_id["100204"]["delivered_at"]) == timedelta(days=40)


def test_config_paths_are_relative_except_repo_paths(tmp_path: Path) -> None:
    config = build_demo(tmp_path / "demo", NOW, REPO_ROOT)
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    assert data["maildir"] == {"path": "inbox", "processed_folder": "processed"}
    assert data["outbox"] == {"directory": "outbox"}
    assert data["orders"] == {"csv": "orders.csv"}
    assert data["database"] == {"url": "sqlite:///mailbot.db"}
    assert data["agents"]["addresses"] == ["agent@shop.example"]
    assert len(data["agents"]["secret"]) >= 16
    assert data["smtp"] == {"from": "Shop Returns <returns@shop.example>"}
    assert Path(data["paths"]["rules"]) == REPO_ROOT / "rules"
    assert Path(data["paths"]["templates"]) == REPO_ROOT / "templates"


def test_rebuild_replaces_previous_demo(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    build_demo(target, NOW, REPO_ROOT)
    (target / "mailbot.db").write_bytes(b"old state")
    (target / "outbox" / "reply.eml").write_text("old reply")
    config = build_demo(target, NOW + timedelta(days=1), REPO_ROOT)
    assert not (target / "mailbot.db").exists()
    assert not any((target / "outbox").iterdir())
    assert len(_inbox_messages(config)) == len(demo_requests())


def test_builds_into_existing_empty_directory(tmp_path: Path) -> None:
    config = build_demo(tmp_path, NOW, REPO_ROOT)
    assert config == tmp_path / "config.toml"


def test_refuses_to_wipe_foreign_directory(tmp_path: Path) -> None:
    keep = tmp_path / "important.txt"
    keep.write_text("do not delete")
    with pytest.raises(FileExistsError):
        build_demo(tmp_path, NOW, REPO_ROOT)
    assert keep.read_text() == "do not delete"


def test_refuses_naive_now(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_demo(tmp_path / "demo", datetime(2026, 11, 26, 12, 0), REPO_ROOT)


def test_make_request_plain_and_threaded() -> None:
    raw = make_request(
        sender="Ann <ann@customer.example>",
        subject="Re: your return",
        body="Thanks!",
        in_reply_to="<reply-1@shop.example>",
        date=NOW,
    )
    message = _parse(raw)
    assert message.get_content_type() == "text/plain"
    assert message["In-Reply-To"] == "<reply-1@shop.example>"
    assert message["References"] == "<reply-1@shop.example>"
    assert str(message["Message-ID"]).endswith("@customer.example>")
    assert message["Date"].datetime == NOW


def test_make_request_tuple_attachment_and_guessed_types(tmp_path: Path) -> None:
    heic = tmp_path / "IMG_0001.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic")
    unknown = tmp_path / "data.weird"
    unknown.write_bytes(b"x")
    raw = make_request(
        sender="bob@customer.example",
        subject="Order 100201",
        body="Ünïcödé body",
        attachments=[heic, unknown, ("statement.pdf", b"%PDF-1.4\n", "application/pdf")],
        message_id="<fixed@customer.example>",
    )
    message = _parse(raw)
    assert message.get_content_type() == "multipart/mixed"
    types = [part.get_content_type() for part in message.iter_attachments()]
    assert types == ["image/heic", "application/octet-stream", "application/pdf"]
    assert message["Message-ID"] == "<fixed@customer.example>"
    body = message.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "Ünïcödé body"


def test_order_numbers_match_the_rules_patterns() -> None:
    rules = load_rulebook(REPO_ROOT / "rules")
    for request in demo_requests():
        written, _ = find_numbers(f"{request.subject}\n{request.body}", rules.order_numbers)
        expected = [] if request.key == "j" else [request.order_id]
        assert sorted(set(written)) == expected, request.key


def test_change_of_mind_request_names_no_used_condition() -> None:
    request = next(r for r in demo_requests() if r.key == "g")
    reading = read(request.subject, request.body, load_rulebook(REPO_ROOT / "rules"))
    assert reading.scenario is Scenario.DEMAND_CHANGE and reading.condition == ()


def test_to_order_matches_csv_row() -> None:
    order = demo_orders()[0].to_order(NOW)
    assert order.order_id == "100201"
    assert order.delivered_at == NOW - timedelta(days=5)
    assert order.payment_price - order.purchase_cost - order.export_postage > 0


def test_some_customers_write_in_their_own_language() -> None:
    rules = load_rulebook(REPO_ROOT / "rules")
    for request in demo_requests():
        reading = read(request.subject, request.body, rules)
        assert reading.language == LANGUAGES.get(request.key, "en"), request.key
