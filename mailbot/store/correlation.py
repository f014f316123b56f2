"""What the store knows about our own mail and agents' mail, for telling real from forged:
which ticket and recipient each Message-ID we sent belongs to, the threads of a ticket
per audience, command mails already applied, and alerts already sent about a sender."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from mailbot.store.base import StoreBase
from mailbot.store.values import stamp

_IDS_PER_QUERY = 200  # In-Reply-To and References: at most 51 ids per mail anyway


@dataclass(frozen=True)
class SentMail:
    """One mail of ours: its Message-ID, recipient and ticket (None: not a ticket's)."""

    message_id: str
    to_addr: str
    ticket_id: int | None


class CorrelationRows(StoreBase):
    """Reads over the outbox, messages and audit tables; the applied-commands table."""

    def sent_mail(self, message_ids: Iterable[str]) -> list[SentMail]:
        """Our mails among `message_ids` (from the outbox, which keeps every one sent)."""
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

    def applied_command_mail(self, content: str) -> str | None:
        """The inbound key of the command mail with this content already applied, or None."""
        key = self.db.scalar(
            'SELECT "key" FROM "applied_commands" WHERE "content" = ? LIMIT 1', [content]
        )
        return None if key is None else str(key)

    def _mark_applied(self, content: str, key: str, ticket_id: int, now: datetime) -> None:
        self.db.execute(
            'INSERT INTO "applied_commands" ("content", "key", "ticket_id", "at")'
            " VALUES (?, ?, ?, ?)",
            [content, key, ticket_id, stamp(now)],
        )

    def events_of(self, actor: str, outcomes: Collection[str], since: datetime) -> int:
        """How many audit events of `actor` with one of `outcomes` happened since `since`."""
        marks = ", ".join("?" for _ in outcomes)
        count = self.db.scalar(
            'SELECT COUNT(*) FROM "audit_events" WHERE "actor" = ? '
            f'AND "outcome" IN ({marks}) AND "at" >= ?',
            [actor, *outcomes, stamp(since)],
        )
        return int(count or 0)
