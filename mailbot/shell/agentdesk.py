"""Mail from an agent's address: the ticket it answers, the proof of its sender, and its
commands, applied once. A part of Service (service.py), as the store's parts are.

The order matters: the ticket first (only through our own mail to agents, or the
subject's tag, never through ids a customer could plant: core/correlate.py), then the
proof for that ticket (core/agentauth.py; the whole raw mail is fetched for DKIM only
when no token proves it), then the commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailbot.core.agentauth import (
    Proof,
    agent_proof,
    content_key,
    named_tickets,
    subject_tag,
    token_proof,
)
from mailbot.core.commands import READ_ONLY, apply_commands, command_refusal, parse_commands
from mailbot.core.correlate import Threads, answered_ids, answered_ticket
from mailbot.core.model import Decision, InboundMessage, Ticket
from mailbot.core.notify import UNVERIFIED, unverified_alert
from mailbot.core.rulebook import Rulebook
from mailbot.inbound.source import FetchedMessage, Inbox
from mailbot.outbound.compose import compose
from mailbot.outbound.render import Renderer
from mailbot.shell.handled import Handled
from mailbot.store import Store

if TYPE_CHECKING:
    from mailbot.inbound.dkimcheck import DkimVerifier

log = logging.getLogger("mailbot")

# A ticket reference or an RMA number (see mailbot/store/rma.py) quoted in a message.
TICKET_REFERENCE = re.compile(r"(?<![\w-])(?:T-\d{6,}|RMA\d{9})(?!\w)", re.IGNORECASE)
# What mail claiming an agent's address without proof may make us send the agents
# (alerts, answers about an unusable token), per claimed sender and hour.
_TOLD = (UNVERIFIED, "command_error")


class AgentDesk:
    """Handles agents' mail; Service provides the adapters and settings below."""

    inbox: Inbox
    store: Store
    renderer: Renderer
    rules: Rulebook
    agents: tuple[str, ...]
    from_addr: str
    instance: str
    agent_secret: str | None
    token_days: int
    authserv_id: str | None
    dkim: DkimVerifier | None
    max_message_bytes: int
    _record: Callable[..., Ticket]

    def _handle_agent(
        self, fetched: FetchedMessage, message: InboundMessage, now: datetime
    ) -> Handled:
        """An agent's mail: commands on the ticket it answers, never a return request."""
        key, sender = fetched.key, message.sender or ""
        ticket = self._agent_ticket(message)
        if ticket is None or ticket.id is None:
            return self._agent_mail_without_ticket(key, message, now)
        proof = self._agent_proof(fetched, message, ticket, now)
        if not proof.proven:
            return self._unproven(key, message, ticket, proof, now)
        # An agent's attachments are not the customer's evidence.
        bare = replace(message, attachments=())
        threads = Threads(
            customer=self.store.customer_thread(ticket.id, ticket.customer_email),
            agents=(*self.store.agent_thread(ticket.id, self.agents), message.message_id),
        )
        commands, _ = parse_commands(message.text, self.rules)
        changing = any(c.name not in READ_ONLY for c in commands)
        content = content_key(message, ticket.reference) if changing else None
        applied = self.store.applied_command_mail(content) if content else None
        if applied is not None:
            why = (
                f"this mail arrived before ({applied}) and its commands were applied then;"
                " nothing was changed again"
            )
            result = command_refusal(ticket, sender, [why], self.rules, now, "already applied")
        elif changing and not proof.names_ticket:
            why = (
                f"proven by {proof.method} alone, a command that changes a ticket must name it"
                f" in the subject: [{ticket.reference}] (or reply to our mail about it)"
            )
            result = command_refusal(ticket, sender, [why], self.rules, now)
        else:
            order = self.store.get_order(ticket.order_id) if ticket.order_id else None
            evidence = self.store.ticket_evidence(ticket.id)
            result = apply_commands(ticket, message, sender, order, evidence, self.rules, now)
        applied_now = None if result.errors else content
        self._record(key, bare, ticket, result.decision, now, threads, sender, applied_now)
        return _handled(key, message, ticket, result.decision, f"agent {sender} ({proof.method})")

    def _agent_ticket(self, message: InboundMessage) -> Ticket | None:
        """The ticket an agent's mail is about: the nearest mail of ours to agents it
        answers, else the ticket its subject tags, else one its subject or own text names
        (a ticket reference or RMA number)."""
        sent = {
            mail.message_id: mail.ticket_id
            for mail in self.store.sent_mail(answered_ids(message))
            if mail.to_addr in self.agents and mail.ticket_id is not None
        }
        ticket_id = answered_ticket(message, sent)
        if ticket_id is not None:
            return self.store.find_ticket(str(ticket_id))
        for reference in named_tickets(message.subject):
            if (found := self.store.find_ticket(reference)) is not None:
                return found
        for source in (message.subject, message.reading.own_words):
            for match in TICKET_REFERENCE.finditer(source):
                if (found := self.store.find_ticket(match.group(0))) is not None:
                    return found
        return None

    def _agent_proof(
        self, fetched: FetchedMessage, message: InboundMessage, ticket: Ticket, now: datetime
    ) -> Proof:
        """The token, else a DKIM signature checked here on the whole mail (fetched only
        for this), else our server's Authentication-Results (if declared trustworthy)."""
        secret, days = self.agent_secret, self.token_days
        proof = token_proof(message, ticket.reference, secret, days, now)
        if proof.proven:
            return proof
        domains: tuple[str, ...] = ()
        signed = message.header("dkim-signature") is not None
        if self.dkim is not None and signed and fetched.size <= self.max_message_bytes:
            raw = self.inbox.fetch_raw(fetched.key, self.max_message_bytes)
            domains = self.dkim.signing_domains(raw) if raw else ()
        return agent_proof(
            message, ticket.reference, now, secret=secret, token_days=days,
            dkim_domains=domains, authserv_id=self.authserv_id,
        )  # fmt: skip

    def _unproven(
        self, key: str, message: InboundMessage, ticket: Ticket, proof: Proof, now: datetime
    ) -> Handled:
        """No proof: nothing changes. A real but unusable token (expired, another
        ticket's) is answered to the agent's address; anything else alerts the agents.
        Either is sent at most once an hour per claimed sender, then only recorded."""
        sender = message.sender or ""
        actor = f"unverified {sender}"
        told = self.store.events_of(actor, _TOLD, now - timedelta(hours=1))
        ours = self.store.agent_thread(ticket.id or 0, self.agents)
        if proof.problem and not told:
            decision = command_refusal(ticket, sender, [proof.problem], self.rules, now).decision
            threads = Threads(agents=(*ours, message.message_id))  # the answer to that mail
        else:
            decision = unverified_alert(ticket, message, self.agents, self.rules, told)
            threads = Threads(agents=ours)
        self._record(key, replace(message, attachments=()), ticket, decision, now, threads, actor)
        log.warning("ticket=%s security: %s", ticket.reference, decision.reasons[0])
        return _handled(key, message, ticket, decision)

    def _agent_mail_without_ticket(
        self, key: str, message: InboundMessage, now: datetime
    ) -> Handled:
        """Recorded; if it holds commands, the agent is told that nothing was done and
        how to name the ticket (silence would look like success)."""
        commands, errors = parse_commands(message.text, self.rules)
        lines = [c.line for c in commands] + errors
        mails: list[tuple[str, str, bytes]] = []
        if lines and message.sender:
            reason = "agent commands that name no ticket: nothing done, the agent is told"
            context: dict[str, object] = {"subject": message.subject, "commands": lines}
            mails = self._agent_mails(
                "agent/no_ticket", context, None, now, to=(message.sender,), parent=message
            )
        else:
            reason = "agent mail that names no ticket"
        self.store.record_skip(key, message, reason, now, mails)
        return Handled(key, message.message_id, "-", "skipped", (reason,))

    def _agent_mails(
        self,
        template: str,
        context: dict[str, object],
        ticket: Ticket | None,
        now: datetime,
        to: Sequence[str] | None = None,
        parent: InboundMessage | None = None,
    ) -> list[tuple[str, str, bytes]]:
        """(to, Message-ID, raw) of one notice per agent (or per address of ``to``),
        outside any ticket decision: threaded under our mail to agents about `ticket`,
        or under the agent's own mail `parent`, never under a customer's ids."""
        ids = self.store.agent_thread(ticket.id, self.agents) if ticket and ticket.id else ()
        in_reply_to, references = Threads(
            agents=(*ids, parent.message_id) if parent else ids
        ).headers(to_agent=True)
        full = (
            {**context, "ticket": {"reference": ticket.reference, "rma": ticket.rma}}
            if ticket
            else context
        )
        rendered = self.renderer.render(template, full)
        mails = []
        for agent in self.agents if to is None else to:
            mail_id = self.store.new_message_id()
            raw = compose(
                rendered=rendered,
                from_addr=self.from_addr,
                to_addr=agent,
                message_id=mail_id,
                subject_tag=subject_tag(ticket.reference, self.agent_secret, agent, now)
                if ticket
                else "",
                in_reply_to=in_reply_to,
                references=references,
                instance=self.instance,
                date=now,
                auto_submitted="auto-generated",
            )
            mails.append((agent, mail_id, raw))
        return mails


def _handled(
    key: str, message: InboundMessage, ticket: Ticket, decision: Decision, by: str = ""
) -> Handled:
    reasons = (by, *decision.reasons) if by else decision.reasons
    return Handled(key, message.message_id, ticket.reference, decision.outcome, reasons)
