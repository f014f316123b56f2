"""The database: tickets, messages, evidence, audit trail, outbox, inbound keys.

The only peewee user. Every handled message is written in ONE transaction
(``Store.record``): ticket, message, evidence, audit event, composed outbox rows and
the inbound key commit together or not at all, so a crash never leaves a message
answered-but-unrecorded or recorded-but-unanswered. Methods take and return the core
dataclasses (mailbot/core/model.py) and the small records below, never peewee rows.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any

import peewee
from playhouse.db_url import connect
from playhouse.migrate import SchemaMigrator, migrate

from mailbot.core.model import (
    AttachmentFacts,
    Decision,
    InboundMessage,
    Order,
    Reminder,
    Reply,
    Ticket,
)
from mailbot.errors import MailbotError
from mailbot.rma import RMA_PATTERN, new_rma
from mailbot.storemodels import (
    AuditEntry,
    DueReminder,
    Models,
    OutboxItem,
    OutboxStatus,
    ReminderStatus,
    StoredMessage,
    audit_entry,
    build_models,
    order_fields,
    order_from_row,
    outbox_item,
    outbox_status,
    reminder_of,
    stored_message,
    ticket_from_row,
)

__all__ = [
    "AlreadyRecorded",
    "AuditEntry",
    "ComposeFn",
    "DueReminder",
    "OutboxItem",
    "OutboxStatus",
    "ReminderStatus",
    "Store",
    "StoredMessage",
]

# compose(ticket as stored, with its RMA; the reply; the Message-ID to use) -> raw email
ComposeFn = Callable[[Ticket, Reply, str], bytes]

PG_CONNECT_TIMEOUT = 10  # seconds
_RMA_DRAWS = 10  # 10^8 numbers: more than one collision in a row means something is wrong
_EXCERPT_CHARS = 2000
_ERROR_CHARS = 2000
# Evidence rows of cloud storage links (the URL is the file name).
LINK_TYPE = "text/x-uri"
_REMINDER_ATTEMPTS = 3  # a reminder that fails this often is set aside as failed


class AlreadyRecorded(MailbotError):
    """The inbound key was already committed (another worker handled the message)."""


def open_database(url: str) -> peewee.Database:
    """Open ``sqlite:///path``, ``sqlite:///:memory:`` or ``postgresql://…`` (lazily)."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :] or ":memory:"
        pragmas: list[tuple[str, object]] = [("foreign_keys", 1), ("busy_timeout", 10000)]
        if path != ":memory:":
            # WAL lets the web/CLI read while the service writes.
            pragmas.insert(0, ("journal_mode", "wal"))
        return peewee.SqliteDatabase(path, pragmas=pragmas, timeout=10)
    if url.startswith(("postgresql://", "postgres://")):
        # Every network call has a timeout: a database that does not answer must not
        # hang the service (override with ?connect_timeout=N in the url).
        extra = {} if "connect_timeout=" in url else {"connect_timeout": PG_CONNECT_TIMEOUT}
        db: peewee.Database = connect(url, **extra)
        return db
    raise MailbotError(f"database url must start with sqlite:/// or postgresql://: {url!r}")


