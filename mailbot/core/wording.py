"""What the core says in words, and the facts a reply words itself.

Reasons, agents' verdict lines and the audit log are English (`format_day`,
`format_money`, `evidence_lines`). A customer's reply is worded when it is rendered, in
the customer's language: its context holds datetimes in the shop's zone, Money,
counts and keys (`order_context`, `customer_evidence`), never English phrases.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from mailbot.core.evidencereport import EvidenceReport
from mailbot.core.model import (
    Money,
    Order,
)
from mailbot.core.rulebook import Rulebook

# Attachments listed one by one in a notice; a message of thousands of parts is cut.
_MAX_VERDICTS = 200
# Files a customer's reply names one by one as not counted; the rest are counted up.
_MAX_NOT_COUNTED = 20


def format_day(moment: datetime, rules: Rulebook, *, with_time: bool = False) -> str:
    """E.g. 'Thursday 3 December 2026' (and '14:05 CET' with_time), in the shop's zone."""
    local = moment.astimezone(rules.timezone)
    day = f"{local:%A} {local.day} {local:%B %Y}"
    return f"{day}, {local:%H:%M %Z}" if with_time else day


def format_money(amount: Decimal, currency: str) -> str:
    """E.g. '42.50 EUR'."""
    return f"{amount:.2f} {currency}"


def local(moment: datetime, rules: Rulebook) -> datetime:
    """`moment` in the shop's time zone, as a reply states it."""
    return moment.astimezone(rules.timezone)


def order_context(order: Order) -> dict[str, object]:
    """The order fields a reply may quote, amounts as Money."""
    return {
        "order_id": order.order_id,
        "product": order.product,
        "sku": order.sku,
        "quantity": order.quantity,
        "payment_price": Money(order.payment_price, order.currency),
        "purchase_cost": Money(order.purchase_cost, order.currency),
        "export_postage": Money(order.export_postage, order.currency),
        "currency": order.currency,
    }


def customer_evidence(report: EvidenceReport) -> dict[str, object]:
    """What a reply tells the customer about the evidence: each requirement with the
    rule's wording pair and its counts, and each file that did not count, with why."""
    shown = report.not_counted[:_MAX_NOT_COUNTED]
    return {
        "needs": [
            {
                "key": r.key,
                "wording": list(r.reply),
                "needed": r.needed,
                "counted": min(r.counted, r.needed),
                "missing": r.missing,
            }
            for r in report.requirements
        ],
        "not_counted": [{"file": n.file, "why": n.why, "detail": n.detail} for n in shown],
        "more_not_counted": len(report.not_counted) - len(shown),
        "duplicates": report.duplicates,
    }


def evidence_lines(report: EvidenceReport) -> dict[str, list[str]]:
    """For the agents: what each requirement counted, and each attachment's verdict."""
    received = [f"{r.label}: {min(r.counted, r.needed)} of {r.needed}" for r in report.requirements]
    verdicts = [v.line for v in report.verdicts[:_MAX_VERDICTS]]
    if len(report.verdicts) > _MAX_VERDICTS:
        verdicts.append(f"… and {len(report.verdicts) - _MAX_VERDICTS} more attachments")
    return {"received": received, "attachments": verdicts}
