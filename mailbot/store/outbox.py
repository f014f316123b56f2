"""Outbox rows: queued with a decision (and shown in the ticket's messages), claimed by
one sender at a time, marked sent, retried or dead; the addresses suppressed after a
permanent refusal; our own mail found again by Message-ID and per audience."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import decode_header, make_header

from mailbot.store.db import Database
from mailbot.store.errors import ERROR_CHARS
from mailbot.store.records import OUTBOX_ITEM, OUTBOX_STATUS, OutboxItem, OutboxMail, OutboxStatus
from mailbot.store.values import blob, moment, moment_or_none, stamp

# A header of our own composed mail (compose.py writes them, folded with CRLF + space):
# read back for the messages table without a full header parser.
_OWN_HEADER = {
    name: re.compile(
        rb"^" + name + rb":[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", re.MULTILINE | re.IGNORECASE
    )
    for name in (b"From", b"Subject")
}
_OUTBOX = ("ticket_id", "message_id", "to_addr", "raw_email", "created_at", "status",
           "attempts", "next_attempt_at")  # fmt: skip
_MESSAGE = ("ticket_id", "direction", "message_id", "sender", "subject", "excerpt",
            "received_at")  # fmt: skip
_IDS_PER_QUERY = 200  # In-Reply-To and References: at most 51 ids per mail anyway


@dataclass(frozen=True)
class MailOnTicket:
    """One mail mailbot wrote on a ticket, to the customer or an agent."""

    to: str
    subject: str
    queued_at: datetime
    status: str  # pending | sent | dead
    sent_at: datetime | None


@dataclass(frozen=True)
class SentMail:
    """One mail of ours: its Message-ID, recipient and ticket (None: not a ticket's)."""

    message_id: str
    to_addr: str
    ticket_id: int | None


class OutboxReads:
    """The outbox read: what was sent to whom, and on which ticket."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def replies_to(self, address: str, since: datetime) -> int:
        """How many mails were queued for `address` since `since`."""
        count = self.db.scalar(
            'SELECT COUNT(*) FROM "outbox" WHERE "to_addr" = ? AND "created_at" >= ?',
            [address, stamp(since)],
        )
        return int(count or 0)

    def sent_mail(self, message_ids: Iterable[str]) -> list[SentMail]:
        """Our mails among `message_ids` (the outbox keeps every one sent)."""
        wanted = list(dict.fromkeys(i for i in message_ids if i))[:_IDS_PER_QUERY]
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        rows = self.db.rows(
            'SELECT "message_id", "to_addr", "ticket_id" FROM "outbox" '
            f'WHERE "message_id" IN ({marks})',
            wanted,
        )
        return [SentMail(str(m), str(to).lower(), t) for m, to, t in rows]

    def agent_thread(self, ticket_id: int, agents: Collection[str]) -> tuple[str, ...]:
        """Message-IDs of our mail to agents about the ticket, oldest first."""
        if not agents:
            return ()
        marks = ", ".join("?" for _ in agents)
        rows = self.db.rows(
            'SELECT "message_id" FROM "outbox" WHERE "ticket_id" = ? '
            f'AND "to_addr" IN ({marks}) ORDER BY "id"',
            [ticket_id, *agents],
        )
        return tuple(str(m) for (m,) in rows)

    def customer_thread(self, ticket_id: int, customer: str) -> tuple[str, ...]:
        """Message-IDs of the ticket's conversation with its customer, oldest first: their
        mails and ours to them (never mail to or from agents)."""
        rows = self.db.rows(
            'SELECT m."message_id" FROM "messages" m '
            'LEFT JOIN "outbox" o ON o."message_id" = m."message_id" '
            'WHERE m."ticket_id" = ? AND ((m."direction" = ? AND LOWER(m."sender") = ?) '
            'OR LOWER(o."to_addr") = ?) ORDER BY m."id"',
            [ticket_id, "in", customer.lower(), customer.lower()],
        )
        return tuple(str(m) for (m,) in rows)

    def suppressed_until(self, address: str, now: datetime) -> datetime | None:
        """Until when mail to `address` is held back, or None when it may be sent."""
        until = self.db.scalar(
            'SELECT "until" FROM "suppressions" WHERE "address" = ? AND "until" > ?',
            [address.lower(), stamp(now)],
        )
        return moment_or_none(until)

    def statuses(self, status: str | None = None, limit: int = 100) -> list[OutboxStatus]:
        """Outbox rows (without the raw email), newest first, for status displays."""
        where = "" if status is None else ' WHERE "status" = ?'
        rows = self.db.rows(
            f'SELECT {OUTBOX_STATUS.columns} FROM "outbox"{where} ORDER BY "id" DESC LIMIT ?',
            [*([] if status is None else [status]), limit],
        )
        return [OUTBOX_STATUS.of(row) for row in rows]

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


class Outbox(OutboxReads):
    """The outbox and suppressions tables (see outbound/delivery.py for the sending
    policy)."""

    def __init__(self, db: Database, lease: timedelta) -> None:
        super().__init__(db)
        self._lease = lease

    def queue(
        self, ticket_id: int | None, mails: Sequence[OutboxMail], now: datetime,
        shown: bool = False,
    ) -> None:  # fmt: skip
        """Queue composed mails (inside the caller's transaction); `shown`: also in the
        ticket's messages (a decision's mail, not a notice)."""
        at = stamp(now)
        rows = [(ticket_id, m.message_id, m.to, m.raw, at, "pending", 0, at) for m in mails]
        self.db.insert_rows("outbox", _OUTBOX, rows)
        if shown:
            shown_rows = []
            for mail in mails:
                head = mail.raw[: mail.raw.find(b"\r\n\r\n")]
                shown_rows.append((ticket_id, "out", mail.message_id, own_header(head, b"From"),
                                   own_header(head, b"Subject"), mail.excerpt, at))  # fmt: skip
            self.db.insert_rows("messages", _MESSAGE, shown_rows)

    def claim_due(
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
            gone = self.db.gone_claimers("outbox", '"status" = ?', ["pending"], owner, abandoned)
            due = '"next_attempt_at" <= ?'
            if gone:
                due = f'({due} OR "claimed_by" IN ({", ".join("?" for _ in gone)}))'
            lock = " FOR UPDATE SKIP LOCKED" if self.db.is_pg else ""
            rows = self.db.rows(
                f'SELECT {OUTBOX_ITEM.columns} FROM "outbox" WHERE "status" = ? AND {due}'
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
        return [OUTBOX_ITEM.of((*row[:5], row[5] + 1, row[6])) for row in rows]

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


def own_header(head: bytes, name: bytes) -> str:
    """A header of our own mail's header block as text: unfolded, encoded words decoded."""
    found = _OWN_HEADER[name].search(head)
    if found is None:
        return ""
    value = found.group(1).replace(b"\r\n", b"").decode("utf-8", "replace")
    if value.isascii() and "=?" not in value:
        return value  # no encoded word: email.header would give it back as it is
    return str(make_header(decode_header(value)))
