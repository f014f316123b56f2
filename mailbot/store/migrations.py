"""The database's schema version and the ordered steps that bring an older one to the
current. A new database is made at the current version directly; an existing one runs,
in order, each step after the version it records (table `schema_version`).

Add a step for every schema change: append (version, what it does, function) to STEPS
and make the models say the same, so that new and upgraded databases agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from mailbot.errors import MailbotError
from mailbot.store.models import Models

Step = Callable[[peewee.Database, Models], None]
_TABLE = "schema_version"


def _catch_up(db: peewee.Database, models: Models) -> None:
    """Version 1: the schema of mailbot 0.1. Databases from before versions were kept
    got each new table and column at start; this step does that one last time."""
    db.create_tables(models.all(), safe=True)
    migrator = SchemaMigrator.from_database(db)
    for model in models.all():
        table = model._meta.table_name
        have = {c.name for c in db.get_columns(table)}
        missing = [f for f in model._meta.sorted_fields if f.column_name not in have]
        if missing:
            migrate(*(migrator.add_column(table, f.column_name, f) for f in missing))


STEPS: tuple[tuple[int, str, Step], ...] = ((1, "tables and columns of mailbot 0.1", _catch_up),)
CURRENT = STEPS[-1][0]


class SchemaTooNew(MailbotError):
    """The database was upgraded by a newer mailbot than this one."""


def schema_version(db: peewee.Database) -> int | None:
    """The version the database records; 0 for one from before versions, None when it
    has no tables of ours."""
    if db.table_exists(_TABLE):
        found = db.execute_sql(f'SELECT MAX("version") FROM "{_TABLE}"').fetchone()  # type: ignore[no-untyped-call]
        if found and found[0] is not None:
            return int(found[0])
    return 0 if db.table_exists("tickets") else None


def _record(db: peewee.Database, version: int, what: str) -> None:
    mark = db.param
    db.execute_sql(  # type: ignore[no-untyped-call]
        f'INSERT INTO "{_TABLE}" ("version", "description", "applied_at")'
        f" VALUES ({mark}, {mark}, {mark})",
        (version, what, datetime.now(UTC).isoformat()),
    )


def upgrade(db: peewee.Database, models: Models) -> list[int]:
    """Take the database to CURRENT (inside the caller's transaction); the steps run."""
    version = schema_version(db)
    if version is not None and version > CURRENT:
        raise SchemaTooNew(
            f"the database has schema version {version}, newer than this mailbot's"
            f" ({CURRENT}): run the mailbot that upgraded it, or a newer one"
        )
    db.execute_sql(  # type: ignore[no-untyped-call]
        f'CREATE TABLE IF NOT EXISTS "{_TABLE}" ("version" INTEGER NOT NULL,'
        ' "description" TEXT NOT NULL, "applied_at" TEXT NOT NULL)'
    )
    if version is None:
        db.create_tables(models.all(), safe=True)
        _record(db, CURRENT, "new database")
        return []
    ran = []
    for number, what, step in STEPS:
        if number > version:
            step(db, models)
            _record(db, number, what)
            ran.append(number)
    return ran
