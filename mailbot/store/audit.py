"""The audit trail: every decision, skip, quarantine and notice as an event, read back as
a ticket's timeline and counted for alerts."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from mailbot.store.db import Database
from mailbot.store.records import AUDIT, AuditEntry
from mailbot.store.values import stamp


class AuditReads:
    """The audit_events table, read."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def timeline(self, ticket_id: int) -> list[AuditEntry]:
        """The ticket's audit events, oldest first."""
        rows = self.db.rows(
            f'SELECT {AUDIT.columns} FROM "audit_events" WHERE "ticket_id" = ? ORDER BY "at", "id"',
            [ticket_id],
        )
        return [AUDIT.of(row) for row in rows]

    def events_of(self, actor: str, outcomes: Collection[str], since: datetime) -> int:
        """How many audit events of `actor` with one of `outcomes` happened since `since`."""
        marks = ", ".join("?" for _ in outcomes)
        count = self.db.scalar(
            'SELECT COUNT(*) FROM "audit_events" WHERE "actor" = ? '
            f'AND "outcome" IN ({marks}) AND "at" >= ?',
            [actor, *outcomes, stamp(since)],
        )
        return int(count or 0)


class Audit(AuditReads):
    """The audit_events table."""

    def write(
        self,
        ticket_id: int | None,
        now: datetime,
        actor: str,
        event: str,
        outcome: str,
        reasons: Iterable[str] = (),
        rules_version: str = "",
        detail: Mapping[str, object] | None = None,
    ) -> None:
        """One event (inside the caller's transaction)."""
        self.db.execute(
            'INSERT INTO "audit_events" ("ticket_id", "at", "actor", "event", "outcome",'
            ' "reasons", "rules_version", "detail") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            [ticket_id, stamp(now), actor, event, outcome,
             json.dumps(list(reasons), ensure_ascii=False), rules_version,
             json.dumps(detail or {}, ensure_ascii=False, default=str)],
        )  # fmt: skip
