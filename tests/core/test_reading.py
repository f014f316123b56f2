"""Refunds and the guard, as plain calls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mailbot.core.guard import skip_reason
from mailbot.core.model import InboundMessage
from mailbot.core.refund import FormulaError, check_formula, compute_refund
from tests.core.conftest import order


def test_refund_formula() -> None:
    assert compute_refund("payment_price - purchase_cost - export_postage", order()) == Decimal(
        "68.00"
    )
    assert compute_refund("payment_price * 0.5", order()) == Decimal("44.95")
    assert compute_refund("purchase_cost - payment_price", order()) == Decimal("0.00")


@pytest.mark.parametrize(
    "formula", ["__import__('os')", "payment_price / 2", "price - 1", "payment_price -"]
)
def test_refund_formula_refuses_anything_else(formula: str) -> None:
    with pytest.raises(FormulaError):
        check_formula(formula)


def _mail(sender: str | None = "ana@example.com", **headers: str) -> InboundMessage:
    return InboundMessage(
        message_id="<x@y>",
        sender=sender,
        subject="s",
        text="t",
        headers=tuple((k.lower().replace("_", "-"), v) for k, v in headers.items()),
    )


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        (_mail(auto_submitted="auto-replied"), "Auto-Submitted: auto-replied"),
        (_mail(x_autoreply="yes"), "x-autoreply header (auto-reply)"),
        (_mail(precedence="bulk"), "Precedence: bulk"),
        (_mail(list_id="<list.example.com>"), "list-id header (mailing list or bulk mail)"),
        (_mail(return_path="<>"), "null Return-Path (bounce)"),
        (
            _mail(content_type="multipart/report; report-type=delivery-status"),
            "delivery or disposition report",
        ),
        (_mail("MAILER-DAEMON@mx.example.com"), "machine sender MAILER-DAEMON@mx.example.com"),
        (_mail("no-reply@shop.example"), "machine sender no-reply@shop.example"),
        (_mail("returns@shop.example"), "sent by this bot's own address returns@shop.example"),
        (_mail(None), "no single valid sender address"),
    ],
)
def test_guard_skips_machine_mail(msg: InboundMessage, reason: str) -> None:
    assert skip_reason(msg, ["returns@shop.example"]) == reason


def test_guard_lets_human_outlook_mail_through() -> None:
    msg = _mail(
        x_auto_response_suppress="All", auto_submitted="no", return_path="<ana@example.com>"
    )
    assert skip_reason(msg, ["returns@shop.example"]) is None
