"""Mail from an agent's address: the ticket it answers, the proof of its sender, and its
commands, applied once.

The order matters: the ticket first (only through our own mail to agents, or the
subject's tag, never through ids a customer could plant: core/correlate.py), then the
proof for that ticket (core/agentauth.py; the whole raw mail is fetched for DKIM only
when no token proves it), then the commands.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailbot.core.agentauth import Proof, agent_proof, content_key, named_tickets, token_proof
from mailbot.core.commands import apply_commands, command_refusal, parse_commands
from mailbot.core.commandset import READ_ONLY
from mailbot.core.correlate import Threads, answered_ids, answered_ticket, quoted_references
from mailbot.core.model import InboundMessage, Ticket
from mailbot.core.notify import AGENT_ANSWERS, UNVERIFIED, no_ticket_answer, unverified_alert
from mailbot.inbound.source import FetchedMessage
from mailbot.shell.apply import apply, outcome_of
from mailbot.shell.handled import Handled, Outcome

if TYPE_CHECKING:
    from mailbot.shell.service import Service
    from mailbot.shell.work import Work

log = logging.getLogger("mailbot")

# What mail claiming an agent's address without proof may make us send the agents
# (alerts, answers about an unusable token), per claimed sender and hour.
_TOLD = (UNVERIFIED, "command_error")


def handle_agent(
    svc: Service, work: Work, fetched: FetchedMessage, message: InboundMessage, now: datetime
) -> Outcome:
    """An agent's mail: commands on the ticket it answers, never a return request."""
    key, sender = fetched.key, message.sender or ""
    ticket = _agent_ticket(svc, work, message)
    if ticket is None or ticket.id is None:
        return _without_ticket(svc, work, key, message, now)
    proof = _agent_proof(svc, fetched, message, ticket, now)
    if not proof.proven:
        return _unproven(svc, work, key, message, ticket, proof, now)
    # An agent's attachments are not the customer's evidence.
    bare = replace(message, attachments=())
    threads = Threads(
        customer=work.outbox.customer_thread(ticket.id, ticket.customer_email),
        agents=(*work.outbox.agent_thread(ticket.id, svc.agents), message.message_id),
    )
    rules = svc.rules
    commands, _ = parse_commands(message.text, rules)
    changing = any(c.name not in READ_ONLY for c in commands)
    content = content_key(message, ticket.reference) if changing else None
    applied = work.inbound.applied_command_mail(content) if content else None
    if applied is not None:
        why = (
            f"this mail arrived before ({applied}) and its commands were applied then;"
            " nothing was changed again"
        )
        result = command_refusal(ticket, sender, [why], rules, now, "already applied")
    elif changing and not proof.names_ticket:
        why = (
            f"proven by {proof.method} alone, a command that changes a ticket must name it"
            f" in the subject: [{ticket.reference}] (or reply to our mail about it)"
        )
        result = command_refusal(ticket, sender, [why], rules, now)
    else:
        order = work.orders.get(ticket.order_id) if ticket.order_id else None
        evidence = work.tickets.evidence(ticket.id)
        result = apply_commands(ticket, message, sender, order, evidence, rules, now)
    applied_now = None if result.errors else content
    decision = result.decision
    _, letters = apply(svc, work, key, bare, ticket, decision, threads, now, sender, applied_now)
    by = f"agent {sender} ({proof.method})"
    return outcome_of(key, message, ticket, decision, letters, by)


def _agent_ticket(svc: Service, work: Work, message: InboundMessage) -> Ticket | None:
    """The ticket an agent's mail is about: the nearest mail of ours to agents it
    answers, else the ticket its subject tags, else one its subject or own text names
    (a ticket reference or RMA number)."""
    sent = {
        mail.message_id: mail.ticket_id
        for mail in work.outbox.sent_mail(answered_ids(message))
        if mail.to_addr in svc.agents and mail.ticket_id is not None
    }
    ticket_id = answered_ticket(message, sent)
    if ticket_id is not None:
        return work.tickets.find(str(ticket_id))
    for reference in (*named_tickets(message.subject), *quoted_references(message)):
        if (found := work.tickets.find(reference)) is not None:
            return found
    return None


def _agent_proof(
    svc: Service, fetched: FetchedMessage, message: InboundMessage, ticket: Ticket, now: datetime
) -> Proof:
    """The token, else a DKIM signature checked here on the whole mail (fetched only
    for this), else our server's Authentication-Results (if declared trustworthy)."""
    secret, days = svc.agent_secret, svc.token_days
    proof = token_proof(message, ticket.reference, secret, days, now)
    if proof.proven:
        return proof
    domains: tuple[str, ...] = ()
    signed = message.header("dkim-signature") is not None
    if svc.dkim is not None and signed and fetched.size <= svc.max_message_bytes:
        raw = svc.inbox.fetch_raw(fetched.key, svc.max_message_bytes)
        domains = svc.dkim.signing_domains(raw) if raw else ()
    return agent_proof(
        message, ticket.reference, now, secret=secret, token_days=days,
        dkim_domains=domains, authserv_id=svc.authserv_id,
    )  # fmt: skip


def _unproven(
    svc: Service,
    work: Work,
    key: str,
    message: InboundMessage,
    ticket: Ticket,
    proof: Proof,
    now: datetime,
) -> Outcome:
    """No proof: nothing changes. A real but unusable token (expired, another
    ticket's) is answered to the agent's address; anything else alerts the agents.
    Either is sent at most once an hour per claimed sender, then only recorded."""
    sender = message.sender or ""
    actor = f"unverified {sender}"
    told = work.audit.events_of(actor, _TOLD, now - timedelta(hours=1))
    ours = work.outbox.agent_thread(ticket.id or 0, svc.agents)
    if proof.problem and not told:
        decision = command_refusal(ticket, sender, [proof.problem], svc.rules, now).decision
        threads = Threads(agents=(*ours, message.message_id))  # the answer to that mail
    else:
        decision = unverified_alert(ticket, message, svc.agents, svc.rules, told)
        threads = Threads(agents=ours)
    bare = replace(message, attachments=())
    _, letters = apply(svc, work, key, bare, ticket, decision, threads, now, actor)
    log.warning("ticket=%s security: %s", ticket.reference, decision.reasons[0])
    return outcome_of(key, message, ticket, decision, letters)


def _without_ticket(
    svc: Service, work: Work, key: str, message: InboundMessage, now: datetime
) -> Outcome:
    """Recorded; if it holds commands, the agent is told that nothing was done and
    how to name the ticket (silence would look like success)."""
    commands, errors = parse_commands(message.text, svc.rules)
    sender = message.sender or ""
    # Only our answers to this agent's own mails count, not notices or copies of
    # decisions (with copy_decisions a busy agent gets many of those).
    recent = work.audit.events_of(sender, AGENT_ANSWERS, now - timedelta(hours=1))
    lines = [c.line for c in commands] + errors
    replies, reason = no_ticket_answer(message, lines, recent, svc.replies_per_sender_hour)
    # Threaded under the agent's own mail, never under a customer's ids.
    threads = Threads(agents=(message.message_id,))
    letters = svc.mailer.write(replies, None, threads, now, "auto-generated")
    mails = [letter.mail for letter in letters]
    work.record_skip(key, message, reason, now, mails, actor=sender)
    handled = Handled(key, message.message_id, "-", "skipped", (reason,))
    return Outcome(handled, message, None, tuple(letters))
