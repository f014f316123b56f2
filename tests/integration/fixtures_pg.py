"""A private PostgreSQL database per test session, and a fresh schema per test.

Needs the server at 127.0.0.1:5432 (trust auth, user postgres). If it cannot be
reached the tests FAIL: a database test that silently skips proves nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import peewee
import pytest

HOST = os.environ.get("MAILBOT_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("MAILBOT_TEST_PG_PORT", "5432"))
PG_SERVER = f"postgresql://postgres@{HOST}:{PORT}"


def _admin(dbname: str) -> peewee.PostgresqlDatabase:
    # peewee runs statements outside explicit transactions in autocommit mode, which
    # CREATE/DROP DATABASE need.
    db = peewee.PostgresqlDatabase(dbname, user="postgres", host=HOST, port=PORT, connect_timeout=5)
    try:
        db.connect()
    except peewee.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {HOST}:{PORT} is not reachable: {exc}")
    return db


def _run(db: peewee.PostgresqlDatabase, sql: str) -> None:
    cast(Any, db).execute_sql(sql)  # peewee's execute_sql is untyped


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """Name of a database created for this session and dropped after it."""
    name = f"mailbot_test_{uuid.uuid4().hex[:12]}"
    conn = _admin("test")
    _run(conn, f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        _run(conn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """URL of an empty schema (search_path set through the URL), dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = _admin(pg_database)
    _run(conn, f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_SERVER}/{pg_database}?options=" + quote(f"-csearch_path={schema}")
    finally:
        _run(conn, f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mailbot.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url
