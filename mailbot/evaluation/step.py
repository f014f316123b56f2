"""One labelled mail through the bot's steps, as `mailbot run` takes it and nothing
written or sent: parse, the loop guard (headers and the reading's out-of-office
words), the decision on the sender's orders at the set's clock.

This is the one place that knows those steps (the functions `mailbot simulate` and
`Service.handle` call). Threading finds nothing here: a labelled mail is judged as the
first mail of its case, with no stored conversation to continue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from mailbot.core.guard import skip_reason
from mailbot.core.model import Order, Reading
from mailbot.core.rulebook import Rulebook
from mailbot.parse import ParsedMessage
from mailbot.service import decide_request, to_inbound

SKIPPED = "skipped"


@dataclass(frozen=True)
class Orders:
    """The set's orders, by number and by customer."""

    by_id: dict[str, Order]
    by_customer: dict[str, tuple[Order, ...]]

    @classmethod
    def of(cls, orders: Iterable[Order]) -> Orders:
        by_customer: dict[str, list[Order]] = {}
        listed = list(orders)
        for order in listed:
            by_customer.setdefault(order.customer_email, []).append(order)
        return cls(
            {o.order_id: o for o in listed},
            {k: tuple(v) for k, v in by_customer.items()},
        )


@dataclass(frozen=True)
class Result:
    """What the bot did with one mail: the decision's outcome (`skipped` for mail the
    guard stops), the order it decided on, whether an RMA was issued, and why."""

    outcome: str
    order: str | None
    rma: bool
    scenario: str
    language: str
    reasons: tuple[str, ...]
    reading: Reading


def judge(parsed: ParsedMessage, rules: Rulebook, orders: Orders, now: datetime,
          own: tuple[str, ...] = ()) -> Result:  # fmt: skip
    """The bot's answer to one mail, at `now`, on `orders`; `own` are the bot's addresses."""
    message = to_inbound(parsed, rules)
    reading = message.reading
    reason = skip_reason(message, own)
    if reason is not None:
        return Result(SKIPPED, None, False, "", reading.language, (reason,), reading)
    mine = orders.by_customer.get((message.sender or "").lower(), ())
    decision = decide_request(message, orders.by_id.get, rules, now, sender_orders=mine)
    return Result(
        decision.outcome,
        decision.order_id,
        decision.issue_rma,
        decision.scenario.value,
        reading.language,
        decision.reasons,
        reading,
    )
