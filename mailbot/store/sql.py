"""SQL built once for the statements every message runs.

peewee builds each query's SQL from scratch, about 0.4 ms a statement: with ~20
statements a message that was most of the time the store took (bench/README.md).
``Statements`` builds the text of an INSERT, UPDATE or SELECT once per model and column
set and runs it with ``execute_sql``. Values still go through each field's
``db_value`` and come back through ``python_value``, so a row reads and writes exactly as
through the models; the models stay the schema and serve every other query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import peewee

# SQLite's default limit on the variables of one statement is 32766 since 3.32;
# a smaller batch keeps old builds and PostgreSQL's statement sizes comfortable.
_MAX_VARIABLES = 900


def _quote(name: str) -> str:
    return f'"{name}"'


class Statements:
    """Prepared-once SQL for one database's models (see the module docstring)."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self._is_pg = isinstance(db, peewee.PostgresqlDatabase)
        self._sql: dict[object, str] = {}

    def _text(self, sql: str) -> str:
        # Written with "?" placeholders; psycopg2 wants "%s".
        return sql.replace("?", "%s") if self._is_pg else sql

    def _run(self, sql: str, params: list[object]) -> Any:
        return self.db.execute_sql(sql, params)  # type: ignore[no-untyped-call]

    @staticmethod
    def _columns(model: Any) -> list[Any]:
        """The fields an INSERT writes: all but the auto-increment key."""
        key = model._meta.primary_key
        return [f for f in model._meta.sorted_fields if f is not key]

    @staticmethod
    def _value(field: Any, values: Mapping[str, object]) -> object:
        if field.name in values:
            return field.db_value(values[field.name])
        default = field.default
        return field.db_value(default() if callable(default) else default)

    def insert(self, model: Any, values: Mapping[str, object], row_id: int | None = None) -> int:
        """INSERT one row (missing fields take their defaults); return its id (`row_id`,
        if given, else the database's next)."""
        fields = self._columns(model)
        if row_id is not None:
            fields = [model._meta.primary_key, *fields]
            values = {**values, model._meta.primary_key.name: row_id}
        key = ("insert", model, row_id is not None)
        sql = self._sql.get(key)
        if sql is None:
            names = ", ".join(_quote(f.column_name) for f in fields)
            marks = ", ".join("?" for _ in fields)
            table = _quote(model._meta.table_name)
            returning = _quote("id")
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING {returning}"
            sql = self._text(sql)
            self._sql[key] = sql
        cursor = self._run(sql, [self._value(f, values) for f in fields])
        return int(cursor.fetchone()[0])

    def insert_many(self, model: Any, rows: Sequence[Mapping[str, object]]) -> None:
        """INSERT several rows with as few statements as the variable limit allows."""
        if not rows:
            return
        fields = self._columns(model)
        per_statement = max(1, _MAX_VARIABLES // len(fields))
        table = _quote(model._meta.table_name)
        names = ", ".join(_quote(f.column_name) for f in fields)
        group = "(" + ", ".join("?" for _ in fields) + ")"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            marks = ", ".join(group for _ in chunk)
            sql = self._text(f"INSERT INTO {table} ({names}) VALUES {marks}")
            params = [self._value(f, row) for row in chunk for f in fields]
            self._run(sql, params)

    def update(self, model: Any, row_id: int, values: Mapping[str, object]) -> int:
        """UPDATE the named fields of the row with this id; return the rows changed."""
        names = tuple(values)
        key = ("update", model, names)
        sql = self._sql.get(key)
        fields = [model._meta.fields[name] for name in names]
        if sql is None:
            sets = ", ".join(f"{_quote(f.column_name)} = ?" for f in fields)
            table = _quote(model._meta.table_name)
            sql = self._text(f"UPDATE {table} SET {sets} WHERE {_quote('id')} = ?")
            self._sql[key] = sql
        params = [f.db_value(values[f.name]) for f in fields]
        cursor = self._run(sql, [*params, row_id])
        return int(cursor.rowcount)

    def save(self, model: Any, row: Any) -> None:
        """UPDATE every column but the id from the attributes of `row` (read by ``select``
        or built for ``insert``), like saving a model instance."""
        names = [f.name for f in self._columns(model)]
        self.update(model, row.id, {name: getattr(row, name) for name in names})

    def select(
        self, model: Any, where: str, params: Iterable[object], tail: str = ""
    ) -> list[SimpleNamespace]:
        """Rows of `model` matching `where` (SQL with "?" marks and quoted column names),
        each as a namespace of python values by field name (a foreign key also as
        ``<name>_id``), like a model instance for reading."""
        key = ("select", model, where, tail)
        sql = self._sql.get(key)
        if sql is None:
            names = ", ".join(_quote(f.column_name) for f in model._meta.sorted_fields)
            table = _quote(model._meta.table_name)
            sql = self._text(f"SELECT {names} FROM {table} WHERE {where} {tail}".rstrip())
            self._sql[key] = sql
        fields = model._meta.sorted_fields
        rows = []
        for values in self._run(sql, list(params)).fetchall():
            data = {f.name: f.python_value(v) for f, v in zip(fields, values, strict=True)}
            for f in fields:
                if isinstance(f, peewee.ForeignKeyField):
                    data[f"{f.name}_id"] = data[f.name]
            rows.append(SimpleNamespace(**data))
        return rows

    def scalar(self, sql: str, params: Iterable[object]) -> Any:
        """The first column of the first row of `sql` ("?" marks), or None."""
        row = self._run(self._cached(sql), list(params)).fetchone()
        return None if row is None else row[0]

    def rows(self, sql: str, params: Iterable[object]) -> list[tuple[Any, ...]]:
        """Every row of `sql` ("?" marks) as tuples of database values."""
        return list(self._run(self._cached(sql), list(params)).fetchall())

    def execute(self, sql: str, params: Iterable[object]) -> int:
        """Run `sql` ("?" marks); return the rows it changed."""
        return int(self._run(self._cached(sql), list(params)).rowcount)

    def _cached(self, sql: str) -> str:
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = self._text(sql)
        return text
