"""Sending the outbox: every due mail, one sender at a time (the SMTP connection is
shared). A mail that goes dead is a dead letter: the agents are told, so a customer is
not left waiting for a mail that never left."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from mailbot.core.correlate import Threads
from mailbot.core.notify import dead_letter_notices
from mailbot.outbound.delivery import SendReport, send_due
from mailbot.outbound.letters import Stamp
from mailbot.shell.workers import worker_gone

if TYPE_CHECKING:
    from mailbot.shell.service import Service

log = logging.getLogger("mailbot")


def send_outbox(svc: Service) -> SendReport:
    """Send every due reply (one sender at a time: the SMTP connection is shared).

    A reply that goes dead is a dead letter: the agents are told, so a customer is
    not left waiting for a mail that never left.
    """
    with svc.send_lock:
        now = svc.clock()

        def send() -> SendReport:
            return send_due(svc.store, svc.sender, svc.own_address, now,
                            base_delay=svc.retry_delay, cap=svc.retry_delay_max,
                            owner=svc.worker, abandoned=worker_gone)  # fmt: skip

        report = send()
        if _dead_letter_notices(svc, report, now):
            report += send()  # the notices just queued
        return report


def _dead_letter_notices(svc: Service, report: SendReport, now: datetime) -> int:
    """Queue a notice to the agents for each dead letter; return how many were queued."""
    queued = 0
    for item, error in report.dead_letters:
        notices = dead_letter_notices(
            item.to_addr, error, item.attempts, item.message_id, svc.agents
        )
        if not notices:
            continue  # about a notice to an agent: a notice about it could go on forever
        ticket = svc.store.tickets.find(str(item.ticket_id)) if item.ticket_id else None
        stamp = Stamp(ticket.reference, ticket.rma) if ticket else None
        ours = svc.store.outbox.agent_thread(ticket.id, svc.agents) if ticket and ticket.id else ()
        letters = svc.mailer.write(notices, stamp, Threads(agents=ours), now, "auto-generated")
        mails = [letter.mail for letter in letters]
        reason = f"mail to {item.to_addr} could not be delivered: {error}"
        svc.store.queue_notices(item.ticket_id, "dead_letter", reason, mails, now)
        log.error("dead letter: %s", reason)
        queued += len(mails)
    return queued
