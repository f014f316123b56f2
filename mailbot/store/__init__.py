"""The database: tickets, messages, evidence, audit trail, outbox, inbound keys.

The only database user: repositories over one database object (db.py: prepared SQL,
rows mapped to typed records in records.py), one per kind of row: tickets.py,
inbound.py, outbox.py, reminders.py, orders.py, audit.py. ``Store`` (recording.py)
holds them and writes what spans them in one transaction.
"""

from __future__ import annotations

from mailbot.store.db import open_database
from mailbot.store.errors import AlreadyRecorded, Taken
from mailbot.store.outbox import SentMail
from mailbot.store.recording import Store
from mailbot.store.records import (
    AuditEntry,
    DueReminder,
    OutboxItem,
    OutboxMail,
    OutboxStatus,
    ReminderStatus,
)

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
    "Taken",
    "open_database",
]
