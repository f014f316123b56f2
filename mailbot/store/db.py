"""The one database object every repository of the store runs its SQL through.

One query style: SQL text written once per statement (with "?" marks; PostgreSQL's
"%s" are put in once per text) and rows mapped to typed records by the repository that
reads them (records.py). peewee stays underneath for what it does well and cheaply:
one connection per thread (reopened after a failure), transactions and savepoints on
SQLite and PostgreSQL alike, driver errors as ``peewee.IntegrityError``, and the schema
(models.py, migrations.py); its query builder is not used, since building a
statement's SQL took ~0.4 ms each, most of the store's time (bench/README.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import peewee
from playhouse.db_url import connect

from mailbot.errors import MailbotError
from mailbot.store.migrations import upgrade
from mailbot.store.models import build_models
from mailbot.store.writerturn import WriterTurn

PG_CONNECT_TIMEOUT = 10  # seconds
_SCHEMA_LOCK = 0x6D61696C626F74  # "mailbot": the advisory lock taken around schema changes
# SQLite's default limit on the variables of one statement is 32766 since 3.32;
# a smaller batch keeps old builds and PostgreSQL's statement sizes comfortable.
MAX_VARIABLES = 900

Row = tuple[Any, ...]


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


class Database:
    """A SQLite file or PostgreSQL database: statements, transactions, the schema.

    ``sqlite:///:memory:`` gives each thread its own empty database (peewee keeps one
    connection per thread); use a file for anything shared between threads.
    """

    def __init__(self, url: str) -> None:
        self.engine = open_database(url)
        self.is_pg = isinstance(self.engine, peewee.PostgresqlDatabase)
        self._texts: dict[str, str] = {}
        path = None if self.is_pg else self.engine.database
        self._turn = WriterTurn(path) if path and path != ":memory:" else None

    @property
    def shared_between_threads(self) -> bool:
        """False for ``sqlite:///:memory:``, where every thread has its own database."""
        return self.is_pg or self.engine.database != ":memory:"

    def _run(self, sql: str, params: Sequence[object]) -> Any:
        text = self._texts.get(sql)
        if text is None:
            # Written with "?" marks; psycopg2 wants "%s".
            text = self._texts[sql] = sql.replace("?", "%s") if self.is_pg else sql
        return self.engine.execute_sql(text, params)  # type: ignore[no-untyped-call]

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Every row of `sql` as a tuple of database values."""
        return list(self._run(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        """The first row of `sql`, or None."""
        row: Row | None = self._run(sql, params).fetchone()
        return row

    def scalar(self, sql: str, params: Sequence[object] = ()) -> Any:
        """The first column of the first row of `sql`, or None."""
        row = self.one(sql, params)
        return None if row is None else row[0]

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run `sql`; return the rows it changed."""
        return int(self._run(sql, params).rowcount)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> None:
        """INSERT `rows` (values in the order of `columns`) with as few statements as the
        variable limit allows."""
        batch = list(rows)
        if not batch:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        group = "(" + ", ".join("?" for _ in columns) + ")"
        per_statement = max(1, MAX_VARIABLES // len(columns))
        for start in range(0, len(batch), per_statement):
            chunk = batch[start : start + per_statement]
            marks = ", ".join(group for _ in chunk)
            params = [value for row in chunk for value in row]
            self._run(f'INSERT INTO "{table}" ({names}) VALUES {marks}', params)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction (nested ones join it)."""
        if self.is_pg:
            with self.engine.atomic():
                yield
            return
        # BEGIN IMMEDIATE takes SQLite's write lock up front, so two writers queue
        # instead of one failing when it upgrades a read lock; the writer turn makes
        # them queue without the busy handler's naps (writerturn.py).
        turn = self._turn.held() if self._turn else contextlib.nullcontext()
        with turn, self.engine.atomic(lock_type="IMMEDIATE"):
            yield

    def gone_claimers(
        self, table: str, where: str, params: Sequence[object], owner: str,
        abandoned: Callable[[str], bool],
    ) -> list[str]:  # fmt: skip
        """The claimers of `table`'s rows matching `where` that `abandoned` says are gone
        (not ``owner``): their rows may be taken at once, before the lease ends."""
        claimers = self.rows(
            f'SELECT DISTINCT "claimed_by" FROM "{table}" WHERE {where}'
            ' AND "claimed_by" IS NOT NULL',
            params,
        )
        return [c for (c,) in claimers if c != owner and abandoned(c)]

    def create_tables(self) -> None:
        """Create a new database's tables, or take an older one's schema to the current
        version (migrations.py); safe to call on every start. Processes starting
        together take turns: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a
        concurrent one.
        """
        models = build_models(self.engine)
        if self.is_pg:
            with self.engine.atomic():
                self.execute("SELECT pg_advisory_xact_lock(?)", [_SCHEMA_LOCK])
                upgrade(self.engine, models)
        else:
            with self.transaction():
                upgrade(self.engine, models)

    def close(self) -> None:
        """Close this thread's connection."""
        if not self.engine.is_closed():
            self.engine.close()

    def drop_connection(self) -> None:
        """Forget this thread's connection whatever its state: work stopped midway (the
        message watchdog) may have left a transaction open, even one peewee does not
        know of. Closing it rolls that back; the next use opens a new one."""
        if self.engine.is_closed():
            return
        connection = self.engine.connection()  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            connection.close()
        self.engine.dispose()
