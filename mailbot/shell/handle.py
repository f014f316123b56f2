"""One message, one way: gather the facts, let the core decide, write the mail, apply.

The shell only looks things up (the Message-ID seen before, the replies to the sender in
the last hour, the tickets the mail may belong to, the sender's orders); the core
decides the route (core/guard.screen), the ticket (core/correlate.continued_ticket) and
the answer, every mail of it a Reply; the Replies are rendered and composed here,
before the unit of work writes everything in one transaction. `mailbot run` and
`simulate` both come through `handle`, over the Store or a DryRun (shell/work.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailbot.core.bounce import bounced_mail, read_bounce
from mailbot.core.correlate import continued_ticket, named_order, quoted_references, thread_ids
from mailbot.core.decide import decide, decide_too_large
from mailbot.core.guard import Route, Seen, screen
from mailbot.core.model import InboundMessage, Ticket
from mailbot.core.notify import bounce_notice, stranger_notice, with_agent_notices
from mailbot.core.ordercheck import order_about
from mailbot.core.ordernumber import order_number
from mailbot.core.rulebook import Rulebook
from mailbot.inbound.source import FetchedMessage
from mailbot.mail.parse import ParsedMessage
from mailbot.media.sniff import sniff
from mailbot.outbound.delivery import SUPPRESS_FOR
from mailbot.reading import read
from mailbot.reading.ordered import with_order
from mailbot.shell.agents import handle_agent
from mailbot.shell.apply import apply, outcome_of, ticket_threads
from mailbot.shell.handled import Handled, Outcome
from mailbot.shell.work import Work

if TYPE_CHECKING:
    from mailbot.shell.service import Service


def to_inbound(parsed: ParsedMessage, rules: Rulebook) -> InboundMessage:
    """The core's view of a parsed message: every attachment sniffed by content, the text
    read (mailbot/reading/)."""
    return InboundMessage(
        message_id=parsed.message_id,
        sender=parsed.sender,
        subject=parsed.subject,
        text=parsed.text,
        attachments=tuple(sniff(sample) for sample in parsed.attachments),
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        sender_name=parsed.sender_name,
        received_at=parsed.date,
        headers=parsed.headers,
        defects=parsed.defects,
        reading=read(parsed.subject, parsed.text, rules),
    )


def handle(svc: Service, work: Work, fetched: FetchedMessage) -> Outcome:
    """Decide one message and apply the decision to `work` (or record why it gets no
    answer)."""
    message = to_inbound(fetched.parsed, svc.rules)
    now = svc.clock()
    sender = message.sender
    recent = work.outbox.replies_to(sender, now - timedelta(hours=1)) if sender else 0
    seen = Seen(fetched.key, work.inbound.key_of_message_id(message.message_id), recent)
    screened = screen(message, seen, [svc.own_address], svc.agents, svc.replies_per_sender_hour)
    if screened.route is Route.AGENT:
        return handle_agent(svc, work, fetched, message, now)
    reason = screened.reason
    if screened.route is Route.BOUNCE:
        outcome = _bounce(svc, work, fetched.key, message, now)
        if outcome is not None:
            return outcome
        reason = f"{reason}; a bounce that names no mail we sent to the address it names"
    if screened.route is not Route.CUSTOMER:
        work.record_skip(fetched.key, message, reason, now)
        return Outcome(Handled(fetched.key, message.message_id, "-", "skipped", (reason,)), message)
    referenced = _referenced_ticket(work, message)
    number = named_order(message)
    latest = None
    if referenced is None and number is not None and sender:
        latest = work.tickets.latest(sender, number)
    ticket = continued_ticket(message, referenced, latest)
    earlier = work.tickets.evidence(ticket.id) if ticket and ticket.id else ()
    if fetched.size > svc.max_message_bytes:
        limit = svc.max_message_bytes
        decision = decide_too_large(ticket, message, fetched.size, limit, svc.rules, now)
        message = replace(message, attachments=())  # not read, so not evidence
    else:
        mine = work.orders.of_customer(sender) if sender else ()
        # A follow-up that names no order number continues the ticket's order.
        number = order_number(message.reading, mine) or (ticket.order_id if ticket else None)
        # Mostly one of the sender's own orders, already read.
        mine_named = next((o for o in mine if o.order_id == number), None)
        order = mine_named or (work.orders.get(number) if number else None)
        # What the mail says of the product, held against the order it is about.
        at = ticket.created_at if ticket and ticket.created_at else now
        if about := order_about(message, number, order, mine, svc.rules, at):
            message = replace(
                message, reading=with_order(message.reading, message.subject, about, svc.rules)
            )
        decision = decide(ticket, message, number, order, svc.rules, now, earlier, mine)
    decision = with_agent_notices(
        decision,
        message,
        svc.agents,
        svc.rules,
        stranger_notice(referenced, sender),
        copy_all=svc.copy_decisions,
    )
    threads = ticket_threads(svc, work, ticket, (*message.references, message.message_id))
    stored, letters = apply(svc, work, fetched.key, message, ticket, decision, threads, now)
    return outcome_of(fetched.key, message, stored, decision, letters)


def _referenced_ticket(work: Work, message: InboundMessage) -> Ticket | None:
    """The ticket the message refers to, whoever sent it and whatever its state: by
    In-Reply-To/References, else a ticket reference (`T-000123`) or RMA number in the
    subject or the sender's own text."""
    ticket = work.tickets.of_message_ids(thread_ids(message))
    if ticket is not None:
        return ticket
    for reference in quoted_references(message):
        if (found := work.tickets.find(reference)) is not None:
            return found
    return None


def _bounce(
    svc: Service, work: Work, key: str, message: InboundMessage, now: datetime
) -> Outcome | None:
    """A bounce of a mail of ours, if it names one with its recipient (core/bounce.py):
    never answered, kept with the mail's ticket and shown to the agents; a permanent
    failure pauses mail to that recipient. None when it proves nothing."""
    report = read_bounce(message)
    mail = bounced_mail(report, work.outbox.sent_mail(report.message_ids))
    ticket = work.tickets.find(str(mail.ticket_id)) if mail and mail.ticket_id else None
    if mail is None or ticket is None:
        return None
    decision = bounce_notice(ticket, message, report, mail.to_addr, svc.agents, svc.rules)
    if report.permanent:
        work.suppress(mail.to_addr, now + SUPPRESS_FOR, decision.reasons[0], now)
    bare = replace(message, attachments=())
    threads = ticket_threads(svc, work, ticket, ())
    _, letters = apply(svc, work, key, bare, ticket, decision, threads, now)
    handled = Handled(key, message.message_id, ticket.reference, "bounce", decision.reasons)
    return Outcome(handled, message, decision, tuple(letters))
