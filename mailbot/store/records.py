"""What the store hands out and takes in besides the core's dataclasses: typed records,
and the mapping of the rows read to them and to the core's dataclasses. Each read
selects the columns named here, in this order, so a row maps by position (the store
never hands out a row)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from mailbot.core.model import (
    AttachmentFacts,
    Order,
    Reminder,
    ReminderKind,
    Scenario,
    Ticket,
    TicketState,
)
from mailbot.store import contextjson
from mailbot.store.db import Row
from mailbot.store.values import amount, blob, moment, moment_or_none


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


def columns(names: str) -> str:
    """A column list for SQL, each name quoted (`prefix.` kept outside the quotes)."""
    return ", ".join(
        f'{n.split(".")[0]}."{n.split(".")[1]}"' if "." in n else f'"{n}"' for n in names.split()
    )


ORDER_COLUMNS = columns(
    "order_id customer_email product sku quantity payment_price purchase_cost"
    " export_postage currency delivered_at tracking_number carrier"
)


def order_of(row: Row) -> Order:
    """The Order in a row of ORDER_COLUMNS."""
    return Order(
        row[0], row[1], row[2], row[3], int(row[4]), amount(row[5]), amount(row[6]),
        amount(row[7]), row[8], moment(row[9]), row[10], row[11],
    )  # fmt: skip


TICKET_COLUMNS = columns(
    "id reference state scenario customer_email order_id rma created_at ship_by"
    " state_since complex reopenable language"
)


def ticket_of(row: Row) -> Ticket:
    """The core Ticket in a row of TICKET_COLUMNS."""
    return Ticket(
        id=row[0],
        reference=row[1],
        state=TicketState(row[2]),
        scenario=Scenario(row[3]),
        customer_email=row[4],
        order_id=row[5],
        rma=row[6],
        created_at=moment_or_none(row[7]),
        ship_by=moment_or_none(row[8]),
        state_since=moment_or_none(row[9]),
        complex=bool(row[10]),
        reopenable=bool(row[11]),
        language=row[12],
    )


def stored_id(ticket: Ticket) -> int:
    """The id of a ticket read from the store (only an unsaved one has none)."""
    if ticket.id is None:
        raise ValueError(f"ticket {ticket.reference} has no id: it was never stored")
    return ticket.id


EVIDENCE_COLUMNS = columns(
    "filename declared_type mime_type size fingerprint width height description phash"
    " taken_at camera screenshot_mark duration_ms frames"
)


def attachment_of(row: Row) -> AttachmentFacts:
    """The AttachmentFacts an evidence row of EVIDENCE_COLUMNS keeps."""
    return AttachmentFacts(
        filename=row[0],
        declared_type=row[1],
        mime_type=row[2],
        size=row[3],
        fingerprint=row[4],
        width=row[5],
        height=row[6],
        description=row[7],
        phash=row[8],
        taken_at=datetime.fromisoformat(row[9]) if row[9] else None,
        camera=row[10],
        screenshot_mark=bool(row[11]),
        duration_ms=row[12],
        frames=row[13],
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


def reminder_of(row: Row) -> Reminder:
    """The core Reminder in a row of its kind, due_at, state and context."""
    return Reminder(
        kind=ReminderKind(row[0]),
        due_at=moment(row[1]),
        state=TicketState(row[2]),
        context=contextjson.loads(row[3]),
    )


AUDIT_COLUMNS = columns("at actor event outcome reasons detail rules_version")


def audit_entry(row: Row) -> AuditEntry:
    """The AuditEntry in a row of AUDIT_COLUMNS."""
    return AuditEntry(
        at=moment(row[0]),
        actor=row[1],
        event=row[2],
        outcome=row[3],
        reasons=tuple(json.loads(row[4])),
        detail=json.loads(row[5]),
        rules_version=row[6],
    )


OUTBOX_ITEM_COLUMNS = columns("id ticket_id message_id to_addr raw_email attempts created_at")


def outbox_item(row: Row) -> OutboxItem:
    """The OutboxItem in a row of OUTBOX_ITEM_COLUMNS (``attempts`` as counted after
    claiming)."""
    return OutboxItem(row[0], row[1], row[2], row[3], blob(row[4]), row[5], moment(row[6]))


OUTBOX_STATUS_COLUMNS = columns(
    "id ticket_id message_id to_addr status attempts next_attempt_at last_error sent_at"
)


def outbox_status(row: Row) -> OutboxStatus:
    """The OutboxStatus in a row of OUTBOX_STATUS_COLUMNS."""
    return OutboxStatus(
        row[0], row[1], row[2], row[3], row[4], row[5], moment_or_none(row[6]), row[7],
        moment_or_none(row[8]),
    )  # fmt: skip
