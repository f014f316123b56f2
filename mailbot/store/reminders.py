"""Reminder rows: planned with each decision, claimed by one process, fired once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from mailbot.core.model import Reminder
from mailbot.store import contextjson
from mailbot.store.db import Database
from mailbot.store.errors import ERROR_CHARS, AlreadyRecorded
from mailbot.store.records import REMINDER, TICKET, DueReminder, ReminderStatus, columns
from mailbot.store.values import moment, moment_or_none, stamp

_REMINDER_ATTEMPTS = 3  # a reminder that fails this often is set aside as failed
_NEW = ("ticket_id", "kind", "due_at", "state", "context", "status", "created_at", "attempts")
# A due reminder and its ticket, in one row.
_DUE_COLUMNS = (
    columns("r.id r.attempts r.kind r.due_at r.state r.context")
    + ", "
    + ", ".join(f"t.{c}" for c in TICKET.columns.split(", "))
)


class Reminders:
    """The reminders table (see core/reminders.py for what they mean)."""

    def __init__(self, db: Database, lease: timedelta) -> None:
        self.db = db
        self._lease = lease

    def replace(
        self, ticket_id: int, plan: Iterable[Reminder], now: datetime, new: bool = False
    ) -> None:
        """Make ``plan`` the ticket's pending reminders; cancel the rest (inside the
        caller's transaction; `new`: the ticket was just created and has none).

        A planned reminder already done (same kind and moment) is not scheduled again,
        so re-planning after a reply never repeats a reminder.
        """
        wanted = {(str(p.kind), stamp(p.due_at)): p for p in plan}
        rows = (
            []
            if new
            else self.db.rows(
                'SELECT "id", "kind", "due_at", "status" FROM "reminders" WHERE "ticket_id" = ?',
                [ticket_id],
            )
        )
        at = stamp(now)
        for row_id, kind, due_at, status in rows:
            planned = wanted.pop((kind, due_at), None)
            if planned is None:
                if status == "pending":
                    self.db.execute(
                        'UPDATE "reminders" SET "status" = ?, "done_at" = ? WHERE "id" = ?',
                        ["cancelled", at, row_id],
                    )
            elif status in ("cancelled", "stale"):
                self.db.execute(
                    'UPDATE "reminders" SET "status" = ?, "done_at" = NULL, "state" = ?,'
                    ' "context" = ? WHERE "id" = ?',
                    ["pending", str(planned.state), contextjson.dumps(planned.context), row_id],
                )
        self.db.insert_rows(
            "reminders",
            _NEW,
            [
                (ticket_id, str(p.kind), due_at, str(p.state), contextjson.dumps(p.context),
                 "pending", at, 0)
                for (_, due_at), p in wanted.items()
            ],
        )  # fmt: skip

    def claim_due(
        self,
        now: datetime,
        limit: int = 50,
        owner: str = "",
        abandoned: Callable[[str], bool] = lambda owner: False,
    ) -> list[DueReminder]:
        """Claim up to ``limit`` due reminders for this process alone (as ``due_outbox``):
        unclaimed ones, those whose claim's lease ended, and at once those of a claimer
        that `abandoned` says is gone (a killed process on this machine)."""
        at = stamp(now)
        with self.db.transaction():
            pending_due = '"status" = ? AND "due_at" <= ?'
            live_claim = f'{pending_due} AND "claimed_until" > ?'
            gone = self.db.gone_claimers(
                "reminders", live_claim, ["pending", at, at], owner, abandoned
            )
            free = 'r."claimed_until" IS NULL OR r."claimed_until" <= ?'
            if gone:
                free += f' OR r."claimed_by" IN ({", ".join("?" for _ in gone)})'
            lock = " FOR UPDATE OF r SKIP LOCKED" if self.db.is_pg else ""
            rows = self.db.rows(
                f'SELECT {_DUE_COLUMNS} FROM "reminders" r JOIN "tickets" t'
                ' ON t."id" = r."ticket_id" WHERE r."status" = ? AND r."due_at" <= ?'
                f' AND ({free}) ORDER BY r."due_at", r."id" LIMIT ?{lock}',
                ["pending", at, at, *gone, limit],
            )
            if rows:
                marks = ", ".join("?" for _ in rows)
                self.db.execute(
                    'UPDATE "reminders" SET "claimed_until" = ?, "claimed_by" = ?,'
                    f' "attempts" = "attempts" + 1 WHERE "id" IN ({marks})',
                    [stamp(now + self._lease), owner or None, *(row[0] for row in rows)],
                )
        return [
            DueReminder(row[0], TICKET.of(row[6:]), REMINDER.of(row[2:6]), row[1] + 1)
            for row in rows
        ]

    def mark_done(self, reminder_id: int, ticket_id: int, now: datetime) -> None:
        """Mark a pending reminder done (inside the caller's transaction). Raises
        AlreadyRecorded if it is no longer pending: another process fired it."""
        # Lock the ticket first: two reminders of one ticket fired by two processes
        # then queue here instead of deadlocking on each other's reminder rows.
        lock = " FOR UPDATE" if self.db.is_pg else ""
        self.db.rows(f'SELECT "id" FROM "tickets" WHERE "id" = ?{lock}', [ticket_id])
        done = self.db.execute(
            'UPDATE "reminders" SET "status" = ?, "done_at" = ?, "last_error" = NULL'
            ' WHERE "id" = ? AND "status" = ?',
            ["done", stamp(now), reminder_id, "pending"],
        )
        if not done:
            raise AlreadyRecorded(f"reminder {reminder_id} was already handled")

    def set_aside(self, reminder_id: int, status: str, why: str, now: datetime) -> None:
        """Close a reminder without firing it: ``stale`` (ticket moved on) or ``failed``."""
        self.db.execute(
            'UPDATE "reminders" SET "status" = ?, "done_at" = ?, "last_error" = ?'
            ' WHERE "id" = ? AND "status" = ?',
            [status, stamp(now), why[:ERROR_CHARS], reminder_id, "pending"],
        )

    def failed(self, reminder_id: int, attempts: int, error: str, now: datetime) -> str:
        """Record a failed attempt; after a few the reminder is set aside. Returns the status."""
        if attempts >= _REMINDER_ATTEMPTS:
            self.set_aside(reminder_id, "failed", error, now)
            return "failed"
        self.db.execute(
            'UPDATE "reminders" SET "last_error" = ? WHERE "id" = ?',
            [error[:ERROR_CHARS], reminder_id],
        )
        return "pending"

    def of_ticket(self, ticket_id: int) -> list[ReminderStatus]:
        """The ticket's reminders, by due time."""
        rows = self.db.rows(
            'SELECT "kind", "due_at", "status", "done_at" FROM "reminders"'
            ' WHERE "ticket_id" = ? ORDER BY "due_at", "id"',
            [ticket_id],
        )
        return [
            ReminderStatus(kind, moment(due_at), status, moment_or_none(done_at))
            for kind, due_at, status, done_at in rows
        ]