class Store:
    """All persistent state, behind methods that speak the core's types.

    ``sqlite:///:memory:`` gives each thread its own empty database (peewee keeps one
    connection per thread); use a file for anything shared between threads.
    """

    def __init__(
        self,
        url: str,
        *,
        message_id_domain: str = "mailbot.localhost",
        rma_source: Callable[[], str] = new_rma,
        claim_lease: timedelta = timedelta(minutes=10),
    ) -> None:
        self.db = open_database(url)
        self.m: Models = build_models(self.db)
        self._is_pg = isinstance(self.db, peewee.PostgresqlDatabase)
        self._domain = message_id_domain
        self._rma_source = rma_source
        self._lease = claim_lease

    def create_tables(self) -> None:
        """Create missing tables, columns and indexes; safe to call on every start.

        Columns added by a newer mailbot are added to an existing database (each has a
        default or allows NULL), so an upgrade needs no manual migration.
        """
        self.db.create_tables(self.m.all(), safe=True)
        migrator = SchemaMigrator.from_database(self.db)
        for model in self.m.all():
            table = model._meta.table_name
            have = {c.name for c in self.db.get_columns(table)}
            missing = [f for f in model._meta.sorted_fields if f.column_name not in have]
            if missing:
                migrate(*(migrator.add_column(table, f.column_name, f) for f in missing))

    def close(self) -> None:
        """Close this thread's connection."""
        if not self.db.is_closed():
            self.db.close()

    def new_message_id(self) -> str:
        """A fresh, globally unique Message-ID for an outgoing email."""
        return f"<mailbot.{uuid.uuid4().hex}@{self._domain}>"

    def _tx(self) -> Any:
        # BEGIN IMMEDIATE takes SQLite's write lock up front, so two writers queue on
        # busy_timeout instead of one failing when it upgrades a read lock.
        return self.db.atomic() if self._is_pg else self.db.atomic(lock_type="IMMEDIATE")

    # -- orders ---------------------------------------------------------------

    def import_orders(self, orders: Iterable[Order]) -> int:
        """Insert or update orders by order_id; return how many were written."""
        count = 0
        with self._tx():
            for order in orders:
                fields = order_fields(order)
                updated = (
                    self.m.order.update(**fields)
                    .where(self.m.order.order_id == order.order_id)
                    .execute()
                )
                if not updated:
                    self.m.order.create(**fields)
                count += 1
        return count

    def get_order(self, order_id: str) -> Order | None:
        """The order with this id, or None."""
        row = self.m.order.get_or_none(self.m.order.order_id == order_id)
        return None if row is None else order_from_row(row)

    # -- handling a message ---------------------------------------------------

    def replies_to(self, address: str, since: datetime) -> int:
        """How many mails were queued for `address` since `since`."""
        Ob = self.m.outbox
        return int(Ob.select().where((Ob.to_addr == address) & (Ob.created_at >= since)).count())

    def key_of_message_id(self, message_id: str) -> str | None:
        """The inbound key already recorded with this Message-ID, or None."""
        if not message_id:
            return None
        In = self.m.inbound
        row = In.select(In.key).where(In.message_id == message_id).first()
        return None if row is None else str(row.key)

    def is_processed(self, key: str) -> bool:
        """True when the inbound message with this key was already recorded."""
        return bool(self.m.inbound.select().where(self.m.inbound.key == key).exists())

    def record(
        self,
        key: str,
        message: InboundMessage,
        ticket: Ticket | None,
        decision: Decision,
        compose: ComposeFn,
        rules_version: str,
        now: datetime,
        actor: str = "bot",
    ) -> Ticket:
        """Write one decision and its replies in one transaction; return the ticket.

        Creates the ticket when ``ticket`` is None, else updates it; draws an RMA when
        the decision issues one and the ticket has none. Any exception (including
        from ``compose``) rolls everything back, the inbound key included; a key
        that is already recorded raises AlreadyRecorded.
        """
        with self._tx():
            # The key first: a message recorded concurrently fails here, before any work.
            self._claim_key(key, message, decision.outcome, now)
            row = self._save_ticket(ticket, message, decision, rules_version, now)
            if decision.issue_rma and row.rma is None:
                self._assign_rma(row)
            msg = self._save_inbound_message(row, key, message, now)
            self._save_evidence(row, msg, message, decision.links)
            detail = {
                "key": key,
                "message_id": message.message_id,
                "state": str(decision.state),
                "scenario": str(decision.scenario),
                "rma": row.rma,
                "refund": None if decision.refund is None else str(decision.refund),
                "links": list(decision.links),
                "agent_notice": decision.agent_notice,
            }
            self._audit(
                row.id,
                now,
                actor,
                "decision",
                decision.outcome,
                decision.reasons,
                rules_version,
                detail,
            )
            if not decision.keep_plan:
                self._replace_reminders(row.id, decision.reminders, now)
            stored = ticket_from_row(row)
            for reply in decision.replies:
                self._enqueue(row.id, stored, reply, compose, now)
        return stored

    def record_skip(
        self,
        key: str,
        message: InboundMessage,
        reason: str,
        now: datetime,
        actor: str = "bot",
    ) -> None:
        """Record a message that gets no answer (no ticket): inbound key + audit event."""
        detail = {
            "key": key,
            "message_id": message.message_id,
            "sender": message.sender,
            "subject": message.subject[:200],
        }
        with self._tx():
            self._claim_key(key, message, reason, now)
            self._audit(None, now, actor, "skipped", reason, (), "", detail)

    def note_failure(self, key: str, error: str, now: datetime) -> int:
        """Count one failed attempt at an inbound message; return the attempts so far."""
        F = self.m.failure
        with self._tx():
            updated = (
                F.update(attempts=F.attempts + 1, last_error=error[:_ERROR_CHARS], last_at=now)
                .where(F.key == key)
                .execute()
            )
            if not updated:
                F.create(
                    key=key, attempts=1, last_error=error[:_ERROR_CHARS], first_at=now, last_at=now
                )
            return int(F.get(F.key == key).attempts)

    def record_quarantine(
        self,
        key: str,
        message_id: str,
        reason: str,
        now: datetime,
        mails: Iterable[tuple[str, str, bytes]] = (),
    ) -> None:
        """Record a message set aside for a person: its key (so it is never handled
        again), an audit event, and the (to, Message-ID, raw) notices to send."""
        with self._tx():
            try:
                self.m.inbound.create(
                    key=key,
                    message_id=message_id,
                    processed_at=now,
                    outcome=f"quarantined: {reason}"[:500],
                )
            except peewee.IntegrityError:
                raise AlreadyRecorded(f"inbound message {key} is already recorded") from None
            self._audit(
                None,
                now,
                "bot",
                "quarantined",
                reason,
                (),
                "",
                {"key": key, "message_id": message_id},
            )
            self._queue(None, mails, now)

    def queue_notices(
        self,
        ticket_id: int | None,
        event: str,
        reason: str,
        mails: Iterable[tuple[str, str, bytes]],
        now: datetime,
    ) -> None:
        """An audit event and the (to, Message-ID, raw) mails it sends, in one transaction."""
        with self._tx():
            self._audit(ticket_id, now, "bot", event, reason, (), "", {})
            self._queue(ticket_id, mails, now)

    def _queue(
        self, ticket_id: int | None, mails: Iterable[tuple[str, str, bytes]], now: datetime
    ) -> None:
        for to, mail_id, raw in mails:
            self.m.outbox.create(
                ticket=ticket_id,
                message_id=mail_id,
                to_addr=to,
                raw_email=raw,
                created_at=now,
                status="pending",
                attempts=0,
                next_attempt_at=now,
            )

    def _claim_key(self, key: str, message: InboundMessage, outcome: str, now: datetime) -> None:
        try:
            self.m.inbound.create(
                key=key, message_id=message.message_id, processed_at=now, outcome=outcome
            )
        except peewee.IntegrityError:
            raise AlreadyRecorded(f"inbound message {key} is already recorded") from None

    def _save_ticket(
        self,
        ticket: Ticket | None,
        message: InboundMessage,
        decision: Decision,
        rules_version: str,
        now: datetime,
    ) -> Any:
        T = self.m.ticket
        if ticket is None:
            row = T.create(
                reference=f"new-{uuid.uuid4().hex}",
                state=str(decision.state),
                scenario=str(decision.scenario),
                customer_email=message.sender or "",
                order_id=decision.order_id,
                created_at=now,
                updated_at=now,
                ship_by=decision.ship_by,
                rules_version=rules_version,
                state_since=now,
            )
            # The reference is derived from the id, which exists only after the insert.
            row.reference = f"T-{row.id:06d}"
        else:
            row = T.get_or_none(T.id == ticket.id)
            if row is None:
                raise MailbotError(f"ticket {ticket.reference or ticket.id} is not in the store")
            self._apply(row, decision, rules_version, now)
        row.save()
        return row

    def _apply(self, row: Any, decision: Decision, rules_version: str, now: datetime) -> None:
        if decision.clock_from is not None:
            row.state_since = decision.clock_from
        elif row.state != str(decision.state):
            row.state_since = now
        if decision.complex is not None:
            row.complex = decision.complex
        row.state, row.scenario = str(decision.state), str(decision.scenario)
        row.order_id = decision.order_id or row.order_id
        row.ship_by = decision.ship_by or row.ship_by
        if not decision.keep_plan:
            row.reopenable = decision.reopenable
        row.updated_at, row.rules_version = now, rules_version

    def _assign_rma(self, row: Any) -> None:
        T = self.m.ticket
        for _ in range(_RMA_DRAWS):
            candidate = self._rma_source()
            try:
                # A savepoint: on PostgreSQL a unique violation would otherwise abort
                # the whole transaction, not just this statement.
                with self.db.atomic():
                    T.update(rma=candidate).where(T.id == row.id).execute()
            except peewee.IntegrityError:
                continue
            row.rma = candidate
            return
        raise MailbotError(f"could not draw a unique RMA number in {_RMA_DRAWS} tries")

    def _save_inbound_message(
        self, row: Any, key: str, message: InboundMessage, now: datetime
    ) -> Any:
        return self.m.message.create(
            ticket=row.id,
            direction="in",
            message_id=message.message_id,
            inbound_key=key,
            sender=message.sender,
            subject=message.subject,
            excerpt=message.text[:_EXCERPT_CHARS],
            received_at=message.received_at or now,
        )

    def _save_evidence(
        self, row: Any, msg: Any, message: InboundMessage, links: Iterable[str]
    ) -> None:
        for url in links:
            # A link is evidence an agent opens; ticket_evidence() never counts it.
            self.m.evidence.create(
                ticket=row.id,
                message=msg.id,
                filename=url[:2000],
                mime_type=LINK_TYPE,
                size=0,
                fingerprint=f"link:{hashlib.sha256(url.encode()).hexdigest()[:32]}",
                kind="link",
                counted="an agent must check it",
            )
        for facts in message.attachments:
            self.m.evidence.create(
                ticket=row.id,
                message=msg.id,
                filename=facts.filename,
                declared_type=facts.declared_type,
                mime_type=facts.mime_type,
                size=facts.size,
                width=facts.width,
                height=facts.height,
                fingerprint=facts.fingerprint,
                description=facts.description,
            )

    def _audit(
        self,
        ticket_id: int | None,
        now: datetime,
        actor: str,
        event: str,
        outcome: str,
        reasons: Iterable[str],
        rules_version: str,
        detail: Mapping[str, object],
    ) -> None:
        self.m.audit.create(
            ticket=ticket_id,
            at=now,
            actor=actor,
            event=event,
            outcome=outcome,
            reasons=json.dumps(list(reasons), ensure_ascii=False),
            rules_version=rules_version,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )

    def _enqueue(
        self, ticket_id: int, ticket: Ticket, reply: Reply, compose: ComposeFn, now: datetime
    ) -> None:
        message_id = self.new_message_id()
        raw = compose(ticket, reply, message_id)
        self.m.outbox.create(
            ticket=ticket_id,
            message_id=message_id,
            to_addr=reply.to,
            raw_email=raw,
            created_at=now,
            status="pending",
            attempts=0,
            next_attempt_at=now,
        )
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        self.m.message.create(
            ticket=ticket_id,
            direction="out",
            message_id=message_id,
            sender=headers["From"],
            subject=str(headers["Subject"] or ""),
            excerpt=reply.template,
            received_at=now,
        )

    # -- reminders -------------------------------------------------------------

    def _replace_reminders(self, ticket_id: int, plan: Iterable[Reminder], now: datetime) -> None:
        """Make ``plan`` the ticket's pending reminders; cancel the rest.

        A planned reminder already done (same kind and moment) is not scheduled again,
        so re-planning after a reply never repeats a reminder.
        """
        R = self.m.reminder
        wanted = {(str(p.kind), p.due_at): p for p in plan}
        for row in R.select().where(R.ticket == ticket_id):
            planned = wanted.pop((row.kind, row.due_at), None)
            if planned is None:
                if row.status == "pending":
                    R.update(status="cancelled", done_at=now).where(R.id == row.id).execute()
            elif row.status in ("cancelled", "stale"):
                R.update(
                    status="pending",
                    done_at=None,
                    state=str(planned.state),
                    context=json.dumps(planned.context, ensure_ascii=False, default=str),
                ).where(R.id == row.id).execute()
        for p in wanted.values():
            R.create(
                ticket=ticket_id,
                kind=str(p.kind),
                due_at=p.due_at,
                state=str(p.state),
                context=json.dumps(p.context, ensure_ascii=False, default=str),
                created_at=now,
            )

    def due_reminders(self, now: datetime, limit: int = 50) -> list[DueReminder]:
        """Claim up to ``limit`` due reminders for this process alone (as ``due_outbox``)."""
        R, T = self.m.reminder, self.m.ticket
        with self._tx():
            query = (
                R.select(R, T)
                .join(T)
                .where(
                    (R.status == "pending")
                    & (R.due_at <= now)
                    & (R.claimed_until.is_null() | (R.claimed_until <= now))
                )
                .order_by(R.due_at, R.id)
                .limit(limit)
            )
            if self._is_pg:
                query = query.for_update(of=R, skip_locked=True)
            rows = list(query)
            if rows:
                R.update(claimed_until=now + self._lease, attempts=R.attempts + 1).where(
                    R.id.in_([r.id for r in rows])
                ).execute()
        return [
            DueReminder(r.id, ticket_from_row(r.ticket), reminder_of(r), r.attempts + 1)
            for r in rows
        ]

    def fire_reminder(
        self,
        reminder_id: int,
        ticket: Ticket,
        decision: Decision,
        compose: ComposeFn,
        rules_version: str,
        now: datetime,
    ) -> Ticket:
        """Record a due reminder's decision, its mails and the new plan in one transaction.

        Raises AlreadyRecorded if the reminder is no longer pending (another process
        fired it): nothing is written then, so a reminder is sent once.
        """
        R, T = self.m.reminder, self.m.ticket
        with self._tx():
            # Lock the ticket first: two reminders of one ticket fired by two processes
            # then queue here instead of deadlocking on each other's reminder rows.
            lock = T.select(T.id).where(T.id == ticket.id)
            list(lock.for_update() if self._is_pg else lock)
            done = (
                R.update(status="done", done_at=now, last_error=None)
                .where((R.id == reminder_id) & (R.status == "pending"))
                .execute()
            )
            if not done:
                raise AlreadyRecorded(f"reminder {reminder_id} was already handled")
            row = T.get_by_id(ticket.id)
            self._apply(row, decision, rules_version, now)
            row.save()
            self._audit(
                row.id,
                now,
                "scheduler",
                "reminder",
                decision.outcome,
                decision.reasons,
                rules_version,
                {"reminder": reminder_id, "state": str(decision.state)},
            )
            if not decision.keep_plan:
                self._replace_reminders(row.id, decision.reminders, now)
            stored = ticket_from_row(row)
            for reply in decision.replies:
                self._enqueue(row.id, stored, reply, compose, now)
        return stored

    def set_reminder_aside(self, reminder_id: int, status: str, why: str, now: datetime) -> None:
        """Close a reminder without firing it: ``stale`` (ticket moved on) or ``failed``."""
        R = self.m.reminder
        with self._tx():
            R.update(status=status, done_at=now, last_error=why[:_ERROR_CHARS]).where(
                (R.id == reminder_id) & (R.status == "pending")
            ).execute()

    def reminder_failed(self, reminder_id: int, attempts: int, error: str, now: datetime) -> str:
        """Record a failed attempt; after a few the reminder is set aside. Returns the status."""
        if attempts >= _REMINDER_ATTEMPTS:
            self.set_reminder_aside(reminder_id, "failed", error, now)
            return "failed"
        R = self.m.reminder
        R.update(last_error=error[:_ERROR_CHARS]).where(R.id == reminder_id).execute()
        return "pending"

    def ticket_reminders(self, ticket_id: int) -> list[ReminderStatus]:
        """The ticket's reminders, by due time."""
        R = self.m.reminder
        query = R.select().where(R.ticket == ticket_id).order_by(R.due_at, R.id)
        return [ReminderStatus(r.kind, r.due_at, r.status, r.done_at) for r in query]

    # -- reading tickets --------------------------------------------------------

    def find_ticket(self, ref: str) -> Ticket | None:
        """A ticket by id (``123``), reference (``T-000123``, ``[T-000123]``) or RMA."""
        T = self.m.ticket
        text = ref.strip().strip("[]").strip().upper()
        if text.isdigit():
            where = T.id == int(text)
        elif text.startswith("T-") and text[2:].isdigit():
            where = T.id == int(text[2:])
        elif RMA_PATTERN.fullmatch(text):
            where = T.rma == text
        else:
            return None
        row = T.get_or_none(where)
        return None if row is None else ticket_from_row(row)

    def ticket_for_message_ids(self, message_ids: Iterable[str]) -> Ticket | None:
        """The ticket a reply belongs to, from its In-Reply-To/References ids."""
        ids = [i for i in message_ids if i]
        if not ids:
            return None
        M = self.m.message
        hit = M.select().where(M.message_id.in_(ids)).order_by(M.id.desc()).first()
        return None if hit is None else ticket_from_row(hit.ticket)

    def latest_ticket(self, customer_email: str, order_id: str) -> Ticket | None:
        """The customer's newest ticket about this order, or None."""
        T = self.m.ticket
        row = (
            T.select()
            .where((T.customer_email == customer_email) & (T.order_id == order_id))
            .order_by(T.id.desc())
            .first()
        )
        return None if row is None else ticket_from_row(row)

    def ticket_evidence(self, ticket_id: int) -> tuple[AttachmentFacts, ...]:
        """Every attachment the ticket's messages brought so far, oldest first (not links)."""
        E = self.m.evidence
        query = (
            E.select().where((E.ticket == ticket_id) & (E.mime_type != LINK_TYPE)).order_by(E.id)
        )
        return tuple(
            AttachmentFacts(
                filename=r.filename,
                declared_type=r.declared_type,
                mime_type=r.mime_type,
                size=r.size,
                fingerprint=r.fingerprint,
                width=r.width,
                height=r.height,
                description=r.description,
            )
            for r in query
        )

    def tickets(self, state: str | None = None, limit: int = 100, offset: int = 0) -> list[Ticket]:
        """Tickets, newest first, optionally only those in ``state``."""
        T = self.m.ticket
        query = T.select().order_by(T.id.desc()).limit(limit).offset(offset)
        if state is not None:
            query = query.where(T.state == str(state))
        return [ticket_from_row(r) for r in query]

    def timeline(self, ticket_id: int) -> list[AuditEntry]:
        """The ticket's audit events, oldest first."""
        A = self.m.audit
        query = A.select().where(A.ticket == ticket_id).order_by(A.at, A.id)
        return [audit_entry(r) for r in query]

    def ticket_messages(self, ticket_id: int) -> list[StoredMessage]:
        """Messages in and out of the ticket, oldest first."""
        M = self.m.message
        query = M.select().where(M.ticket == ticket_id).order_by(M.received_at, M.id)
        return [stored_message(r) for r in query]

    # -- outbox -----------------------------------------------------------------

    def due_outbox(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        """Claim up to ``limit`` pending rows that are due, for this process alone.

        Claiming pushes ``next_attempt_at`` one lease ahead and counts the attempt, in
        the same transaction as the read; on PostgreSQL the read is ``FOR UPDATE SKIP
        LOCKED``, on SQLite the transaction holds the write lock. So two senders never
        get the same row; a claimer that dies releases its rows when the lease ends.
        """
        Ob = self.m.outbox
        with self._tx():
            query = (
                Ob.select()
                .where((Ob.status == "pending") & (Ob.next_attempt_at <= now))
                .order_by(Ob.next_attempt_at, Ob.id)
                .limit(limit)
            )
            if self._is_pg:
                query = query.for_update(skip_locked=True)
            rows = list(query)
            if rows:
                Ob.update(next_attempt_at=now + self._lease, attempts=Ob.attempts + 1).where(
                    Ob.id.in_([r.id for r in rows])
                ).execute()
        return [outbox_item(r, attempts=r.attempts + 1) for r in rows]

    def mark_sent(self, item_id: int, now: datetime) -> None:
        """Record that the mail server accepted the row's email."""
        Ob = self.m.outbox
        Ob.update(status="sent", sent_at=now, last_error=None).where(Ob.id == item_id).execute()

    def mark_failed(
        self, item_id: int, error: str, now: datetime, next_attempt_at: datetime | None
    ) -> None:
        """Record a failed send: retry at ``next_attempt_at``, or give up (dead) if None."""
        Ob = self.m.outbox
        status = "dead" if next_attempt_at is None else "pending"
        Ob.update(
            status=status, next_attempt_at=next_attempt_at or now, last_error=error[:_ERROR_CHARS]
        ).where(Ob.id == item_id).execute()

    def suppress(self, address: str, until: datetime, reason: str, now: datetime) -> None:
        """Send nothing to `address` until `until` (it refused our mail for good)."""
        Su = self.m.suppression
        address = address.lower()
        with self._tx():
            updated = (
                Su.update(until=until, reason=reason[:_ERROR_CHARS])
                .where(Su.address == address)
                .execute()
            )
            if not updated:
                Su.create(
                    address=address, until=until, reason=reason[:_ERROR_CHARS], created_at=now
                )

    def suppressed_until(self, address: str, now: datetime) -> datetime | None:
        """Until when mail to `address` is held back, or None when it may be sent."""
        Su = self.m.suppression
        row = Su.get_or_none((Su.address == address.lower()) & (Su.until > now))
        return None if row is None else row.until

    def outbox(self, status: str | None = None, limit: int = 100) -> list[OutboxStatus]:
        """Outbox rows (without the raw email), newest first, for status displays."""
        Ob = self.m.outbox
        query = Ob.select().order_by(Ob.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Ob.status == status)
        return [outbox_status(r) for r in query]
