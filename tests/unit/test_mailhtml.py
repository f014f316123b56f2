"""The HTML part's structure from the plain text, and reminder contexts as JSON."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from mailbot.core.model import Money
from mailbot.outbound.mailhtml import blocks
from mailbot.outbound.render import Renderer
from mailbot.store import contextjson
from mailbot.templatecheck import load_samples


def test_paragraphs_lists_and_box_are_blocks() -> None:
    text = (
        "Dear Ana,\n\nYour return is authorised. It is a long sentence on one line.\n\n"
        "    RMA number: RMA123456789\n\nHow to send it back:\n1. Write the number.\n"
        "2. Ship it.\n\nStill missing:\n- 2 videos\n- 1 statement\n  (a document)\n\n"
        "Kind regards,\nParts Shop returns desk"
    )
    found = [(b.kind, b.lines) for b in blocks(text)]
    assert found == [
        ("p", ["Dear Ana,"]),
        ("p", ["Your return is authorised. It is a long sentence on one line."]),
        ("box", ["RMA number: RMA123456789"]),
        ("p", ["How to send it back:"]),
        ("ol", ["Write the number.", "Ship it."]),
        ("p", ["Still missing:"]),
        ("ul", ["2 videos", "1 statement (a document)"]),
        ("p", ["Kind regards,", "Parts Shop returns desk"]),
    ]


def test_a_reminder_context_keeps_dates_and_money() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    context: dict[str, object] = {
        "ship_by": datetime(2026, 12, 10, 23, 59, 59, tzinfo=berlin),
        "order": {"payment_price": Money(Decimal("129.00"), "EUR"), "order_id": "100207"},
        "funds_days": [10, 15],
        "refund": None,
    }
    again = contextjson.loads(contextjson.dumps(context))
    assert again == context
    ship_by = again["ship_by"]
    assert isinstance(ship_by, datetime) and ship_by.tzinfo == berlin


def test_a_reminder_stored_before_render_time_wording_still_renders() -> None:
    templates = Path(__file__).resolve().parents[2] / "templates"
    [sample, *_] = load_samples(templates)["customer/ship_reminder"]
    old = {**sample, "ship_by": "Thursday 10 December 2026"}  # as the core used to word it
    text = Renderer(templates).render("customer/ship_reminder", old, "de").text
    assert "bis zum Thursday 10 December 2026 versandt werden" in text
