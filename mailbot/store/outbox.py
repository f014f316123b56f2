"""Outbox rows: claimed by one sender at a time, marked sent, retried or dead; and the
addresses suppressed after a permanent refusal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from mailbot.store.base import ERROR_CHARS, StoreBase, own_header
from mailbot.store.records import (
    OUTBOX_ITEM_COLUMNS,
    OUTBOX_STATUS_COLUMNS,
    OutboxItem,
    OutboxMail,
    OutboxStatus,
    outbox_item,
    outbox_status,
)
from mailbot.store.values import blob, moment, moment_or_none, stamp


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
        count = self.db.scalar(
            'SELECT COUNT(*) FROM "outbox" WHERE "to_addr" = ? AND "created_at" >= ?',
            [address, stamp(since)],
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
        with self.db.transaction():
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
        at = stamp(now)
        with self.db.transaction():
            gone = self._gone_claimers("outbox", '"status" = ?', ["pending"], owner, abandoned)
            due = '"next_attempt_at" <= ?'
            if gone:
                due = f'({due} OR "claimed_by" IN ({", ".join("?" for _ in gone)}))'
            lock = " FOR UPDATE SKIP LOCKED" if self.db.is_pg else ""
            rows = self.db.rows(
                f'SELECT {OUTBOX_ITEM_COLUMNS} FROM "outbox" WHERE "status" = ? AND {due}'
                f' ORDER BY "next_attempt_at", "id" LIMIT ?{lock}',
                ["pending", at, *gone, limit],
            )
            if rows:
                marks = ", ".join("?" for _ in rows)
                self.db.execute(
                    'UPDATE "outbox" SET "next_attempt_at" = ?, "attempts" = "attempts" + 1,'
                    f' "claimed_by" = ? WHERE "id" IN ({marks})',
                    [stamp(now + self._lease), owner or None, *(row[0] for row in rows)],
                )
        # The attempts as counted by the claim.
        return [outbox_item((*row[:5], row[5] + 1, row[6])) for row in rows]

    def mark_sent(self, item_id: int, now: datetime) -> None:
        """Record that the mail server accepted the row's email."""
        self.db.execute(
            'UPDATE "outbox" SET "status" = ?, "sent_at" = ?, "last_error" = NULL,'
            ' "claimed_by" = NULL WHERE "id" = ?',
            ["sent", stamp(now), item_id],
        )

    def mark_failed(
        self, item_id: int, error: str, now: datetime, next_attempt_at: datetime | None
    ) -> None:
        """Record a failed send: retry at ``next_attempt_at``, or give up (dead) if None."""
        status = "dead" if next_attempt_at is None else "pending"
        self.db.execute(
            'UPDATE "outbox" SET "status" = ?, "next_attempt_at" = ?, "last_error" = ?,'
            ' "claimed_by" = NULL WHERE "id" = ?',
            [status, stamp(next_attempt_at or now), error[:ERROR_CHARS], item_id],
        )

    def suppress(self, address: str, until: datetime, reason: str, now: datetime) -> None:
        """Send nothing to `address` until `until` (it refused our mail for good)."""
        reason = reason[:ERROR_CHARS]
        self.db.execute(
            'INSERT INTO "suppressions" ("address", "until", "reason", "created_at")'
            ' VALUES (?, ?, ?, ?) ON CONFLICT ("address") DO UPDATE SET "until" = ?,'
            ' "reason" = ?',
            [address.lower(), stamp(until), reason, stamp(now), stamp(until), reason],
        )

    def suppressed_until(self, address: str, now: datetime) -> datetime | None:
        """Until when mail to `address` is held back, or None when it may be sent."""
        until = self.db.scalar(
            'SELECT "until" FROM "suppressions" WHERE "address" = ? AND "until" > ?',
            [address.lower(), stamp(now)],
        )
        return moment_or_none(until)

    def outbox(self, status: str | None = None, limit: int = 100) -> list[OutboxStatus]:
        """Outbox rows (without the raw email), newest first, for status displays."""
        where = "" if status is None else ' WHERE "status" = ?'
        rows = self.db.rows(
            f'SELECT {OUTBOX_STATUS_COLUMNS} FROM "outbox"{where} ORDER BY "id" DESC LIMIT ?',
            [*([] if status is None else [status]), limit],
        )
        return [outbox_status(row) for row in rows]

    def sent_on(self, ticket_id: int) -> list[MailOnTicket]:
        """Every mail written on a ticket, oldest first (for the ticket view)."""
        rows = self.db.rows(
            'SELECT "to_addr", "raw_email", "created_at", "status", "sent_at" FROM "outbox"'
            ' WHERE "ticket_id" = ? ORDER BY "created_at", "id"',
            [ticket_id],
        )
        mails = []
        for to, raw, created_at, status, sent_at in rows:
            raw = blob(raw)
            subject = own_header(raw[: raw.find(b"\r\n\r\n")], b"Subject")
            mails.append(MailOnTicket(to, subject, moment(created_at), status,
                                      moment_or_none(sent_at)))  # fmt: skip
        return mails
