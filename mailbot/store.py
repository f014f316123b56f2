"""The database: tickets, messages, evidence, audit trail, outbox, inbound keys.

The only peewee user (with its parts storebase, storereminders and storeoutbox, which
this Store combines). Every handled message is written in ONE transaction
(``Store.record``): ticket, message, evidence, audit event, composed outbox rows and
the inbound key commit together or not at all, so a crash never leaves a message
answered-but-unrecorded or recorded-but-unanswered. Methods take and return the core
dataclasses (mailbot/core/model.py) and the small records below, never peewee rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import peewee

from mailbot.core.model import (
    AttachmentFacts,
    Decision,
    InboundMessage,
    Order,
    Ticket,
)
from mailbot.errors import MailbotError
from mailbot.rma import RMA_PATTERN
from mailbot.storebase import ERROR_CHARS, AlreadyRecorded, ComposeFn, StoreBase, open_database
from mailbot.storecorrelation import CorrelationRows, SentMail
from mailbot.storemodels import (
    AuditEntry,
    DueReminder,
    OutboxItem,
    OutboxStatus,
    ReminderStatus,
    StoredMessage,
    audit_entry,
    order_fields,
    order_from_row,
    stored_message,
    ticket_from_row,
)
from mailbot.storeoutbox import OutboxRows
from mailbot.storereminders import ReminderRows

__all__ = [
    "AlreadyRecorded",
    "AuditEntry",
    "ComposeFn",
    "DueReminder",
    "OutboxItem",
    "OutboxStatus",
    "ReminderStatus",
    "SentMail",
    "Store",
    "StoreBase",
    "StoredMessage",
    "open_database",
]

_RMA_DRAWS = 10  # 10^8 numbers: more than one collision in a row means something is wrong
_EXCERPT_CHARS = 2000
_KEYS_PER_QUERY = 500  # IN lists: well below SQLite's variable limit
# Orders upserted per statement: 12 columns each stay below SQLite's old 999 variables.
ORDER_BATCH = 80
# Evidence rows of cloud storage links (the URL is the file name).
LINK_TYPE = "text/x-uri"


class Store(ReminderRows, OutboxRows, CorrelationRows):
    """All persistent state, behind methods that speak the core's types."""

    # -- orders ---------------------------------------------------------------

    def import_orders(self, orders: Iterable[Order]) -> int:
        """Insert or update orders by order_id; return how many were written.

        One upsert per batch: processes starting together (each loads the orders CSV)
        wait for each other's rows instead of both inserting the same order.
        """
        Or = self.m.order
        count = 0
        with self._tx():
            for batch in _batches(orders, ORDER_BATCH):
                rows = {o.order_id: order_fields(o) for o in batch}  # the last row of an id wins
                keep = [f for f in Or._meta.sorted_fields if f.name not in ("id", "order_id")]
                Or.insert_many(list(rows.values())).on_conflict(
                    conflict_target=[Or.order_id], preserve=keep
                ).execute()
                count += len(batch)
        return count

    def get_order(self, order_id: str) -> Order | None:
        """The order with this id, or None."""
        rows = self.sql.select(self.m.order, '"order_id" = ?', [order_id], "LIMIT 1")
        return order_from_row(rows[0]) if rows else None

    def orders_of(self, customer_email: str) -> tuple[Order, ...]:
        """The orders of this customer (addresses are stored in lower case)."""
        rows = self.sql.select(self.m.order, '"customer_email" = ?', [customer_email.lower()])
        return tuple(order_from_row(row) for row in rows)

    # -- handling a message ---------------------------------------------------

    def key_of_message_id(self, message_id: str) -> str | None:
        """The inbound key already recorded with this Message-ID, or None."""
        if not message_id:
            return None
        key = self.sql.scalar(
            'SELECT "key" FROM "inbound" WHERE "message_id" = ? LIMIT 1', [message_id]
        )
        return None if key is None else str(key)

    def claim_inbound(
        self,
        keys: Iterable[str],
        owner: str,
        now: datetime,
        abandoned: Callable[[str], bool] = lambda owner: False,
    ) -> list[str]:
        """Of `keys`, those this `owner` may work on now: unclaimed, its own, or claimed by a
        process whose lease ran out or that `abandoned` says is gone. Claims last one
        lease; several processes sharing an inbox so split it instead of all handling
        every message."""
        C = self.m.claim
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        until = now + self._lease
        marks = ", ".join("?" for _ in wanted)
        with self._tx():
            held = {r.key: r for r in self.sql.select(C, f'"key" IN ({marks})', wanted)}
            # Recorded meanwhile by another process (its claim is gone with it): not ours.
            done = {
                key for (key,) in self.sql.rows(
                    f'SELECT "key" FROM "inbound" WHERE "key" IN ({marks})', wanted
                )
            }  # fmt: skip
            fresh = [key for key in wanted if key not in done and key not in held]
            mine = set(self._claim_fresh(fresh, owner, until))
            for key, row in held.items():
                if key in done:
                    continue
                if row.owner == owner or row.until <= now or abandoned(row.owner):
                    taken = self.sql.execute(
                        'UPDATE "inbound_claims" SET "owner" = ?, "until" = ? '
                        'WHERE "key" = ? AND "owner" = ? AND "until" = ?',
                        [owner, C.until.db_value(until), key, row.owner,
                         C.until.db_value(row.until)],
                    )  # fmt: skip
                    if taken:
                        mine.add(key)
        return [key for key in wanted if key in mine]

    def _claim_fresh(self, keys: list[str], owner: str, until: datetime) -> list[str]:
        """Claim unclaimed `keys` with one INSERT; those another process claimed a moment
        ago are skipped (ON CONFLICT DO NOTHING), the rest returned."""
        if not keys:
            return []
        values = ", ".join("(?, ?, ?)" for _ in keys)
        stamp = self.m.claim.until.db_value(until)
        inserted = self.sql.rows(
            f'INSERT INTO "inbound_claims" ("key", "owner", "until") VALUES {values} '
            'ON CONFLICT ("key") DO NOTHING RETURNING "key"',
            [value for key in keys for value in (key, owner, stamp)],
        )
        return [key for (key,) in inserted]

    def release_claim(self, key: str, owner: str) -> None:
        """Give up `owner`'s claim on `key` (its handling failed: anyone may try again)."""
        C = self.m.claim
        C.delete().where((C.key == key) & (C.owner == owner)).execute()

    def is_processed(self, key: str) -> bool:
        """True when the inbound message with this key was already recorded."""
        return bool(self.recorded_keys([key]))

    def recorded_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` whose inbound message was already recorded (a query per 500:
        an inbox of thousands is checked in a few statements, not one per message)."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            rows = self.sql.rows(f'SELECT "key" FROM "inbound" WHERE "key" IN ({marks})', chunk)
            found.update(key for (key,) in rows)
        return found

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
        applied: str | None = None,
    ) -> Ticket:
        """Write one decision and its replies in one transaction; return the ticket.

        Creates the ticket when ``ticket`` is None, else updates it; draws an RMA when
        the decision issues one and the ticket has none. ``applied``: the content key of
        an agent's command mail, kept so that a copy of it is never applied again. Any
        exception (including from ``compose``) rolls everything back, the inbound key
        included; a key that is already recorded raises AlreadyRecorded.
        """
        with self._tx():
            # The key first: a message recorded concurrently fails here, before any work.
            self._claim_key(key, message, decision.outcome, now)
            row = self._save_ticket(ticket, message, decision, rules_version, now)
            if decision.issue_rma and row.rma is None:
                self._assign_rma(row)
            msg = self._save_inbound_message(row, key, message, now)
            self._save_evidence(row, msg, message, decision.links)
            if applied is not None:
                self._mark_applied(applied, key, row.id, now)
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
        mails: Iterable[tuple[str, str, bytes]] = (),
        actor: str = "bot",
    ) -> None:
        """Record a message that opens no ticket: inbound key, audit event, and the
        (to, Message-ID, raw) mails it gets, if any (an agent told why nothing was done)."""
        detail = {
            "key": key,
            "message_id": message.message_id,
            "sender": message.sender,
            "subject": message.subject[:200],
        }
        with self._tx():
            self._claim_key(key, message, reason, now)
            self._audit(None, now, actor, "skipped", reason, (), "", detail)
            self._queue(None, mails, now)

    def note_failure(self, key: str, error: str, now: datetime) -> int:
        """Count one failed attempt at an inbound message; return the attempts so far."""
        F = self.m.failure
        with self._tx():
            updated = (
                F.update(attempts=F.attempts + 1, last_error=error[:ERROR_CHARS], last_at=now)
                .where(F.key == key)
                .execute()
            )
            if not updated:
                F.create(
                    key=key, attempts=1, last_error=error[:ERROR_CHARS], first_at=now, last_at=now
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
            self.m.claim.delete().where(self.m.claim.key == key).execute()
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

    def _claim_key(self, key: str, message: InboundMessage, outcome: str, now: datetime) -> None:
        values = {"key": key, "message_id": message.message_id, "processed_at": now,
                  "outcome": outcome}  # fmt: skip
        try:
            # A savepoint on PostgreSQL: there a violation aborts the whole transaction
            # before AlreadyRecorded is raised and handled. SQLite fails the statement only.
            with self.db.atomic() if self._is_pg else contextlib.nullcontext():
                self.sql.insert(self.m.inbound, values)
        except peewee.IntegrityError:
            raise AlreadyRecorded(f"inbound message {key} is already recorded") from None
        self.sql.execute('DELETE FROM "inbound_claims" WHERE "key" = ?', [key])  # done

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
            values: dict[str, object] = {
                "reference": f"new-{uuid.uuid4().hex}",
                "state": str(decision.state),
                "scenario": str(decision.scenario),
                "customer_email": message.sender or "",
                "order_id": decision.order_id,
                "rma": None,
                "created_at": now,
                "updated_at": now,
                "ship_by": decision.ship_by,
                "rules_version": rules_version,
                "state_since": now,
                "complex": False,
                "reopenable": False,
                "language": decision.language,
            }
            row = SimpleNamespace(id=self.sql.insert(T, values), **values)
            # The reference is derived from the id, which exists only after the insert.
            row.reference = f"T-{row.id:06d}"
        else:
            rows = self.sql.select(T, '"id" = ?', [ticket.id])
            if not rows:
                raise MailbotError(f"ticket {ticket.reference or ticket.id} is not in the store")
            row = rows[0]
            self._apply(row, decision, rules_version, now)
        self.sql.save(T, row)
        return row

    def _assign_rma(self, row: Any) -> None:
        T = self.m.ticket
        for _ in range(_RMA_DRAWS):
            candidate = self._rma_source()
            try:
                # A savepoint: on PostgreSQL a unique violation would otherwise abort
                # the whole transaction, not just this statement.
                with self.db.atomic():
                    self.sql.update(T, row.id, {"rma": candidate})
            except peewee.IntegrityError:
                continue
            row.rma = candidate
            return
        raise MailbotError(f"could not draw a unique RMA number in {_RMA_DRAWS} tries")

    def _save_inbound_message(
        self, row: Any, key: str, message: InboundMessage, now: datetime
    ) -> Any:
        return self.sql.insert(
            self.m.message,
            {
                "ticket": row.id,
                "direction": "in",
                "message_id": message.message_id,
                "inbound_key": key,
                "sender": message.sender,
                "subject": message.subject,
                "excerpt": message.text[:_EXCERPT_CHARS],
                "received_at": message.received_at or now,
            },
        )

    def _save_evidence(
        self, row: Any, msg: int, message: InboundMessage, links: Iterable[str]
    ) -> None:
        # One INSERT for all of a message's evidence: 14 attachments were 14 statements.
        rows: list[dict[str, object]] = [
            {
                # A link is evidence an agent opens; ticket_evidence() never counts it.
                "ticket": row.id,
                "message": msg,
                "filename": url[:2000],
                "declared_type": "",
                "mime_type": LINK_TYPE,
                "size": 0,
                "width": None,
                "height": None,
                "fingerprint": f"link:{hashlib.sha256(url.encode()).hexdigest()[:32]}",
                "description": "",
                "kind": "link",
                "counted": "an agent must check it",
            }
            for url in links
        ]
        rows += [
            {
                "ticket": row.id,
                "message": msg,
                "filename": facts.filename,
                "declared_type": facts.declared_type,
                "mime_type": facts.mime_type,
                "size": facts.size,
                "width": facts.width,
                "height": facts.height,
                "fingerprint": facts.fingerprint,
                "description": facts.description,
                "kind": None,
                "counted": None,
                "phash": facts.phash,
                "taken_at": facts.taken_at.isoformat() if facts.taken_at else "",
                "camera": facts.camera,
                "screenshot_mark": facts.screenshot_mark,
                "duration_ms": facts.duration_ms,
                "frames": facts.frames,
            }
            for facts in message.attachments
        ]
        self.sql.insert_many(self.m.evidence, rows)

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
        marks = ", ".join("?" for _ in ids)
        # The newest message with one of the ids, and its ticket, in one statement.
        where = (
            f'"id" = (SELECT "ticket_id" FROM "messages" WHERE "message_id" IN ({marks}) '
            'ORDER BY "id" DESC LIMIT 1)'
        )
        rows = self.sql.select(self.m.ticket, where, ids)
        return ticket_from_row(rows[0]) if rows else None

    def latest_ticket(self, customer_email: str, order_id: str) -> Ticket | None:
        """The customer's newest ticket about this order, or None."""
        rows = self.sql.select(
            self.m.ticket,
            '"customer_email" = ? AND "order_id" = ?',
            [customer_email, order_id],
            'ORDER BY "id" DESC LIMIT 1',
        )
        return ticket_from_row(rows[0]) if rows else None

    def ticket_evidence(self, ticket_id: int) -> tuple[AttachmentFacts, ...]:
        """Every attachment the ticket's messages brought so far, oldest first (not links)."""
        query = self.sql.select(
            self.m.evidence, '"ticket_id" = ? AND "mime_type" <> ?', [ticket_id, LINK_TYPE],
            'ORDER BY "id"',
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
                phash=r.phash,
                taken_at=datetime.fromisoformat(r.taken_at) if r.taken_at else None,
                camera=r.camera,
                screenshot_mark=bool(r.screenshot_mark),
                duration_ms=r.duration_ms,
                frames=r.frames,
            )
            for r in query
        )

    def tickets(
        self,
        state: str | None = None,
        limit: int = 100,
        offset: int = 0,
        customer: str | None = None,
        order: str | None = None,
    ) -> list[Ticket]:
        """Tickets, newest first, optionally only those in ``state``, of one customer's
        address, or about one order."""
        T = self.m.ticket
        query = T.select().order_by(T.id.desc()).limit(limit).offset(offset)
        if state is not None:
            query = query.where(T.state == str(state))
        if customer is not None:
            query = query.where(T.customer_email == customer.strip().lower())
        if order is not None:
            query = query.where(T.order_id == order.strip().upper())
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


def _batches(items: Iterable[Order], size: int) -> Iterator[list[Order]]:
    """`items` in lists of `size` (the last may be shorter), taken as they come."""
    batch: list[Order] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
