"""Ticket rows: one decision recorded in one transaction, and the reads of tickets, their
evidence, timeline and messages."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

import peewee

from mailbot.core.correlate import ticket_reference
from mailbot.core.model import AttachmentFacts, Decision, InboundMessage, Ticket
from mailbot.store.base import Taken
from mailbot.store.correlation import CorrelationRows
from mailbot.store.inbound import InboundRows
from mailbot.store.records import (
    AUDIT_COLUMNS,
    EVIDENCE_COLUMNS,
    TICKET_COLUMNS,
    AuditEntry,
    OutboxMail,
    attachment_of,
    audit_entry,
    stored_id,
    ticket_of,
)
from mailbot.store.reminders import ReminderRows
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
    return f'INSERT INTO "tickets" ({quoted}) VALUES ({marks}) RETURNING {TICKET_COLUMNS}'


_NEW_TICKET = {with_id: _new_ticket(with_id) for with_id in (True, False)}
_EVIDENCE = ("ticket_id", "message_id", "filename", "declared_type", "mime_type", "size",
             "width", "height", "fingerprint", "description", "kind", "counted", "phash",
             "taken_at", "camera", "screenshot_mark", "duration_ms", "frames")  # fmt: skip


class TicketRows(InboundRows, ReminderRows, CorrelationRows):
    """The tickets, messages, evidence and audit tables. A decision also records its
    inbound key, its reminder plan and the command mail it applied, so these rows
    build on those."""

    def record(
        self,
        key: str,
        message: InboundMessage,
        ticket: Ticket | None,
        decision: Decision,
        mails: Sequence[OutboxMail],
        rules_version: str,
        now: datetime,
        actor: str = "bot",
        applied: str | None = None,
        new_id: int | None = None,
        rma: str | None = None,
    ) -> Ticket:
        """Write one decision and its composed mails in one transaction; return the ticket.

        Creates the ticket when ``ticket`` is None (with ``new_id``, from next_ticket_id,
        else the next free id), else updates it; gives it ``rma`` when the decision
        issues one and the ticket has none. ``applied``: the content key of an agent's
        command mail, kept so that a copy of it is never applied again. Any exception
        rolls everything back, the inbound key included; a key that is already recorded
        raises AlreadyRecorded, an id or RMA taken meanwhile raises Taken.
        """
        with self.db.transaction():
            # The key first: a message recorded concurrently fails here, before any work.
            self._claim_key(key, message, decision.outcome, now)
            wants_rma = decision.issue_rma and (ticket is None or ticket.rma is None)
            rma = (rma or self.draw_rma()) if wants_rma else None
            stored = self._save_ticket(ticket, message, decision, rules_version, now, new_id, rma)
            ticket_id = stored_id(stored)
            msg = self._save_inbound_message(ticket_id, key, message, now)
            self._save_evidence(ticket_id, msg, message, decision.links)
            if applied is not None:
                self._mark_applied(applied, key, ticket_id, now)
            detail = {
                "key": key,
                "message_id": message.message_id,
                "state": str(decision.state),
                "scenario": str(decision.scenario),
                "rma": stored.rma,
                "refund": None if decision.refund is None else str(decision.refund),
                "links": list(decision.links),
                "agent_notice": decision.agent_notice,
            }
            self._audit(
                ticket_id,
                now,
                actor,
                "decision",
                decision.outcome,
                decision.reasons,
                rules_version,
                detail,
            )
            if not decision.keep_plan:
                # A new ticket has no reminders yet to compare the plan with.
                self._replace_reminders(ticket_id, decision.reminders, now, ticket is None)
            self._enqueue(ticket_id, mails, now)
        return stored

    def _save_ticket(
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
                return ticket_of(row)
            return self._apply(ticket, decision, rules_version, now, rma)
        except peewee.IntegrityError:
            raise Taken(f"ticket id {new_id} or RMA number {rma} was taken meanwhile") from None

    def _save_inbound_message(
        self, ticket_id: int, key: str, message: InboundMessage, now: datetime
    ) -> int:
        return int(self.db.scalar(
            'INSERT INTO "messages" ("ticket_id", "direction", "message_id", "inbound_key",'
            ' "sender", "subject", "excerpt", "received_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
            ' RETURNING "id"',
            [ticket_id, "in", message.message_id, key, message.sender, message.subject,
             message.text[:_EXCERPT_CHARS], stamp(message.received_at or now)],
        ))  # fmt: skip

    def _save_evidence(
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

    def find_ticket(self, ref: str) -> Ticket | None:
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
        row = self.db.one(f'SELECT {TICKET_COLUMNS} FROM "tickets" WHERE {where}', [value])
        return None if row is None else ticket_of(row)

    def ticket_for_message_ids(self, message_ids: Iterable[str]) -> Ticket | None:
        """The ticket a reply belongs to, from its In-Reply-To/References ids."""
        ids = [i for i in message_ids if i]
        if not ids:
            return None
        marks = ", ".join("?" for _ in ids)
        # The newest message with one of the ids, and its ticket, in one statement.
        row = self.db.one(
            f'SELECT {TICKET_COLUMNS} FROM "tickets" WHERE "id" = (SELECT "ticket_id"'
            f' FROM "messages" WHERE "message_id" IN ({marks}) ORDER BY "id" DESC LIMIT 1)',
            ids,
        )
        return None if row is None else ticket_of(row)

    def latest_ticket(self, customer_email: str, order_id: str) -> Ticket | None:
        """The customer's newest ticket about this order, or None."""
        row = self.db.one(
            f'SELECT {TICKET_COLUMNS} FROM "tickets" WHERE "customer_email" = ?'
            ' AND "order_id" = ? ORDER BY "id" DESC LIMIT 1',
            [customer_email, order_id],
        )
        return None if row is None else ticket_of(row)

    def ticket_evidence(self, ticket_id: int) -> tuple[AttachmentFacts, ...]:
        """Every attachment the ticket's messages brought so far, oldest first (not links)."""
        rows = self.db.rows(
            f'SELECT {EVIDENCE_COLUMNS} FROM "evidence" WHERE "ticket_id" = ?'
            ' AND "mime_type" <> ? ORDER BY "id"',
            [ticket_id, LINK_TYPE],
        )
        return tuple(attachment_of(row) for row in rows)

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
        wanted = {
            "state": None if state is None else str(state),
            "customer_email": None if customer is None else customer.strip().lower(),
            "order_id": None if order is None else order.strip().upper(),
        }
        where = [f'"{column}" = ?' for column, value in wanted.items() if value is not None]
        params: list[object] = [value for value in wanted.values() if value is not None]
        rows = self.db.rows(
            f'SELECT {TICKET_COLUMNS} FROM "tickets"'
            + (" WHERE " + " AND ".join(where) if where else "")
            + ' ORDER BY "id" DESC LIMIT ? OFFSET ?',
            [*params, limit, offset],
        )
        return [ticket_of(row) for row in rows]

    def timeline(self, ticket_id: int) -> list[AuditEntry]:
        """The ticket's audit events, oldest first."""
        rows = self.db.rows(
            f'SELECT {AUDIT_COLUMNS} FROM "audit_events" WHERE "ticket_id" = ?'
            ' ORDER BY "at", "id"',
            [ticket_id],
        )
        return [audit_entry(row) for row in rows]
