"""Customer replies on a ticket that has moved on: a wrong-item choice, a tracking number,
a message while an agent reviews the case."""

from __future__ import annotations

from mailbot.core.approval import approval
from mailbot.core.model import GIVE_BACK, KEEP, Decision, TicketState
from mailbot.core.request import Request, order_of, reply_decision
from mailbot.core.tracking import find_tracking


def decide_choice(req: Request) -> Decision:
    """A wrong-item customer answers the two options: keep it, or return it."""
    rules = req.rules
    # Not the quoted history: it holds our mail, which names both options.
    keep = [c for c in req.message.reading.affirmed(KEEP) if c.where != "quoted"]
    give_back = [c for c in req.message.reading.affirmed(GIVE_BACK) if c.where != "quoted"]
    said = ", ".join(c.describe() for c in (*keep, *give_back))
    if bool(keep) == bool(give_back):
        why = f"both options named ({said})" if keep else "no option named"
        return reply_decision(
            req, TicketState.OPTIONS_OFFERED, "ask_choice", f"choice unclear: {why}"
        )
    req.reasons.append(f"choice: {said}")
    if keep:
        return reply_decision(
            req,
            TicketState.CLOSED,
            "kept_with_compensation",
            f"customer keeps the item: {rules.wrong_item_compensation_percent}% of the price"
            " difference as compensation and the correct item reshipped",
            {"compensation_percent": rules.wrong_item_compensation_percent},
        )
    return approval(
        req,
        f"customer returns the wrong item: ship within {rules.wrong_item_return_working_days}"
        " working days",
    )


def decide_review_update(req: Request) -> Decision:
    """The customer writes while an agent reviews the case: the mail (and anything
    attached, as evidence) joins the ticket, the agents are told, and the customer hears
    that it reached the team. The review's clock and reminders run on: asking for news
    must not put off the escalation."""
    attached = len(req.message.attachments)
    what = "the customer wrote again while the case is under review" + (
        f" ({attached} attachment{'s' if attached != 1 else ''})" if attached else ""
    )
    return reply_decision(
        req,
        TicketState.UNDER_REVIEW,
        "review_update",
        what,
        {"attachments": attached},
        agent_notice=what,
        keep_plan=True,
    )


def decide_shipping(req: Request) -> Decision:
    """An approved customer sends the tracking number: FedEx/DHL ship, postal is refused."""
    rules = req.rules
    exclude = tuple(x for x in (order_of(req), req.ticket.rma if req.ticket else None) if x)
    tracking = find_tracking(f"{req.message.subject}\n{req.text}", rules.carrier_formats, exclude)
    carriers = list(rules.accepted_carriers)
    if tracking is None:
        return reply_decision(
            req,
            TicketState.APPROVED,
            "ask_tracking",
            "no tracking number in the reply",
            {"carriers": carriers},
        )
    context = {
        "tracking": tracking.number,
        "carriers": carriers,
        "carriers_note": rules.refused_carriers_note,
    }
    if tracking.carrier is None:
        return reply_decision(
            req,
            TicketState.APPROVED,
            "ask_carrier",
            f"tracking number {tracking.number} has no known carrier format",
            context,
        )
    context["carrier"] = tracking.carrier.name
    if not tracking.carrier.accepted:
        return reply_decision(
            req,
            TicketState.APPROVED,
            "carrier_refused",
            f"tracking number {tracking.number} is {tracking.carrier.name}:"
            f" {rules.refused_carriers_note}",
            context,
        )
    return reply_decision(
        req,
        TicketState.SHIPPED,
        "shipped",
        f"shipped with {tracking.carrier.name}, tracking number {tracking.number}",
        context,
    )
