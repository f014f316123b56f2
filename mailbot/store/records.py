"""What the store hands out and takes in besides the core's dataclasses: plain records,
and the conversions from rows to them (the store never hands out a row)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from mailbot.core.model import Order, Reminder, ReminderKind, Scenario, Ticket, TicketState
from mailbot.store import contextjson


@dataclass(frozen=True)
class AuditEntry:
    """One event in a ticket's history."""

    at: datetime
    actor: str  # "bot" or the agent's address
    event: str
    outcome: str
    reasons: tuple[str, ...]
    detail: Mapping[str, object]
    rules_version: str = ""


@dataclass(frozen=True)
class StoredMessage:
    """One email in or out of a ticket."""

    direction: str  # "in" or "out"
    message_id: str
    sender: str | None
    subject: str
    excerpt: str
    at: datetime


@dataclass(frozen=True)
class OutboxMail:
    """A composed mail to queue: recipient, Message-ID, raw bytes, and what the messages
    table shows of it (the template; "" for a notice, which has no message row)."""

    to: str
    message_id: str
    raw: bytes
    excerpt: str = ""


@dataclass(frozen=True)
class OutboxItem:
    """A claimed outbox row, ready to send. ``attempts`` counts this attempt."""

    id: int
    ticket_id: int | None
    message_id: str
    to_addr: str
    raw: bytes
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class OutboxStatus:
    """Where one outbox row stands (no raw email)."""

    id: int
    ticket_id: int | None
    message_id: str
    to_addr: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


def order_fields(order: Order) -> dict[str, object]:
    """Column values for an Order."""
    return {f.name: getattr(order, f.name) for f in fields(order)}


def order_from_row(row: Any) -> Order:
    """The Order stored in ``row``."""
    return Order(**{f.name: getattr(row, f.name) for f in fields(Order)})


def ticket_from_row(row: Any) -> Ticket:
    """The core Ticket stored in ``row``."""
    return Ticket(
        id=row.id,
        reference=row.reference,
        state=TicketState(row.state),
        scenario=Scenario(row.scenario),
        customer_email=row.customer_email,
        order_id=row.order_id,
        rma=row.rma,
        created_at=row.created_at,
        ship_by=row.ship_by,
        state_since=row.state_since,
        complex=row.complex,
        reopenable=row.reopenable,
        language=row.language,
    )


@dataclass(frozen=True)
class DueReminder:
    """A claimed reminder row with its ticket, ready to decide."""

    id: int
    ticket: Ticket
    reminder: Reminder
    attempts: int


@dataclass(frozen=True)
class ReminderStatus:
    """Where one reminder of a ticket stands, for displays."""

    kind: str
    due_at: datetime
    status: str
    done_at: datetime | None


def reminder_of(row: Any) -> Reminder:
    """The core Reminder stored in ``row``."""
    return Reminder(
        kind=ReminderKind(row.kind),
        due_at=row.due_at,
        state=TicketState(row.state),
        context=contextjson.loads(row.context),
    )


def audit_entry(row: Any) -> AuditEntry:
    """The AuditEntry stored in ``row``."""
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        event=row.event,
        outcome=row.outcome,
        reasons=tuple(json.loads(row.reasons)),
        detail=json.loads(row.detail),
        rules_version=row.rules_version,
    )


def stored_message(row: Any) -> StoredMessage:
    """The StoredMessage in ``row``."""
    return StoredMessage(
        direction=row.direction,
        message_id=row.message_id,
        sender=row.sender,
        subject=row.subject,
        excerpt=row.excerpt,
        at=row.received_at,
    )


def outbox_item(row: Any, attempts: int) -> OutboxItem:
    """The OutboxItem in ``row``, with the attempt count after claiming."""
    return OutboxItem(
        id=row.id,
        ticket_id=row.ticket_id,
        message_id=row.message_id,
        to_addr=row.to_addr,
        # PostgreSQL returns bytea as memoryview.
        raw=bytes(row.raw_email),
        attempts=attempts,
        created_at=row.created_at,
    )


def outbox_status(row: Any) -> OutboxStatus:
    """The OutboxStatus of ``row``."""
    return OutboxStatus(
        id=row.id,
        ticket_id=row.ticket_id,
        message_id=row.message_id,
        to_addr=row.to_addr,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )
