"""What every part of the store shares: the database (db.py), the audit and outbox
writers, the ticket id and RMA number drawn before a transaction."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from email.header import decode_header, make_header

from mailbot.core.model import Decision, Ticket
from mailbot.errors import MailbotError
from mailbot.store.db import Database
from mailbot.store.records import TICKET_COLUMNS, OutboxMail, ticket_of
from mailbot.store.rma import new_rma
from mailbot.store.values import stamp, stamp_or_none

ERROR_CHARS = 2000  # of an error message kept in a row
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

# A decision applied to a ticket in one statement, from the row as it is inside the
# transaction (a decision's clock, a state change, or neither; blanks keep the row's).
_APPLY = (
    'UPDATE "tickets" SET "state_since" = CASE WHEN ? IS NOT NULL THEN ?'
    ' WHEN "state" <> ? THEN ? ELSE "state_since" END,'
    ' "complex" = COALESCE(?, "complex"), "state" = ?, "scenario" = ?,'
    ' "order_id" = COALESCE(?, "order_id"), "ship_by" = COALESCE(?, "ship_by"),'
    ' "language" = COALESCE(?, "language"), "reopenable" = COALESCE(?, "reopenable"),'
    ' "rma" = COALESCE("rma", ?), "updated_at" = ?, "rules_version" = ?'
    f' WHERE "id" = ? RETURNING {TICKET_COLUMNS}'
)


class AlreadyRecorded(MailbotError):
    """The inbound key was already committed (another worker handled the message)."""


class Taken(MailbotError):
    """The ticket id or RMA number drawn before the transaction was taken meanwhile: the
    mails that show it must be written again with new ones."""


class StoreBase:
    """The database and the writers every part shares."""

    def __init__(
        self,
        url: str,
        *,
        rma_source: Callable[[], str] = new_rma,
        claim_lease: timedelta = timedelta(minutes=10),
    ) -> None:
        self.db = Database(url)
        self._rma_source = rma_source
        self._lease = claim_lease

    @property
    def shared_between_threads(self) -> bool:
        """False for ``sqlite:///:memory:``, where every thread has its own database."""
        return self.db.shared_between_threads

    def create_tables(self) -> None:
        """Create the tables, or take an older schema to the current (migrations.py)."""
        self.db.create_tables()

    def close(self) -> None:
        """Close this thread's connection."""
        self.db.close()

    def drop_connection(self) -> None:
        """Forget this thread's connection whatever its state (see Database)."""
        self.db.drop_connection()

    def next_ticket_id(self, reserve: bool = True) -> int:
        """The id a new ticket will have, known before its mails are composed (they show
        its reference). PostgreSQL draws it from the sequence, so no two processes get
        the same; SQLite takes the next rowid, and a writer that took it first makes
        ``record`` raise Taken. Without `reserve` (a dry run) nothing is drawn."""
        if self.db.is_pg and reserve:
            sequence = "SELECT nextval(pg_get_serial_sequence('tickets', 'id'))"
            return int(self.db.scalar(sequence))
        return int(self.db.scalar('SELECT COALESCE(MAX("id"), 0) + 1 FROM "tickets"'))

    def draw_rma(self) -> str:
        """A fresh RMA number for a ticket's mails (unique in the store, or ``record``
        raises Taken)."""
        return self._rma_source()

    def _apply(
        self, ticket: Ticket, decision: Decision, rules_version: str, now: datetime,
        rma: str | None,
    ) -> Ticket:  # fmt: skip
        at, since = stamp(now), stamp_or_none(decision.clock_from)
        row = self.db.one(_APPLY, [
            since, since, str(decision.state), at, decision.complex, str(decision.state),
            str(decision.scenario), decision.order_id or None, stamp_or_none(decision.ship_by),
            decision.language or None, None if decision.keep_plan else decision.reopenable,
            rma, at, rules_version, ticket.id,
        ])  # fmt: skip
        if row is None:
            raise MailbotError(f"ticket {ticket.reference or ticket.id} is not in the store")
        return ticket_of(row)

    def _gone_claimers(
        self, table: str, where: str, params: Sequence[object], owner: str,
        abandoned: Callable[[str], bool],
    ) -> list[str]:  # fmt: skip
        """The claimers of `table`'s rows matching `where` that `abandoned` says are gone
        (not ``owner``): their rows may be taken at once, before the lease ends."""
        claimers = self.db.rows(
            f'SELECT DISTINCT "claimed_by" FROM "{table}" WHERE {where}'
            ' AND "claimed_by" IS NOT NULL',
            params,
        )
        return [c for (c,) in claimers if c != owner and abandoned(c)]

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
        self.db.execute(
            'INSERT INTO "audit_events" ("ticket_id", "at", "actor", "event", "outcome",'
            ' "reasons", "rules_version", "detail") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            [ticket_id, stamp(now), actor, event, outcome,
             json.dumps(list(reasons), ensure_ascii=False), rules_version,
             json.dumps(detail, ensure_ascii=False, default=str)],
        )  # fmt: skip

    def _enqueue(self, ticket_id: int, mails: Sequence[OutboxMail], now: datetime) -> None:
        """Queue a decision's mails and show them in the ticket's messages."""
        self._queue(ticket_id, mails, now)
        at = stamp(now)
        rows = []
        for mail in mails:
            head = mail.raw[: mail.raw.find(b"\r\n\r\n")]
            rows.append((ticket_id, "out", mail.message_id, own_header(head, b"From"),
                         own_header(head, b"Subject"), mail.excerpt, at))  # fmt: skip
        self.db.insert_rows("messages", _MESSAGE, rows)

    def _queue(self, ticket_id: int | None, mails: Iterable[OutboxMail], now: datetime) -> None:
        at = stamp(now)
        rows = [(ticket_id, m.message_id, m.to, m.raw, at, "pending", 0, at) for m in mails]
        self.db.insert_rows("outbox", _OUTBOX, rows)


def own_header(head: bytes, name: bytes) -> str:
    """A header of our own mail's header block as text: unfolded, encoded words decoded."""
    found = _OWN_HEADER[name].search(head)
    if found is None:
        return ""
    value = found.group(1).replace(b"\r\n", b"").decode("utf-8", "replace")
    return str(make_header(decode_header(value)))
