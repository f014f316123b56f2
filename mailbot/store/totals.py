"""What the whole database has seen, for the metrics endpoint (mailbot/metrics.py): every
worker's work is in it, and a restart loses none of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailbot.core.model import TicketState
from mailbot.store.db import Database
from mailbot.store.values import moment_or_none

# inbound.outcome holds a decision's one word, "quarantined: why", or a skip's reason.
_OUTCOME = (
    "CASE WHEN \"outcome\" LIKE 'quarantined:%' THEN 'quarantined'"
    " WHEN \"outcome\" LIKE '% %' OR \"outcome\" LIKE '%:%' OR \"outcome\" = '' THEN 'skipped'"
    ' ELSE "outcome" END'
)


@dataclass(frozen=True)
class Totals:
    """Counts over every table, read at one moment."""

    handled: dict[str, int]  # inbound mail by outcome (a decision's, skipped, quarantined)
    failures: int  # failed attempts at handling a mail
    quarantined: int
    reminders_fired: int
    tickets: dict[str, int]  # by state
    oldest_review: datetime | None  # since when the longest-waiting review has waited
    outbox: dict[str, tuple[int, int]]  # by status: rows, rows tried at least once


class TotalsReads:
    """Counts over the inbound, inbound_failures, reminders, tickets and outbox tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def read(self) -> Totals:
        """Every total, each one statement."""
        db = self.db
        handled = db.rows(f'SELECT {_OUTCOME}, COUNT(*) FROM "inbound" GROUP BY 1')
        failures = db.scalar('SELECT COALESCE(SUM("attempts"), 0) FROM "inbound_failures"')
        quarantined = db.scalar(
            'SELECT COUNT(*) FROM "inbound" WHERE "outcome" LIKE \'quarantined:%\''
        )
        fired = db.scalar('SELECT COUNT(*) FROM "reminders" WHERE "status" = \'done\'')
        tickets = db.rows('SELECT "state", COUNT(*) FROM "tickets" GROUP BY "state"')
        oldest = db.scalar(
            'SELECT MIN("state_since") FROM "tickets" WHERE "state" = ?',
            [TicketState.UNDER_REVIEW.value],
        )
        outbox = db.rows(
            'SELECT "status", COUNT(*), SUM(CASE WHEN "attempts" > 0 THEN 1 ELSE 0 END)'
            ' FROM "outbox" GROUP BY "status"'
        )
        return Totals(
            handled={str(outcome): int(count) for outcome, count in handled},
            failures=int(failures),
            quarantined=int(quarantined),
            reminders_fired=int(fired),
            tickets={str(state): int(count) for state, count in tickets},
            oldest_review=moment_or_none(oldest),
            outbox={str(s): (int(n), int(tried or 0)) for s, n, tried in outbox},
        )

    def ping(self) -> None:
        """One statement: raises when the database cannot be used."""
        self.db.scalar("SELECT 1")
