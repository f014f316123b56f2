"""Store.record and fire_reminder called as the shell calls them (mailbot/shell/apply.py):
the ticket id and RMA number drawn first, the mails composed by a test's `compose`
before the transaction, and drawn again when one was taken meanwhile."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from mailbot.core.correlate import ticket_reference
from mailbot.core.model import Decision, InboundMessage, Reply, Ticket
from mailbot.store import OutboxMail, Store, Taken

# compose(ticket as stored, with its RMA; the reply; the Message-ID to use) -> raw email
Compose = Callable[[Ticket, Reply, str], bytes]


def _mails(store: Store, ticket: Ticket, decision: Decision, compose: Compose) -> list[OutboxMail]:
    mails = []
    for reply in decision.replies:
        message_id = f"<mailbot.{uuid.uuid4().hex}@shop.example>"
        mails.append(
            OutboxMail(reply.to, message_id, compose(ticket, reply, message_id), reply.template)
        )
    return mails


def record(
    store: Store,
    key: str,
    message: InboundMessage,
    ticket: Ticket | None,
    decision: Decision,
    compose: Compose,
    rules_version: str,
    now: datetime,
    actor: str = "bot",
    applied: str | None = None,
) -> Ticket:
    for _ in range(10):
        new_id = store.next_ticket_id() if ticket is None else None
        rma = ticket.rma if ticket is not None else None
        if decision.issue_rma and rma is None:
            rma = store.draw_rma()
        shown = (
            replace(ticket, rma=rma)
            if ticket is not None
            else Ticket(
                id=new_id,
                reference=ticket_reference(new_id or 0),
                state=decision.state,
                scenario=decision.scenario,
                customer_email=message.sender or "",
                rma=rma,
            )
        )
        mails = _mails(store, shown, decision, compose)
        try:
            return store.record(
                key, message, ticket, decision, mails, rules_version, now, actor, applied,
                new_id, rma,
            )  # fmt: skip
        except Taken:
            continue
    raise AssertionError("no free ticket id or RMA number in 10 draws")


def fire(
    store: Store,
    reminder_id: int,
    ticket: Ticket,
    decision: Decision,
    compose: Compose,
    rules_version: str,
    now: datetime,
) -> Ticket:
    mails = _mails(store, ticket, decision, compose)
    return store.fire_reminder(reminder_id, ticket, decision, mails, rules_version, now)
