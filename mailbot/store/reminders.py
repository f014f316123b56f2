"""Reminder rows: planned with each decision, claimed by one process, fired once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from mailbot.core.model import Decision, Reminder, Ticket
from mailbot.store import contextjson
from mailbot.store.base import ERROR_CHARS, AlreadyRecorded, StoreBase
from mailbot.store.records import (
    DueReminder,
    OutboxMail,
    ReminderStatus,
    reminder_of,
    ticket_from_row,
)

_REMINDER_ATTEMPTS = 3  # a reminder that fails this often is set aside as failed


class ReminderRows(StoreBase):
    """The reminders table (see core/reminders.py for what they mean)."""

    def _replace_reminders(self, ticket_id: int, plan: Iterable[Reminder], now: datetime) -> None:
        """Make ``plan`` the ticket's pending reminders; cancel the rest.

        A planned reminder already done (same kind and moment) is not scheduled again,
        so re-planning after a reply never repeats a reminder.
        """
        R = self.m.reminder
        wanted = {(str(p.kind), p.due_at): p for p in plan}
        for row in self.sql.select(R, '"ticket_id" = ?', [ticket_id]):
            planned = wanted.pop((row.kind, row.due_at), None)
            if planned is None:
                if row.status == "pending":
                    self.sql.update(R, row.id, {"status": "cancelled", "done_at": now})
            elif row.status in ("cancelled", "stale"):
                context = contextjson.dumps(planned.context)
                self.sql.update(
                    R,
                    row.id,
                    {"status": "pending", "done_at": None, "state": str(planned.state),
                     "context": context},
                )  # fmt: skip
        self.sql.insert_many(
            R,
            [
                {
                    "ticket": ticket_id,
                    "kind": str(p.kind),
                    "due_at": p.due_at,
                    "state": str(p.state),
                    "context": contextjson.dumps(p.context),
                    "created_at": now,
                }
                for p in wanted.values()
            ],
        )

    def due_reminders(
        self,
        now: datetime,
        limit: int = 50,
        owner: str = "",
        abandoned: Callable[[str], bool] = lambda owner: False,
    ) -> list[DueReminder]:
        """Claim up to ``limit`` due reminders for this process alone (as ``due_outbox``):
        unclaimed ones, those whose claim's lease ended, and at once those of a claimer
        that `abandoned` says is gone (a killed process on this machine)."""
        R, T = self.m.reminder, self.m.ticket
        with self._tx():
            pending_due = (R.status == "pending") & (R.due_at <= now)
            live_claim = pending_due & (R.claimed_until > now)
            gone = self._gone_claimers(R, live_claim, owner, abandoned)
            free = R.claimed_until.is_null() | (R.claimed_until <= now)
            if gone:
                free = free | R.claimed_by.in_(gone)
            query = (
                R.select(R, T)
                .join(T)
                .where(pending_due & free)
                .order_by(R.due_at, R.id)
                .limit(limit)
            )
            if self._is_pg:
                query = query.for_update(of=R, skip_locked=True)
            rows = list(query)
            if rows:
                R.update(
                    claimed_until=now + self._lease, claimed_by=owner or None,
                    attempts=R.attempts + 1,
                ).where(R.id.in_([r.id for r in rows])).execute()  # fmt: skip
        return [
            DueReminder(r.id, ticket_from_row(r.ticket), reminder_of(r), r.attempts + 1)
            for r in rows
        ]

    def fire_reminder(
        self,
        reminder_id: int,
        ticket: Ticket,
        decision: Decision,
        mails: Sequence[OutboxMail],
        rules_version: str,
        now: datetime,
    ) -> Ticket:
        """Record a due reminder's decision, its mails and the new plan in one transaction.

        Raises AlreadyRecorded if the reminder is no longer pending (another process
        fired it): nothing is written then, so a reminder is sent once.
        """
        R, T = self.m.reminder, self.m.ticket
        with self._tx():
            # Lock the ticket first: two reminders of one ticket fired by two processes
            # then queue here instead of deadlocking on each other's reminder rows.
            lock = T.select(T.id).where(T.id == ticket.id)
            list(lock.for_update() if self._is_pg else lock)
            done = (
                R.update(status="done", done_at=now, last_error=None)
                .where((R.id == reminder_id) & (R.status == "pending"))
                .execute()
            )
            if not done:
                raise AlreadyRecorded(f"reminder {reminder_id} was already handled")
            row = T.get_by_id(ticket.id)
            self._apply(row, decision, rules_version, now)
            row.save()
            self._audit(
                row.id,
                now,
                "scheduler",
                "reminder",
                decision.outcome,
                decision.reasons,
                rules_version,
                {"reminder": reminder_id, "state": str(decision.state)},
            )
            if not decision.keep_plan:
                self._replace_reminders(row.id, decision.reminders, now)
            for mail in mails:
                self._enqueue(row.id, mail, now)
        return ticket_from_row(row)

    def set_reminder_aside(self, reminder_id: int, status: str, why: str, now: datetime) -> None:
        """Close a reminder without firing it: ``stale`` (ticket moved on) or ``failed``."""
        R = self.m.reminder
        with self._tx():
            R.update(status=status, done_at=now, last_error=why[:ERROR_CHARS]).where(
                (R.id == reminder_id) & (R.status == "pending")
            ).execute()

    def reminder_failed(self, reminder_id: int, attempts: int, error: str, now: datetime) -> str:
        """Record a failed attempt; after a few the reminder is set aside. Returns the status."""
        if attempts >= _REMINDER_ATTEMPTS:
            self.set_reminder_aside(reminder_id, "failed", error, now)
            return "failed"
        R = self.m.reminder
        R.update(last_error=error[:ERROR_CHARS]).where(R.id == reminder_id).execute()
        return "pending"

    def ticket_reminders(self, ticket_id: int) -> list[ReminderStatus]:
        """The ticket's reminders, by due time."""
        R = self.m.reminder
        query = R.select().where(R.ticket == ticket_id).order_by(R.due_at, R.id)
        return [ReminderStatus(r.kind, r.due_at, r.status, r.done_at) for r in query]
