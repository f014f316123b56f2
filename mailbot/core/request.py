"""One decision's inputs and the helper that turns a verdict into a Decision with its reply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mailbot.core.echo import greeting_name
from mailbot.core.evidencereport import EvidenceReport
from mailbot.core.model import (
    AttachmentFacts,
    Decision,
    InboundMessage,
    Order,
    Reply,
    Scenario,
    Ticket,
    TicketState,
)
from mailbot.core.rulebook import Rulebook
from mailbot.core.wording import order_context


@dataclass
class Request:
    """Everything one decision looks at, plus the reasons gathered so far."""

    message: InboundMessage
    order_number: str | None
    order: Order | None
    rules: Rulebook
    now: datetime
    ticket: Ticket | None = None
    # Evidence already on the ticket from earlier messages.
    earlier_evidence: tuple[AttachmentFacts, ...] = ()
    reasons: list[str] = field(default_factory=list)
    text: str = ""
    # The scenario the checks settled on (from the reading, or kept from the ticket).
    scenario_read: Scenario | None = None
    evidence: EvidenceReport | None = None
    # The sender's orders (any date): the order when the mail writes no number.
    sender_orders: tuple[Order, ...] = ()
    # The order was taken from the sender's orders, not from a number in the mail: "only"
    # (their one order in the return window), "named" (the one whose product the mail
    # names) or "picked" (from the list we sent), else "".
    order_inferred: str = ""

    @property
    def scenario(self) -> Scenario:
        """The scenario read from the message; before that (or on a follow-up), the ticket's."""
        if self.scenario_read is not None:
            return self.scenario_read
        return self.ticket.scenario if self.ticket else Scenario.UNKNOWN


def reply_decision(
    req: Request,
    state: TicketState,
    outcome: str,
    reason: str,
    context: Mapping[str, object] | None = None,
    **extra: object,
) -> Decision:
    """A decision with one customer reply rendered from template `customer/<outcome>`."""
    reasons = (*req.reasons, reason)
    base: dict[str, object] = {
        "shop_name": req.rules.shop_name,
        "customer_name": greeting_name(req.message.sender_name),
        "order_number": req.order_number,
        "order": order_context(req.order) if req.order else None,
        "order_inferred": req.order_inferred,
        "scenario": req.scenario.value,
        "reason": reason,
    }
    replies: tuple[Reply, ...] = ()
    if req.message.sender:
        context = {**base, **(context or {})}
        replies = (Reply(f"customer/{outcome}", req.message.sender, context, language_of(req)),)
    return Decision(
        state=state,
        scenario=req.scenario,
        outcome=outcome,
        reasons=reasons,
        replies=replies,
        evidence=req.evidence,
        order_id=req.order.order_id if req.order else None,
        **extra,  # type: ignore[arg-type]
    )


def language_of(req: Request) -> str:
    """The language to answer in: the mail's, else the ticket's (an agent's command or
    a reminder answers in the language the customer last wrote). A mail whose words do
    not show their language clearly (a short answer) keeps the ticket's."""
    reading = req.message.reading
    kept = req.ticket.language if req.ticket else ""
    if kept and not reading.language_clear:
        return kept
    return reading.language or kept


def order_of(req: Request) -> str | None:
    """The order number the request is about, if known."""
    return req.order.order_id if req.order else req.order_number
