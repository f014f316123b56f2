"""Ticket rows: one decision recorded in one transaction, and the reads of tickets, their
evidence, timeline and messages."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import peewee

from mailbot.core.correlate import ticket_reference
from mailbot.core.model import AttachmentFacts, Decision, InboundMessage, Ticket
from mailbot.errors import MailbotError
from mailbot.store.base import Taken
from mailbot.store.correlation import CorrelationRows
from mailbot.store.inbound import InboundRows
from mailbot.store.records import (
    AuditEntry,
    OutboxMail,
    StoredMessage,
    audit_entry,
    stored_message,
    ticket_from_row,
)
from mailbot.store.reminders import ReminderRows
from mailbot.store.rma import RMA_PATTERN

_EXCERPT_CHARS = 2000
# Evidence rows of cloud storage links (the URL is the file name).
LINK_TYPE = "text/x-uri"


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
        with self._tx():
            # The key first: a message recorded concurrently fails here, before any work.
            self._claim_key(key, message, decision.outcome, now)
            row = self._save_ticket(ticket, message, decision, rules_version, now, new_id)
            if decision.issue_rma and row.rma is None:
                self._assign_rma(row, rma or self.draw_rma())
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
            for mail in mails:
                self._enqueue(row.id, mail, now)
        return ticket_from_row(row)

    def _save_ticket(
        self,
        ticket: Ticket | None,
        message: InboundMessage,
        decision: Decision,
        rules_version: str,
        now: datetime,
        new_id: int | None = None,
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
            row = SimpleNamespace(id=self._insert_ticket(values, new_id), **values)
            # The reference is derived from the id, which exists only after the insert.
            row.reference = ticket_reference(row.id)
        else:
            rows = self.sql.select(T, '"id" = ?', [ticket.id])
            if not rows:
                raise MailbotError(f"ticket {ticket.reference or ticket.id} is not in the store")
            row = rows[0]
            self._apply(row, decision, rules_version, now)
        self.sql.save(T, row)
        return row

    def _insert_ticket(self, values: dict[str, object], new_id: int | None) -> int:
        # No savepoint around either write: Taken ends the transaction, rolled back whole.
        try:
            return self.sql.insert(self.m.ticket, values, new_id)
        except peewee.IntegrityError:
            raise Taken(f"ticket id {new_id} was taken meanwhile") from None

    def _assign_rma(self, row: Any, rma: str) -> None:
        try:
            self.sql.update(self.m.ticket, row.id, {"rma": rma})
        except peewee.IntegrityError:
            raise Taken(f"RMA number {rma} is taken") from None
        row.rma = rma

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
