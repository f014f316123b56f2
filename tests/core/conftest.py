"""Literal data for the pure core: the shipped rules, orders, sniffed attachments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from mailbot.core.model import AttachmentFacts, InboundMessage, Order
from mailbot.core.rulebook import Rulebook
from mailbot.reading import read
from mailbot.rulefiles import load_rulebook

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@cache
def shipped_rules() -> Rulebook:
    return load_rulebook(RULES_DIR)


@pytest.fixture(scope="session")
def rules() -> Rulebook:
    return shipped_rules()


def order(days_ago: float = 5, **changes: object) -> Order:
    base = Order(
        order_id="100201",
        customer_email="ana@example.com",
        product="STM32F407 development board",
        sku="STM-F407-DISC",
        quantity=1,
        payment_price=Decimal("89.90"),
        purchase_cost=Decimal("12.40"),
        export_postage=Decimal("9.50"),
        currency="EUR",
        delivered_at=NOW - timedelta(days=days_ago),
        tracking_number="1Z999",
        carrier="DHL",
    )
    return Order(**{**base.__dict__, **changes})


def facts(
    name: str,
    mime: str,
    n: int = 0,
    width: int | None = None,
    height: int | None = None,
    **metadata: object,
) -> AttachmentFacts:
    return AttachmentFacts(
        filename=name,
        declared_type="application/octet-stream",
        mime_type=mime,
        size=1000 + n,
        fingerprint=f"{name}-{n}",
        width=width,
        height=height,
        **metadata,  # type: ignore[arg-type]
    )


def videos(count: int) -> list[AttachmentFacts]:
    return [facts(f"clip{i}.mp4", "video/mp4", i) for i in range(count)]


def hd_photos(count: int, width: int = 1920, height: int = 1080) -> list[AttachmentFacts]:
    """Phone photos: camera EXIF, no thumbnail hash (each compared by its bytes)."""
    return [
        facts(f"IMG_{i}.jpg", "image/jpeg", i, width, height, camera="Apple iPhone 13")
        for i in range(count)
    ]


STATEMENT = facts("fault-statement.pdf", "application/pdf")
SCREENSHOT = facts("order.png", "image/png", 0, 1280, 800)


def message(
    text: str,
    attachments: list[AttachmentFacts] | tuple[AttachmentFacts, ...] = (),
    subject: str = "Return request order 100201",
    sender: str | None = "ana@example.com",
) -> InboundMessage:
    return InboundMessage(
        message_id="<m1@example.com>",
        sender=sender,
        subject=subject,
        text=text,
        attachments=tuple(attachments),
        sender_name="Ana Silva",
        # Read as the shell reads every message (mailbot/reading/).
        reading=read(subject, text, shipped_rules()),
    )
