"""Tickets, with their messages in and their evidence: found by id, reference, RMA,
Message-ID or order; created or changed by a decision (inside the transaction of
store/recording.py); the ticket id and RMA number drawn before it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import peewee

from mailbot.core.correlate import ticket_reference
from mailbot.core.model import AttachmentFacts, Decision, InboundMessage, Ticket
from mailbot.errors import MailbotError
from mailbot.store.db import Database
from mailbot.store.errors import Taken
from mailbot.store.records import EVIDENCE, TICKET
from mailbot.store.rma import RMA_PATTERN
from mailbot.store.values import stamp, stamp_or_none

_EXCERPT_CHARS = 2000
# Evidence rows of cloud storage links (the URL is the file name).
LINK_TYPE = "text/x-uri"
_TICKET = ("reference", "state", "scenario", "customer_email", "order_id", "rma",
           "created_at", "updated_at", "ship_by", "rules_version", "state_since", "complex",
           "reopenable", "language")  # fmt: skip


def _new_ticket(with_id: bool) -> str:
    """The INSERT of a new ticket, with the id drawn for it or the database's next."""
    names = ("id", *_TICKET) if with_id else _TICKET
    quoted = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    return f'INSERT INTO "tickets" ({quoted}) VALUES ({marks}) RETURNING {TICKET.columns}'


_NEW_TICKET = {with_id: _new_ticket(with_id) for with_id in (True, False)}
# A decision applied to a ticket in one statement, from the row as it is inside the
# transaction (a decision's clock, a state change, or neither; blanks keep the row's).
_APPLY = (
    'UPDATE "tickets" SET "state_since" = CASE WHEN ? IS NOT NULL THEN ?'
    ' WHEN "state" <> ? THEN ? ELSE "state_since" END,'
    ' "complex" = COALESCE(?, "complex"), "state" = ?, "scenario" = ?,'
    ' "order_id" = COALESCE(?, "order_id"), "ship_by" = COALESCE(?, "ship_by"),'
    ' "language" = COALESCE(?, "language"), "reopenable" = COALESCE(?, "reopenable"),'
    ' "rma" = COALESCE("rma", ?), "updated_at" = ?, "rules_version" = ?'
    f' WHERE "id" = ? RETURNING {TICKET.columns}'
)
_EVIDENCE = ("ticket_id", "message_id", "filename", "declared_type", "mime_type", "size",
             "width", "height", "fingerprint", "description", "kind", "counted", "phash",
             "taken_at", "camera", "screenshot_mark", "duration_ms", "frames")  # fmt: skip


class TicketReads:
    """The tickets and evidence tables, read."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, ref: str) -> Ticket | None:
        """A ticket by id (``123``), reference (``T-000123``, ``[T-000123]``) or RMA."""
        text = ref.strip().strip("[]").strip().upper()
        value: int | str
        if text.isdigit():
            where, value = '"id" = ?', int(text)
        elif text.startswith("T-") and text[2:].isdigit():
            where, value = '"id" = ?', int(text[2:])
        elif RMA_PATTERN.fullmatch(text):
            where, value = '"rma" = ?', text
        else:
            return None
        row = self.db.one(f'SELECT {TICKET.columns} FROM "tickets" WHERE {where}', [value])
        return None if row is None else TICKET.of(row)

    def of_message_ids(self, message_ids: Iterable[str]) -> Ticket | None:
        """The ticket a reply belongs to, from its In-Reply-To/References ids."""
        ids = [i for i in message_ids if i]
        if not ids:
            return None
        marks = ", ".join("?" for _ in ids)
        # The newest message with one of the ids, and its ticket, in one statement.
        row = self.db.one(
            f'SELECT {TICKET.columns} FROM "tickets" WHERE "id" = (SELECT "ticket_id"'
            f' FROM "messages" WHERE "message_id" IN ({marks}) ORDER BY "id" DESC LIMIT 1)',
            ids,
        )
        return None if row is None else TICKET.of(row)

    def latest(self, customer_email: str, order_id: str) -> Ticket | None:
        """The customer's newest ticket about this order, or None."""
        row = self.db.one(
            f'SELECT {TICKET.columns} FROM "tickets" WHERE "customer_email" = ?'
            ' AND "order_id" = ? ORDER BY "id" DESC LIMIT 1',
            [customer_email, order_id],
        )
        return None if row is None else TICKET.of(row)

    def evidence(self, ticket_id: int) -> tuple[AttachmentFacts, ...]:
        """Every attachment the ticket's messages brought so far, oldest first (not links)."""
        rows = self.db.rows(
            f'SELECT {EVIDENCE.columns} FROM "evidence" WHERE "ticket_id" = ?'
            ' AND "mime_type" <> ? ORDER BY "id"',
            [ticket_id, LINK_TYPE],
        )
        return tuple(EVIDENCE.of(row) for row in rows)

    def listed(
        self,
        state: str | None = None,
        limit: int = 100,
        offset: int = 0,
        customer: str | None = None,
        order: str | None = None,
    ) -> list[Ticket]:
        """Tickets, newest first, optionally only those in ``state``, of one customer's
        address, or about one order."""
        wanted = {
            "state": None if state is None else str(state),
            "customer_email": None if customer is None else customer.strip().lower(),
            "order_id": None if order is None else order.strip().upper(),
        }
        where = [f'"{column}" = ?' for column, value in wanted.items() if value is not None]
        params: list[object] = [value for value in wanted.values() if value is not None]
        rows = self.db.rows(
            f'SELECT {TICKET.columns} FROM "tickets"'
            + (" WHERE " + " AND ".join(where) if where else "")
            + ' ORDER BY "id" DESC LIMIT ? OFFSET ?',
            [*params, limit, offset],
        )
        return [TICKET.of(row) for row in rows]

    def next_id(self, reserve: bool = True) -> int:
        """The id a new ticket will have, known before its mails are composed (they show
        its reference). PostgreSQL draws it from the sequence, so no two processes get
        the same; SQLite takes the next rowid, and a writer that took it first makes
        ``save`` raise Taken. Without `reserve` (a dry run) nothing is drawn."""
        if self.db.is_pg and reserve:
            sequence = "SELECT nextval(pg_get_serial_sequence('tickets', 'id'))"
            return int(self.db.scalar(sequence))
        return int(self.db.scalar('SELECT COALESCE(MAX("id"), 0) + 1 FROM "tickets"'))


