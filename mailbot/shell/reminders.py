"""Firing reminders and expiries that are due: each in its own transaction; one another
process fired meanwhile is skipped, one whose ticket moved on (or that a later one
supersedes) is set aside as stale."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mailbot.core.reminders import decide_due
from mailbot.outbound.letters import Stamp
from mailbot.shell.apply import ticket_threads
from mailbot.shell.workers import worker_gone
from mailbot.store import AlreadyRecorded, DueReminder

if TYPE_CHECKING:
    from mailbot.shell.service import Service

log = logging.getLogger("mailbot")


@dataclass
class ReminderReport:
    """What one reminder sweep did."""

    fired: int = 0
    stale: int = 0
    failed: int = 0


def run_reminders(svc: Service) -> ReminderReport:
    """Fire every reminder and expiry that is due now (the clock is read afresh).

    Each fires in its own transaction; a reminder another process fired meanwhile
    is skipped, one whose ticket moved on (or that a later one supersedes) is set
    aside as stale.
    """
    now = svc.clock()
    report = ReminderReport()
    while batch := svc.store.reminders.claim_due(now, owner=svc.worker, abandoned=worker_gone):
        # After a pause several reminders of one ticket may be due at once (both
        # shipping reminders and the waiver): only the latest still makes sense.
        latest = {due.ticket.id: due for due in batch}
        for due in batch:
            if latest[due.ticket.id] is due:
                _fire(svc, due, now, report)
            else:
                svc.store.reminders.set_aside(
                    due.id, "stale", "superseded by a later reminder of the ticket", now
                )
                report.stale += 1
    return report


def _fire(svc: Service, due: DueReminder, now: datetime, report: ReminderReport) -> None:
    ticket, reminder = due.ticket, due.reminder
    decision = decide_due(ticket, reminder, svc.rules, now, svc.agents)
    if decision is None:
        why = f"ticket is {ticket.state.value}, the reminder was for {reminder.state.value}"
        svc.store.reminders.set_aside(due.id, "stale", why, now)
        report.stale += 1
        return
    if not decision.replies:
        log.warning("ticket=%s %s: no agent addresses configured", ticket.reference, reminder.kind)
    threads = ticket_threads(svc, svc.store, ticket)
    stamp = Stamp(ticket.reference, ticket.rma)
    letters = svc.mailer.write(decision.replies, stamp, threads, now, "auto-generated")
    mails = [letter.mail for letter in letters]
    try:
        svc.store.fire_reminder(due.id, ticket, decision, mails, svc.rules.version, now)
    except AlreadyRecorded:
        return
    except Exception as exc:
        status = svc.store.reminders.failed(due.id, due.attempts, repr(exc), now)
        log.exception("ticket=%s reminder %s failed (%s)", ticket.reference, reminder.kind, status)
        report.failed += 1
        return
    log.info(
        "ticket=%s reminder=%s decision=%s reasons=%s",
        ticket.reference,
        reminder.kind,
        decision.state,
        "; ".join(decision.reasons),
    )
    report.fired += 1
