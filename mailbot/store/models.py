"""The tables, as peewee models: the schema migrations.py creates and upgrades. No
query goes through them (db.py runs the store's SQL; values.py writes the columns as
the field types below describe them; records.py maps the rows read).

The model classes are built per database by ``build_models`` instead of once at
import time: peewee binds a model class to one database, and a process (or a test
session) may hold a SQLite and a PostgreSQL store at the same time. Per-store
classes avoid rebinding shared classes, which would not be thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import peewee

_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class UtcDateTimeField(peewee.TextField):
    """An aware datetime stored as fixed-width UTC ISO text.

    Fixed width makes text order equal time order on every backend, so
    ``next_attempt_at <= now`` compares correctly in SQLite and PostgreSQL alike.
    """

    def db_value(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive time is ambiguous; refusing it catches the bug at the source.
            raise ValueError(f"naive datetime {value!r} cannot be stored; use aware UTC")
        return value.astimezone(UTC).strftime(_UTC_FORMAT)

    def python_value(self, value: str | None) -> datetime | None:
        if value is None:
            return None
        return datetime.strptime(value, _UTC_FORMAT).replace(tzinfo=UTC)


class DecimalTextField(peewee.TextField):
    """A Decimal stored as text: exact on SQLite too (whose NUMERIC may turn it into float)."""

    def db_value(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    def python_value(self, value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)


@dataclass(frozen=True)
class Models:
    """The model classes bound to one database."""

    order: Any
    ticket: Any
    message: Any
    evidence: Any
    audit: Any
    outbox: Any
    inbound: Any
    reminder: Any
    failure: Any
    suppression: Any
    claim: Any
    applied: Any

    def all(self) -> list[Any]:
        """Every model, parents before children (the order create_tables needs)."""
        return [
            self.order,
            self.ticket,
            self.message,
            self.evidence,
            self.audit,
            self.outbox,
            self.inbound,
            self.reminder,
            self.failure,
            self.suppression,
            self.claim,
            self.applied,
        ]


def build_models(db: peewee.Database) -> Models:
    """Define the tables on ``db`` and return their model classes."""

    class Base(peewee.Model):
        class Meta:
            database = db

    class OrderRow(Base):
        order_id = peewee.CharField(unique=True)
        customer_email = peewee.CharField(index=True)
        product = peewee.TextField()
        sku = peewee.CharField()
        quantity = peewee.IntegerField()
        payment_price = DecimalTextField()
        purchase_cost = DecimalTextField()
        export_postage = DecimalTextField()
        currency = peewee.CharField()
        delivered_at = UtcDateTimeField()
        tracking_number = peewee.CharField(default="")
        carrier = peewee.CharField(default="")

        class Meta:
            table_name = "orders"

    class TicketRow(Base):
        reference = peewee.CharField(unique=True)
        state = peewee.CharField(index=True)
        scenario = peewee.CharField()
        customer_email = peewee.CharField(index=True)
        order_id = peewee.CharField(null=True, index=True)
        rma = peewee.CharField(null=True, unique=True)
        created_at = UtcDateTimeField()
        updated_at = UtcDateTimeField()
        ship_by = UtcDateTimeField(null=True)
        rules_version = peewee.CharField(default="")
        state_since = UtcDateTimeField(null=True)
        complex = peewee.BooleanField(default=False)
        reopenable = peewee.BooleanField(default=False)
        language = peewee.CharField(default="")

        class Meta:
            table_name = "tickets"

    class MessageRow(Base):
        ticket = peewee.ForeignKeyField(TicketRow, backref="messages")
        direction = peewee.CharField()  # "in" or "out"
        message_id = peewee.TextField(index=True)
        inbound_key = peewee.TextField(null=True, index=True)
        sender = peewee.TextField(null=True)
        subject = peewee.TextField(default="")
        excerpt = peewee.TextField(default="")
        received_at = UtcDateTimeField()

        class Meta:
            table_name = "messages"

    class EvidenceRow(Base):
        ticket = peewee.ForeignKeyField(TicketRow, backref="evidence")
        message = peewee.ForeignKeyField(MessageRow, backref="evidence")
        filename = peewee.TextField()
        declared_type = peewee.TextField(default="")
        mime_type = peewee.TextField()
        size = peewee.BigIntegerField()
        width = peewee.IntegerField(null=True)
        height = peewee.IntegerField(null=True)
        fingerprint = peewee.CharField(index=True)
        description = peewee.TextField(default="")
        # Filled by a later step that knows the media rules; the core does not yet
        # report a per-attachment verdict.
        kind = peewee.CharField(null=True)
        counted = peewee.CharField(null=True)
        # What the file's own metadata says (AttachmentFacts), kept so that evidence
        # sent over several mails is still compared across them. taken_at is ISO 8601
        # text: without an offset when the photo gave none (read in the shop's zone).
        phash = peewee.CharField(default="")
        taken_at = peewee.CharField(default="")
        camera = peewee.TextField(default="")
        screenshot_mark = peewee.BooleanField(default=False)
        duration_ms = peewee.BigIntegerField(null=True)
        frames = peewee.CharField(default="")

        class Meta:
            table_name = "evidence"

    class AuditRow(Base):
        ticket = peewee.ForeignKeyField(TicketRow, null=True, backref="audit")
        at = UtcDateTimeField()
        actor = peewee.TextField()
        event = peewee.CharField()
        outcome = peewee.TextField(default="")
        reasons = peewee.TextField(default="[]")  # JSON list of strings
        rules_version = peewee.CharField(default="")
        detail = peewee.TextField(default="{}")  # JSON object

        class Meta:
            table_name = "audit_events"

    class OutboxRow(Base):
        ticket = peewee.ForeignKeyField(TicketRow, null=True, backref="outbox")
        message_id = peewee.CharField(unique=True)
        to_addr = peewee.TextField()
        # Not "raw": that would shadow peewee.Model.raw().
        raw_email = peewee.BlobField()
        created_at = UtcDateTimeField()
        status = peewee.CharField(default="pending")  # pending | sent | dead
        attempts = peewee.IntegerField(default=0)
        next_attempt_at = UtcDateTimeField(null=True)
        last_error = peewee.TextField(null=True)
        sent_at = UtcDateTimeField(null=True)
        # The process sending it now (None between attempts), so a killed sender's rows
        # can be taken over before the lease ends.
        claimed_by = peewee.CharField(null=True)

        class Meta:
            table_name = "outbox"
            indexes = (
                (("status", "next_attempt_at"), False),
                (("to_addr", "created_at"), False),  # the per-address reply limit
            )

    class ReminderRow(Base):
        ticket = peewee.ForeignKeyField(TicketRow, backref="reminders")
        kind = peewee.CharField()
        due_at = UtcDateTimeField()
        state = peewee.CharField()  # the ticket state it belongs to; stale outside it
        context = peewee.TextField(default="{}")  # JSON object
        status = peewee.CharField(default="pending")  # pending | done | cancelled | stale | failed
        created_at = UtcDateTimeField()
        done_at = UtcDateTimeField(null=True)
        # A claimer owns the row until then (a crashed claimer's rows come back).
        claimed_until = UtcDateTimeField(null=True)
        attempts = peewee.IntegerField(default=0)
        last_error = peewee.TextField(null=True)
        claimed_by = peewee.CharField(null=True)  # the claimer (workers.worker_name)

        class Meta:
            table_name = "reminders"
            indexes = (
                # One reminder of a kind per moment: a re-plan never schedules it twice.
                (("ticket", "kind", "due_at"), True),
                (("status", "due_at"), False),
            )

    class FailureRow(Base):
        # Failed attempts at one inbound message; enough of them and it is quarantined.
        key = peewee.CharField(unique=True)
        attempts = peewee.IntegerField(default=0)
        last_error = peewee.TextField(default="")
        first_at = UtcDateTimeField()
        last_at = UtcDateTimeField()

        class Meta:
            table_name = "inbound_failures"

    class SuppressionRow(Base):
        # An address that refused our mail for good: nothing is sent to it until then.
        address = peewee.CharField(unique=True)
        until = UtcDateTimeField()
        reason = peewee.TextField(default="")
        created_at = UtcDateTimeField()

        class Meta:
            table_name = "suppressions"

    class ClaimRow(Base):
        # Which process works on an inbound message until when: several processes share
        # one inbox, each message goes to one of them; a dead claimer's lease runs out.
        key = peewee.CharField(unique=True)
        owner = peewee.CharField()
        until = UtcDateTimeField()

        class Meta:
            table_name = "inbound_claims"

    class InboundRow(Base):
        key = peewee.CharField(unique=True)
        # Indexed: the same mail delivered twice (or after a UIDVALIDITY change) is
        # found by its Message-ID and not answered again.
        message_id = peewee.TextField(default="", index=True)
        processed_at = UtcDateTimeField()
        outcome = peewee.TextField(default="")

        class Meta:
            table_name = "inbound"

    class AppliedCommandRow(Base):
        # An agent's command mail that changed a ticket, by its content: a copy sent
        # again (a new Message-ID) is recognised and changes nothing.
        content = peewee.CharField(unique=True)
        key = peewee.CharField()
        ticket = peewee.ForeignKeyField(TicketRow, backref="applied_commands")
        at = UtcDateTimeField()

        class Meta:
            table_name = "applied_commands"

    return Models(
        order=OrderRow,
        ticket=TicketRow,
        message=MessageRow,
        evidence=EvidenceRow,
        audit=AuditRow,
        outbox=OutboxRow,
        inbound=InboundRow,
        reminder=ReminderRow,
        failure=FailureRow,
        suppression=SuppressionRow,
        claim=ClaimRow,
        applied=AppliedCommandRow,
    )
