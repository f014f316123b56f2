"""Applying a decision: its Replies written as mail (rendered and composed, before any
transaction), then everything recorded by the unit of work in one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mailbot.core.correlate import Threads, ticket_reference
from mailbot.core.model import Decision, InboundMessage, Ticket
from mailbot.errors import MailbotError
from mailbot.outbound.letters import Letter, Stamp
from mailbot.shell.handled import Handled, Outcome
from mailbot.store import Taken

if TYPE_CHECKING:
    from mailbot.shell.service import Service
    from mailbot.shell.work import Work

# Ticket ids and RMA numbers drawn for one decision: more than one taken in a row means
# something is wrong (10^8 RMA numbers; another process creating tickets meanwhile).
_DRAWS = 10


def ticket_threads(
    svc: Service, work: Work, ticket: Ticket | None, customer: tuple[str, ...] | None = None
) -> Threads:
    """Where mail about `ticket` threads: under `customer` (default: the ticket's
    conversation with its customer) and under our mail to agents about it."""
    if ticket is None or ticket.id is None:
        return Threads(customer=customer or ())
    if customer is None:
        customer = work.outbox.customer_thread(ticket.id, ticket.customer_email)
    return Threads(customer, work.outbox.agent_thread(ticket.id, svc.agents))


def apply(
    svc: Service,
    work: Work,
    key: str,
    message: InboundMessage,
    ticket: Ticket | None,
    decision: Decision,
    threads: Threads,
    now: datetime,
    actor: str = "bot",
    applied: str | None = None,
) -> tuple[Ticket, list[Letter]]:
    """Write the decision's mail, then record it all in one transaction. A new ticket's
    id and an RMA number are drawn first, since the mail shows them; one taken
    meanwhile (Taken) is drawn again and the mail written again."""
    for _ in range(_DRAWS):
        new_id = work.next_ticket_id() if ticket is None else None
        reference = ticket.reference if ticket is not None else ticket_reference(new_id or 0)
        rma = ticket.rma if ticket is not None else None
        if decision.issue_rma and rma is None:
            rma = work.draw_rma()
        letters = svc.mailer.write(decision.replies, Stamp(reference, rma), threads, now)
        mails = [letter.mail for letter in letters]
        version = svc.rules.version
        try:
            stored = work.record(
                key, message, ticket, decision, mails, version, now, actor, applied, new_id, rma
            )
        except Taken:
            continue
        return stored, letters
    raise MailbotError(f"could not draw a free ticket id and RMA number in {_DRAWS} tries")


def outcome_of(
    key: str,
    message: InboundMessage,
    ticket: Ticket,
    decision: Decision,
    letters: list[Letter],
    by: str = "",
) -> Outcome:
    reasons = (by, *decision.reasons) if by else decision.reasons
    handled = Handled(key, message.message_id, ticket.reference, decision.outcome, reasons)
    return Outcome(handled, message, decision, tuple(letters))
