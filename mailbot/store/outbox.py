"""Outbox rows: claimed by one sender at a time, marked sent, retried or dead; and the
addresses suppressed after a permanent refusal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from mailbot.store.base import ERROR_CHARS, StoreBase, own_header
from mailbot.store.records import (
    OutboxItem,
    OutboxMail,
    OutboxStatus,
    outbox_item,
    outbox_status,
)


@dataclass(frozen=True)
class MailOnTicket:
    """One mail mailbot wrote on a ticket, to the customer or an agent."""

    to: str
    subject: str
    queued_at: datetime
    status: str  # pending | sent | dead
    sent_at: datetime | None


class OutboxRows(StoreBase):
    """The outbox and suppressions tables (see outbox.py for the sending policy)."""

    def replies_to(self, address: str, since: datetime) -> int:
        """How many mails were queued for `address` since `since`."""
        Ob = self.m.outbox
        count = self.sql.scalar(
            'SELECT COUNT(*) FROM "outbox" WHERE "to_addr" = ? AND "created_at" >= ?',
            [address, Ob.created_at.db_value(since)],
        )
        return int(count or 0)

    def queue_notices(
        self,
        ticket_id: int | None,
        event: str,
        reason: str,
        mails: Iterable[OutboxMail],
        now: datetime,
    ) -> None:
        """An audit event and the mails it sends, in one transaction."""
        with self._tx():
            self._audit(ticket_id, now, "bot", event, reason, (), "", {})
            self._queue(ticket_id, mails, now)

    def due_outbox(
        self,
        now: datetime,
        limit: int = 50,
        owner: str = "",
        abandoned: Callable[[str], bool] = lambda owner: False,
    ) -> list[OutboxItem]:
        """Claim up to ``limit`` pending rows that are due, for this process alone.

        Claiming pushes ``next_attempt_at`` one lease ahead, counts the attempt and names
        the `owner`, in the same transaction as the read; on PostgreSQL the read is ``FOR
        UPDATE SKIP LOCKED``, on SQLite the transaction holds the write lock. So two
        senders never get the same row. A claimer that dies releases its rows when the
        lease ends, or at once when `abandoned` says it is gone.
        """
        Ob = self.m.outbox
        with self._tx():
            gone = self._gone_claimers(Ob, Ob.status == "pending", owner, abandoned)
            due = Ob.next_attempt_at <= now
            if gone:
                due = due | Ob.claimed_by.in_(gone)
            query = (
                Ob.select()
                .where((Ob.status == "pending") & due)
                .order_by(Ob.next_attempt_at, Ob.id)
                .limit(limit)
            )
            if self._is_pg:
                query = query.for_update(skip_locked=True)
            rows = list(query)
            if rows:
                Ob.update(
                    next_attempt_at=now + self._lease,
                    attempts=Ob.attempts + 1,
                    claimed_by=owner or None,
                ).where(Ob.id.in_([r.id for r in rows])).execute()
        return [outbox_item(r, attempts=r.attempts + 1) for r in rows]

    def mark_sent(self, item_id: int, now: datetime) -> None:
        """Record that the mail server accepted the row's email."""
        self.sql.update(
            self.m.outbox,
            item_id,
            {"status": "sent", "sent_at": now, "last_error": None, "claimed_by": None},
        )

    def mark_failed(
        self, item_id: int, error: str, now: datetime, next_attempt_at: datetime | None
    ) -> None:
        """Record a failed send: retry at ``next_attempt_at``, or give up (dead) if None."""
        Ob = self.m.outbox
        status = "dead" if next_attempt_at is None else "pending"
        Ob.update(
            status=status,
            next_attempt_at=next_attempt_at or now,
            last_error=error[:ERROR_CHARS],
            claimed_by=None,
        ).where(Ob.id == item_id).execute()

    def suppress(self, address: str, until: datetime, reason: str, now: datetime) -> None:
        """Send nothing to `address` until `until` (it refused our mail for good)."""
        Su = self.m.suppression
        address = address.lower()
        with self._tx():
            updated = (
                Su.update(until=until, reason=reason[:ERROR_CHARS])
                .where(Su.address == address)
                .execute()
            )
            if not updated:
                Su.create(address=address, until=until, reason=reason[:ERROR_CHARS], created_at=now)

    def suppressed_until(self, address: str, now: datetime) -> datetime | None:
        """Until when mail to `address` is held back, or None when it may be sent."""
        Su = self.m.suppression
        until = self.sql.scalar(
            'SELECT "until" FROM "suppressions" WHERE "address" = ? AND "until" > ?',
            [address.lower(), Su.until.db_value(now)],
        )
        return None if until is None else Su.until.python_value(until)

    def outbox(self, status: str | None = None, limit: int = 100) -> list[OutboxStatus]:
        """Outbox rows (without the raw email), newest first, for status displays."""
        Ob = self.m.outbox
        query = Ob.select().order_by(Ob.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Ob.status == status)
        return [outbox_status(r) for r in query]

    def sent_on(self, ticket_id: int) -> list[MailOnTicket]:
        """Every mail written on a ticket, oldest first (for the ticket view)."""
        Ob = self.m.outbox
        query = Ob.select().where(Ob.ticket == ticket_id).order_by(Ob.created_at, Ob.id)
        return [
            MailOnTicket(
                r.to_addr,
                own_header(bytes(r.raw_email)[: bytes(r.raw_email).find(b"\r\n\r\n")], b"Subject"),
                r.created_at,
                r.status,
                r.sent_at,
            )
            for r in query
        ]
