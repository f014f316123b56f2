"""The database: tickets, messages, evidence, audit trail, outbox, inbound keys.

The only database user. Each part holds the rows of a few tables over one database
object (db.py: prepared SQL, rows mapped to typed records in records.py): tickets.py,
inbound.py, orders.py, outbox.py, reminders.py, correlation.py; Store combines them.
Every handled message is written in ONE transaction (``Store.record``): ticket,
message, evidence, audit event, composed outbox rows and the inbound key commit
together or not at all, so a crash never leaves a message answered-but-unrecorded or
recorded-but-unanswered. Methods take and return the core dataclasses
(mailbot/core/model.py) and the typed records of records.py, never rows.
"""

from __future__ import annotations

from mailbot.store.base import AlreadyRecorded, StoreBase, Taken
from mailbot.store.correlation import SentMail
from mailbot.store.db import open_database
from mailbot.store.orders import OrderRows
from mailbot.store.outbox import OutboxRows
from mailbot.store.records import (
    AuditEntry,
    DueReminder,
    OutboxItem,
    OutboxMail,
    OutboxStatus,
    ReminderStatus,
)
from mailbot.store.tickets import TicketRows

__all__ = [
    "AlreadyRecorded",
    "AuditEntry",
    "DueReminder",
    "OutboxItem",
    "OutboxMail",
    "OutboxStatus",
    "ReminderStatus",
    "SentMail",
    "Store",
    "StoreBase",
    "Taken",
    "open_database",
]


class Store(TicketRows, OrderRows, OutboxRows):
    """All persistent state, behind methods that speak the core's types."""
