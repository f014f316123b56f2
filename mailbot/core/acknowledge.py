"""Mail that is not a return request: a delivery question, an invoice, a question before
buying, a question about a refund under way, thanks. The customer gets a short
acknowledgement, the agents a notice; nobody is asked for a return reason and no return
case moves.

On a ticket the mail continues, its state and reminders stay as they are. A new mail is
recorded as a ticket that is closed from the start: the store keeps every mail, its
replies and the agents' notice with a ticket (the notice's token lets an agent answer
with commands, /reopen included, should the reading be wrong), while a closed ticket
holds no return case open and plans no reminders; the customer's next mail about a
return opens a case of its own.
"""

from __future__ import annotations

from mailbot.core.model import (
    DOUBT,
    GIVE_BACK,
    KEEP,
    NOT_RETURN,
    RETURN_INTENT,
    Decision,
    MailKind,
    TicketState,
)
from mailbot.core.request import Request, reply_decision
from mailbot.core.tracking import find_tracking

_WHAT = {
    MailKind.DELIVERY: "a delivery question",
    MailKind.INVOICE: "an invoice request",
    MailKind.PRESALES: "a question before buying",
    MailKind.REFUND: "a question about a refund under way",
    MailKind.THANKS: "thanks",
}
# What the customer says that makes a mail a return request, besides a case: a wish to
# return, a wrong-item choice, a doubt which case it is.
_RETURN_SIGNS = frozenset({RETURN_INTENT, GIVE_BACK, KEEP, DOUBT})
_NO_RETURN = "it names no return case and no wish to return, and carries no evidence"


def asks_no_return(req: Request) -> bool:
    """A new mail that names no case (none scores the rules' `minimum`), says no wish to
    return (the packs' closed [return_intent] and [give_back] lists), no choice and no
    doubt in the customer's words, and carries no attachment: whatever it asks, it is
    not a return request. Its words for what it is may be missing from the packs; an
    agent reads it, and nobody is asked for a return reason."""
    reading = req.message.reading
    if req.ticket is not None or req.message.attachments or reading.pick:
        return False
    if any(score >= req.rules.reading.minimum for _, score in reading.scores):
        return False
    said = [c for c in reading.cues if c.where != "quoted"]
    # A doubt which case it is counts even negated: "不知道是发错了还是…" negates its own words.
    return not any((c.about in _RETURN_SIGNS and c.weight > 0) or c.about == DOUBT for c in said)


def decide_not_return(req: Request) -> Decision | None:
    """The acknowledgement of a mail that is not a return request, else None.

    Thanks with attachments is evidence sent for a case, and a tracking number on an
    approved ticket is the answer the ticket waits for: both go the return way. (A
    delivery question with a screenshot of the tracking page stays a delivery question.)
    """
    reading = req.message.reading
    if reading.kind not in NOT_RETURN:
        if not asks_no_return(req):
            return None
        what = f"not a return request: {_NO_RETURN}"
        state = TicketState.CLOSED
        return reply_decision(
            req, state, "acknowledged", what, {"kind": "other"}, agent_notice=what
        )
    if reading.kind is MailKind.THANKS and req.message.attachments:
        return None
    ticket = req.ticket
    if ticket is not None and ticket.state is TicketState.APPROVED:
        exclude = (ticket.order_id or "", ticket.rma or "")
        text = f"{req.message.subject}\n{req.text}"
        found = find_tracking(text, req.rules.carrier_formats, tuple(e for e in exclude if e))
        if found is not None:
            return None
    cues = ", ".join(c.describe() for c in reading.affirmed(reading.kind.value))
    what = f"not a return request: {_WHAT[reading.kind]} ({cues})"
    state = ticket.state if ticket else TicketState.CLOSED
    return reply_decision(
        req,
        state,
        "acknowledged",
        what,
        {"kind": reading.kind.value},
        agent_notice=what,
        keep_plan=ticket is not None,
    )
