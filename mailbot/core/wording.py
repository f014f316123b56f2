"""How the core words facts for replies: dates in the shop's zone, money, evidence lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from mailbot.core.model import EvidenceReport, Order
from mailbot.core.rulebook import Rulebook

# Attachments listed one by one in a notice; a message of thousands of parts is cut.
_MAX_VERDICTS = 200


def format_day(moment: datetime, rules: Rulebook, *, with_time: bool = False) -> str:
    """E.g. 'Thursday 3 December 2026' (and '14:05 CET' with_time), in the shop's zone."""
    local = moment.astimezone(rules.timezone)
    day = f"{local:%A} {local.day} {local:%B %Y}"
    return f"{day}, {local:%H:%M %Z}" if with_time else day


def format_money(amount: Decimal, currency: str) -> str:
    """E.g. '42.50 EUR'."""
    return f"{amount:.2f} {currency}"


def order_context(order: Order) -> dict[str, object]:
    """The order fields a reply may quote, money already formatted."""
    return {
        "order_id": order.order_id,
        "product": order.product,
        "sku": order.sku,
        "quantity": order.quantity,
        "payment_price": format_money(order.payment_price, order.currency),
        "purchase_cost": format_money(order.purchase_cost, order.currency),
        "export_postage": format_money(order.export_postage, order.currency),
        "currency": order.currency,
    }


def evidence_lines(report: EvidenceReport) -> dict[str, list[str]]:
    """What arrived, what is missing and what did not count, one line each."""
    received: list[str] = []
    missing: list[str] = []
    refused: list[str] = []
    for req in report.requirements:
        received.append(f"{req.label}: {min(req.counted, req.needed)} of {req.needed}")
        if not req.met:
            missing.append(
                f"{req.missing} more {req.label} ({req.counted} of {req.needed} received)"
            )
        refused.extend(req.refused)
    refused.extend(report.ignored)
    refused.extend(report.lookalikes)
    if report.duplicates:
        refused.append(f"{report.duplicates} attachment(s) sent twice counted once")
    verdicts = [v.line for v in report.verdicts[:_MAX_VERDICTS]]
    if len(report.verdicts) > _MAX_VERDICTS:
        verdicts.append(f"… and {len(report.verdicts) - _MAX_VERDICTS} more attachments")
    return {
        "received": received,
        "missing": missing,
        "not_counted": refused,
        "attachments": verdicts,
    }
