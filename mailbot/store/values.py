"""Python values to and from their columns, the same on SQLite and PostgreSQL.

A moment is fixed-width UTC ISO text ("2026-11-26T10:00:00.000000Z"): text order is
time order on every backend, so ``next_attempt_at <= now`` compares correctly in SQLite
and PostgreSQL alike. An amount is Decimal text, exact on SQLite too (whose NUMERIC may
turn it into a float). PostgreSQL returns bytea as memoryview, SQLite booleans as 0/1.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal


def stamp(value: datetime) -> str:
    """A moment as its column text."""
    if value.tzinfo is None:
        # A naive time is ambiguous; refusing it catches the bug at the source.
        raise ValueError(f"naive datetime {value!r} cannot be stored; use aware UTC")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def stamp_or_none(value: datetime | None) -> str | None:
    """``stamp`` of a moment that may be missing."""
    return None if value is None else stamp(value)


def moment(text: str) -> datetime:
    """The moment a column holds (aware, UTC)."""
    return datetime.fromisoformat(text)


def moment_or_none(text: str | None) -> datetime | None:
    """``moment`` of a column that may be NULL."""
    return None if text is None else datetime.fromisoformat(text)


def amount(text: str) -> Decimal:
    """The Decimal a column holds as text."""
    return Decimal(text)


def blob(value: bytes | memoryview) -> bytes:
    """Bytes from a BLOB (SQLite) or bytea (PostgreSQL) column."""
    return bytes(value)