class Tickets(TicketReads):
    """The tickets, messages and evidence tables."""

    def __init__(self, db: Database, rma_source: Callable[[], str]) -> None:
        super().__init__(db)
        self._rma_source = rma_source

    def draw_rma(self) -> str:
        """A fresh RMA number for a ticket's mails (unique in the store, or ``save``
        raises Taken)."""
        return self._rma_source()

    def save(
        self,
        ticket: Ticket | None,
        message: InboundMessage,
        decision: Decision,
        rules_version: str,
        now: datetime,
        new_id: int | None,
        rma: str | None,
    ) -> Ticket:
        """Insert the new ticket, or apply the decision to the stored one; either way
        with `rma` when it has none. An id or RMA number taken meanwhile raises Taken
        (no savepoint: Taken ends the transaction, rolled back whole)."""
        try:
            if ticket is None:
                # The reference is derived from the id: known now when the id was drawn.
                reference = ticket_reference(new_id) if new_id else f"new-{uuid.uuid4().hex}"
                at = stamp(now)
                drawn = [] if new_id is None else [new_id]
                row = self.db.one(_NEW_TICKET[new_id is not None], [
                    *drawn, reference, str(decision.state), str(decision.scenario),
                    message.sender or "", decision.order_id, rma, at, at,
                    stamp_or_none(decision.ship_by), rules_version, at, False, False,
                    decision.language,
                ])  # fmt: skip
                assert row is not None
                if new_id is None:
                    new_id, reference = row[0], ticket_reference(row[0])
                    self.db.execute('UPDATE "tickets" SET "reference" = ? WHERE "id" = ?',
                                    [reference, new_id])  # fmt: skip
                    row = (new_id, reference, *row[2:])
                return TICKET.of(row)
            return self.apply(ticket, decision, rules_version, now, rma)
        except peewee.IntegrityError:
            raise Taken(f"ticket id {new_id} or RMA number {rma} was taken meanwhile") from None

    def save_message(self, ticket_id: int, key: str, message: InboundMessage, now: datetime) -> int:
        return int(self.db.scalar(
            'INSERT INTO "messages" ("ticket_id", "direction", "message_id", "inbound_key",'
            ' "sender", "subject", "excerpt", "received_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
            ' RETURNING "id"',
            [ticket_id, "in", message.message_id, key, message.sender, message.subject,
             message.text[:_EXCERPT_CHARS], stamp(message.received_at or now)],
        ))  # fmt: skip

    def save_evidence(
        self, ticket_id: int, msg: int, message: InboundMessage, links: Iterable[str]
    ) -> None:
        # One INSERT for all of a message's evidence: 14 attachments were 14 statements.
        # A link is evidence an agent opens; ticket_evidence() never counts it.
        rows: list[tuple[object, ...]] = [
            (ticket_id, msg, url[:2000], "", LINK_TYPE, 0, None, None,
             f"link:{hashlib.sha256(url.encode()).hexdigest()[:32]}", "", "link",
             "an agent must check it", "", "", "", False, None, "")
            for url in links
        ]  # fmt: skip
        rows += [
            (ticket_id, msg, f.filename, f.declared_type, f.mime_type, f.size, f.width,
             f.height, f.fingerprint, f.description, None, None, f.phash,
             f.taken_at.isoformat() if f.taken_at else "", f.camera, f.screenshot_mark,
             f.duration_ms, f.frames)
            for f in message.attachments
        ]  # fmt: skip
        self.db.insert_rows("evidence", _EVIDENCE, rows)

    def apply(
        self, ticket: Ticket, decision: Decision, rules_version: str, now: datetime,
        rma: str | None,
    ) -> Ticket:  # fmt: skip
        """Apply `decision` to the stored ticket in one statement (inside the caller's
        transaction), giving it `rma` if it has none; return it as stored."""
        at, since = stamp(now), stamp_or_none(decision.clock_from)
        row = self.db.one(_APPLY, [
            since, since, str(decision.state), at, decision.complex, str(decision.state),
            str(decision.scenario), decision.order_id or None, stamp_or_none(decision.ship_by),
            decision.language or None, None if decision.keep_plan else decision.reopenable,
            rma, at, rules_version, ticket.id,
        ])  # fmt: skip
        if row is None:
            raise MailbotError(f"ticket {ticket.reference or ticket.id} is not in the store")
        return TICKET.of(row)
