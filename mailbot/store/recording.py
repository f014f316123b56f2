"""The Store: the repositories over one database, and the transactions that span them.

Every handled message is written in ONE transaction (``record``): inbound key, ticket,
message, evidence, audit event, reminder plan and composed outbox rows commit together
or not at all, so a crash never leaves a message answered-but-unrecorded or
recorded-but-unanswered. So are a skip, a quarantine, a fired reminder and notices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from mailbot.core.model import Decision, InboundMessage, Ticket
from mailbot.store.audit import Audit
from mailbot.store.db import Database
from mailbot.store.inbound import InboundKeys
from mailbot.store.orders import Orders
from mailbot.store.outbox import Outbox
from mailbot.store.records import OutboxMail, stored_id
from mailbot.store.reminders import Reminders
from mailbot.store.rma import new_rma
from mailbot.store.tickets import Tickets
from mailbot.store.totals import TotalsReads


class Store:
    """All persistent state: one repository per kind of row over one database, and the
    writes that take one transaction across them. Methods take and return the core's
    dataclasses and the typed records of records.py, never rows."""

    def __init__(
        self,
        url: str,
        *,
        rma_source: Callable[[], str] = new_rma,
        claim_lease: timedelta = timedelta(minutes=10),
    ) -> None:
        self.db = Database(url)
        self.tickets = Tickets(self.db, rma_source)
        self.inbound = InboundKeys(self.db, claim_lease)
        self.outbox = Outbox(self.db, claim_lease)
        self.reminders = Reminders(self.db, claim_lease)
        self.orders = Orders(self.db)
        self.audit = Audit(self.db)
        self.totals = TotalsReads(self.db)

    @property
    def shared_between_threads(self) -> bool:
        """False for ``sqlite:///:memory:``, where every thread has its own database."""
        return self.db.shared_between_threads

    def create_tables(self) -> None:
        """Create the tables, or take an older schema to the current (migrations.py)."""
        self.db.create_tables()

    def close(self) -> None:
        """Close this thread's connection."""
        self.db.close()

    def drop_connection(self) -> None:
        """Forget this thread's connection whatever its state (see Database)."""
        self.db.drop_connection()

    def next_ticket_id(self) -> int:
        """The id a new ticket will have, drawn before its mails are composed."""
        return self.tickets.next_id()

    def draw_rma(self) -> str:
        """A fresh RMA number for a ticket's mails."""
        return self.tickets.draw_rma()

    def suppress(self, address: str, until: datetime, reason: str, now: datetime) -> None:
        """Send nothing to `address` until `until` (it refused our mail for good)."""
        self.outbox.suppress(address, until, reason, now)

    def record(
        self,
        key: str,
        message: InboundMessage,
        ticket: Ticket | None,
        decision: Decision,
        mails: Sequence[OutboxMail],
        rules_version: str,
        now: datetime,
        actor: str = "bot",
        applied: str | None = None,
        new_id: int | None = None,
        rma: str | None = None,
    ) -> Ticket:
        """Write one decision and its composed mails in one transaction; return the ticket.

        Creates the ticket when ``ticket`` is None (with ``new_id``, from next_ticket_id,
        else the next free id), else updates it; gives it ``rma`` when the decision
        issues one and the ticket has none. ``applied``: the content key of an agent's
        command mail, kept so that a copy of it is never applied again. Any exception
        rolls everything back, the inbound key included; a key that is already recorded
        raises AlreadyRecorded, an id or RMA taken meanwhile raises Taken.
        """
        with self.db.transaction():
            # The key first: a message recorded concurrently fails here, before any work.
            self.inbound.record(key, message.message_id, decision.outcome, now)
            wants_rma = decision.issue_rma and (ticket is None or ticket.rma is None)
            rma = (rma or self.tickets.draw_rma()) if wants_rma else None
            stored = self.tickets.save(ticket, message, decision, rules_version, now, new_id, rma)
            ticket_id = stored_id(stored)
            msg = self.tickets.save_message(ticket_id, key, message, now)
            self.tickets.save_evidence(ticket_id, msg, message, decision.links)
            if applied is not None:
                self.inbound.mark_applied(applied, key, ticket_id, now)
            detail = {
                "key": key,
                "message_id": message.message_id,
                "state": str(decision.state),
                "scenario": str(decision.scenario),
                "rma": stored.rma,
                "refund": None if decision.refund is None else str(decision.refund),
                "links": list(decision.links),
                "agent_notice": decision.agent_notice,
            }
            self.audit.write(ticket_id, now, actor, "decision", decision.outcome,
                             decision.reasons, rules_version, detail)  # fmt: skip
            if not decision.keep_plan:
                # A new ticket has no reminders yet to compare the plan with.
                self.reminders.replace(ticket_id, decision.reminders, now, ticket is None)
            self.outbox.queue(ticket_id, mails, now, shown=True)
        return stored

    def record_skip(
        self,
        key: str,
        message: InboundMessage,
        reason: str,
        now: datetime,
        mails: Sequence[OutboxMail] = (),
        actor: str = "bot",
    ) -> None:
        """Record a message that opens no ticket: inbound key, audit event, and the mails
        it gets, if any (an agent told why nothing was done)."""
        detail = {
            "key": key,
            "message_id": message.message_id,
            "sender": message.sender,
            "subject": message.subject[:200],
        }
        with self.db.transaction():
            self.inbound.record(key, message.message_id, reason, now)
            self.audit.write(None, now, actor, "skipped", reason, detail=detail)
            self.outbox.queue(None, mails, now)

    def record_quarantine(
        self,
        key: str,
        message_id: str,
        reason: str,
        now: datetime,
        mails: Sequence[OutboxMail] = (),
    ) -> None:
        """Record a message set aside for a person: its key (so it is never handled
        again), an audit event, and the notices to send."""
        with self.db.transaction():
            self.inbound.record(key, message_id, f"quarantined: {reason}"[:500], now)
            detail = {"key": key, "message_id": message_id}
            self.audit.write(None, now, "bot", "quarantined", reason, detail=detail)
            self.outbox.queue(None, mails, now)

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
        with self.db.transaction():
            self.reminders.mark_done(reminder_id, stored_id(ticket), now)
            stored = self.tickets.apply(ticket, decision, rules_version, now, None)
            ticket_id = stored_id(stored)
            detail = {"reminder": reminder_id, "state": str(decision.state)}
            self.audit.write(ticket_id, now, "scheduler", "reminder", decision.outcome,
                             decision.reasons, rules_version, detail)  # fmt: skip
            if not decision.keep_plan:
                self.reminders.replace(ticket_id, decision.reminders, now)
            self.outbox.queue(ticket_id, mails, now, shown=True)
        return stored

    def queue_notices(
        self,
        ticket_id: int | None,
        event: str,
        reason: str,
        mails: Sequence[OutboxMail],
        now: datetime,
    ) -> None:
        """An audit event and the mails it sends, in one transaction."""
        with self.db.transaction():
            self.audit.write(ticket_id, now, "bot", event, reason)
            self.outbox.queue(ticket_id, mails, now)
