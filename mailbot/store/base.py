"""The database connection and what every part of the store shares.

The store (mailbot/store.py) is the only peewee user. Its rows for reminders
(storereminders.py) and the outbox (storeoutbox.py) are mixins over this base, so each
file holds one kind of row while one Store object, one connection and one transaction
helper serve them all.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import peewee
from playhouse.db_url import connect

from mailbot.core.model import Decision
from mailbot.errors import MailbotError
from mailbot.store.migrations import upgrade
from mailbot.store.models import Models, build_models
from mailbot.store.records import (
    OutboxMail,
)
from mailbot.store.rma import new_rma
from mailbot.store.sql import Statements
from mailbot.store.writerturn import WriterTurn

PG_CONNECT_TIMEOUT = 10  # seconds
ERROR_CHARS = 2000  # of an error message kept in a row
# A header of our own composed mail (compose.py writes them, folded with CRLF + space):
# read back for the messages table without a full header parser.
_OWN_HEADER = {
    name: re.compile(
        rb"^" + name + rb":[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", re.MULTILINE | re.IGNORECASE
    )
    for name in (b"From", b"Subject")
}
_SCHEMA_LOCK = 0x6D61696C626F74  # "mailbot": the advisory lock taken around schema changes


class AlreadyRecorded(MailbotError):
    """The inbound key was already committed (another worker handled the message)."""


class Taken(MailbotError):
    """The ticket id or RMA number drawn before the transaction was taken meanwhile: the
    mails that show it must be written again with new ones."""


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


class StoreBase:
    """The connection, the models, the transaction helper and the shared row writers.

    ``sqlite:///:memory:`` gives each thread its own empty database (peewee keeps one
    connection per thread); use a file for anything shared between threads.
    """

    def __init__(
        self,
        url: str,
        *,
        rma_source: Callable[[], str] = new_rma,
        claim_lease: timedelta = timedelta(minutes=10),
    ) -> None:
        self.db = open_database(url)
        self.m: Models = build_models(self.db)
        self.sql = Statements(self.db)
        self._is_pg = isinstance(self.db, peewee.PostgresqlDatabase)
        self._rma_source = rma_source
        self._lease = claim_lease
        path = None if self._is_pg else self.db.database
        self._turn = WriterTurn(path) if path and path != ":memory:" else None

    @property
    def shared_between_threads(self) -> bool:
        """False for ``sqlite:///:memory:``, where every thread has its own database."""
        return self._is_pg or self.db.database != ":memory:"

    def create_tables(self) -> None:
        """Create a new database's tables, or take an older one's schema to the current
        version (mailbot/migrations.py); safe to call on every start. Processes starting
        together take turns: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a
        concurrent one.
        """
        if self._is_pg:
            with self.db.atomic():
                self.db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))  # type: ignore[no-untyped-call]
                upgrade(self.db, self.m)
        else:
            with self._tx():
                upgrade(self.db, self.m)

    def close(self) -> None:
        """Close this thread's connection."""
        if not self.db.is_closed():
            self.db.close()

    def drop_connection(self) -> None:
        """Forget this thread's connection whatever its state: work stopped midway (the
        message watchdog) may have left a transaction open, even one peewee does not
        know of. Closing it rolls that back; the next use opens a new one."""
        if self.db.is_closed():
            return
        connection = self.db.connection()  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            connection.close()
        self.db.dispose()

    def next_ticket_id(self, reserve: bool = True) -> int:
        """The id a new ticket will have, known before its mails are composed (they show
        its reference). PostgreSQL draws it from the sequence, so no two processes get
        the same; SQLite takes the next rowid, and a writer that took it first makes
        ``record`` raise Taken. Without `reserve` (a dry run) nothing is drawn."""
        if self._is_pg and reserve:
            sequence = "SELECT nextval(pg_get_serial_sequence('tickets', 'id'))"
            return int(self.sql.scalar(sequence, []))
        return int(self.sql.scalar('SELECT COALESCE(MAX("id"), 0) + 1 FROM "tickets"', []))

    def draw_rma(self) -> str:
        """A fresh RMA number for a ticket's mails (unique in the store, or ``record``
        raises Taken)."""
        return self._rma_source()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        if self._is_pg:
            with self.db.atomic():
                yield
            return
        # BEGIN IMMEDIATE takes SQLite's write lock up front, so two writers queue
        # instead of one failing when it upgrades a read lock; the writer turn makes
        # them queue without the busy handler's naps (writerturn.py).
        turn = self._turn.held() if self._turn else contextlib.nullcontext()
        with turn, self.db.atomic(lock_type="IMMEDIATE"):
            yield

    def _gone_claimers(
        self, model: Any, where: Any, owner: str, abandoned: Callable[[str], bool]
    ) -> list[str]:
        """The claimers of ``model``'s rows matching ``where`` that `abandoned` says are
        gone (not ``owner``): their rows may be taken at once, before the lease ends."""
        claimers = {
            r.claimed_by
            for r in model.select(model.claimed_by)
            .where(where & model.claimed_by.is_null(False))
            .distinct()
        }
        return [c for c in claimers if c != owner and abandoned(c)]

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
        row.language = decision.language or row.language
        if not decision.keep_plan:
            row.reopenable = decision.reopenable
        row.updated_at, row.rules_version = now, rules_version

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
        self.sql.insert(
            self.m.audit,
            {
                "ticket": ticket_id,
                "at": now,
                "actor": actor,
                "event": event,
                "outcome": outcome,
                "reasons": json.dumps(list(reasons), ensure_ascii=False),
                "rules_version": rules_version,
                "detail": json.dumps(detail, ensure_ascii=False, default=str),
            },
        )

    def _enqueue(self, ticket_id: int, mail: OutboxMail, now: datetime) -> None:
        """Queue a decision's mail and show it in the ticket's messages."""
        self._queue(ticket_id, [mail], now)
        head = mail.raw[: mail.raw.find(b"\r\n\r\n")]
        self.sql.insert(
            self.m.message,
            {
                "ticket": ticket_id,
                "direction": "out",
                "message_id": mail.message_id,
                "sender": own_header(head, b"From"),
                "subject": own_header(head, b"Subject"),
                "excerpt": mail.excerpt,
                "received_at": now,
            },
        )

    def _queue(self, ticket_id: int | None, mails: Iterable[OutboxMail], now: datetime) -> None:
        rows = [
            {
                "ticket": ticket_id,
                "message_id": mail.message_id,
                "to_addr": mail.to,
                "raw_email": mail.raw,
                "created_at": now,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
            }
            for mail in mails
        ]
        self.sql.insert_many(self.m.outbox, rows)


def own_header(head: bytes, name: bytes) -> str:
    """A header of our own mail's header block as text: unfolded, encoded words decoded."""
    found = _OWN_HEADER[name].search(head)
    if found is None:
        return ""
    value = found.group(1).replace(b"\r\n", b"").decode("utf-8", "replace")
    return str(make_header(decode_header(value)))
