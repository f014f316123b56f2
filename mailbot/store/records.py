"""What the store hands out and takes in besides the core's dataclasses: typed records,
and the mapping of the rows read to them and to the core's dataclasses. Each read
selects the columns named here, in this order, so a row maps by position (the store
never hands out a row)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

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

T = TypeVar("T")
Convert = Callable[[Any], object] | None


def _json_tuple(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


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


class Shape(Generic[T]):
    """A record as read from a table: the columns that hold its fields, in the order of
    its fields, each with the conversion of its value (None: as the driver reads it)."""

    def __init__(self, make: Callable[..., T], *fields: tuple[str, Convert]) -> None:
        self._make = make
        self._converts = tuple(convert for _, convert in fields)
        self.columns = columns(" ".join(name for name, _ in fields))

    def of(self, row: Row) -> T:
        """The record in a row of ``columns``."""
        return self._make(
            *[v if c is None else c(v) for c, v in zip(self._converts, row, strict=True)]
        )


def _optional_moment(text: str) -> datetime | None:
    # Evidence keeps a photo's own time as ISO text, "" when it gave none.
    return datetime.fromisoformat(text) if text else None


ORDER = Shape(
    Order, ("order_id", None), ("customer_email", None), ("product", None), ("sku", None),
    ("quantity", int), ("payment_price", amount), ("purchase_cost", amount),
    ("export_postage", amount), ("currency", None), ("delivered_at", moment),
    ("tracking_number", None), ("carrier", None),
)  # fmt: skip
TICKET = Shape(
    Ticket, ("id", None), ("reference", None), ("state", TicketState),
    ("scenario", Scenario), ("customer_email", None), ("order_id", None), ("rma", None),
    ("created_at", moment_or_none), ("ship_by", moment_or_none),
    ("state_since", moment_or_none), ("complex", bool), ("reopenable", bool),
    ("language", None),
)  # fmt: skip
EVIDENCE = Shape(
    AttachmentFacts, ("filename", None), ("declared_type", None), ("mime_type", None),
    ("size", None), ("fingerprint", None), ("width", None), ("height", None),
    ("description", None), ("phash", None), ("taken_at", _optional_moment),
    ("camera", None), ("screenshot_mark", bool), ("duration_ms", None), ("frames", None),
)  # fmt: skip
AUDIT = Shape(
    AuditEntry, ("at", moment), ("actor", None), ("event", None), ("outcome", None),
    ("reasons", _json_tuple), ("detail", json.loads), ("rules_version", None),
)  # fmt: skip
# ``attempts`` as read: a claim counts its attempt in the row it hands out.
OUTBOX_ITEM = Shape(
    OutboxItem, ("id", None), ("ticket_id", None), ("message_id", None), ("to_addr", None),
    ("raw_email", blob), ("attempts", None), ("created_at", moment),
)  # fmt: skip
OUTBOX_STATUS = Shape(
    OutboxStatus, ("id", None), ("ticket_id", None), ("message_id", None),
    ("to_addr", None), ("status", None), ("attempts", None),
    ("next_attempt_at", moment_or_none), ("last_error", None), ("sent_at", moment_or_none),
)  # fmt: skip
REMINDER = Shape(
    Reminder, ("kind", ReminderKind), ("due_at", moment), ("state", TicketState),
    ("context", contextjson.loads),
)  # fmt: skip


def stored_id(ticket: Ticket) -> int:
    """The id of a ticket read from the store (only an unsaved one has none)."""
    if ticket.id is None:
        raise ValueError(f"ticket {ticket.reference} has no id: it was never stored")
    return ticket.id


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
