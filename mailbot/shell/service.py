"""The imperative shell: fetch -> parse -> sniff, read -> guard -> decide -> store -> send.

Every step's I/O sits behind the adapters `bootstrap` builds; the decisions are the
pure core's. A message counts as done only once its decision, replies and inbound
key are committed together; the inbox copy is moved after that, so a crash at any
point leaves it either unrecorded (handled again) or recorded (only moved again).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.core.agentauth import subject_tag
from mailbot.core.bounce import bounced_mail, read_bounce
from mailbot.core.correlate import Threads
from mailbot.core.decide import FOLLOW_UPS, decide, decide_too_large
from mailbot.core.guard import is_bounce, skip_reason
from mailbot.core.model import (
    AttachmentFacts,
    Decision,
    InboundMessage,
    Order,
    Reply,
    Ticket,
    TicketState,
)
from mailbot.core.notify import bounce_notice, stranger_notice, with_agent_notices
from mailbot.core.ordernumber import order_number
from mailbot.core.reminders import decide_due
from mailbot.core.rulebook import Rulebook
from mailbot.errors import InboxError, RulebookError
from mailbot.inbound.source import FetchedMessage, Inbox
from mailbot.mail.parse import ParsedMessage
from mailbot.media.sniff import sniff
from mailbot.outbound.compose import compose
from mailbot.outbound.delivery import SUPPRESS_FOR, SendReport, send_due
from mailbot.outbound.render import Renderer
from mailbot.outbound.senders import Sender
from mailbot.reading import read
from mailbot.rulefiles import load_rulebook, rules_fingerprint
from mailbot.shell.agentdesk import TICKET_REFERENCE, AgentDesk
from mailbot.shell.handled import Handled
from mailbot.shell.watchdog import MessageTimeout, time_limit
from mailbot.shell.workers import worker_gone, worker_name
from mailbot.store import AlreadyRecorded, DueReminder, Store

if TYPE_CHECKING:
    from mailbot.inbound.dkimcheck import DkimVerifier

log = logging.getLogger("mailbot")

FETCH_BATCH = 50
# A message that fails this many times is quarantined (a poison message).
QUARANTINE_AFTER = 3
# A reply on a ticket in these states continues it; otherwise it opens a new ticket.
CONTINUED_STATES = frozenset({TicketState.NEEDS_INFO, *FOLLOW_UPS})


class _ClaimFailed(Exception):
    """Claiming the next batch of inbound keys failed (raised by its cause instead)."""


@dataclass
class ReminderReport:
    """What one reminder sweep did."""

    fired: int = 0
    stale: int = 0
    failed: int = 0


@dataclass
class RunSummary:
    """Counts for the end-of-run summary."""

    handled: list[Handled] = field(default_factory=list)
    already_done: int = 0
    pending: int = 0
    failed: int = 0
    quarantined: int = 0
    sent: SendReport | None = None
    reminders: ReminderReport | None = None


def to_inbound(parsed: ParsedMessage, rules: Rulebook) -> InboundMessage:
    """The core's view of a parsed message: every attachment sniffed by content, the text
    read (mailbot/reading/)."""
    return InboundMessage(
        message_id=parsed.message_id,
        sender=parsed.sender,
        subject=parsed.subject,
        text=parsed.text,
        attachments=tuple(sniff(sample) for sample in parsed.attachments),
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        sender_name=parsed.sender_name,
        received_at=parsed.date,
        headers=parsed.headers,
        defects=parsed.defects,
        reading=read(parsed.subject, parsed.text, rules),
    )


def decide_request(
    message: InboundMessage,
    find_order: Callable[[str], Order | None],
    rules: Rulebook,
    now: datetime,
    ticket: Ticket | None = None,
    earlier_evidence: tuple[AttachmentFacts, ...] = (),
    sender_orders: tuple[Order, ...] = (),
) -> Decision:
    """The core's decision for a request, with its order looked up by `find_order`.

    `sender_orders` are the sender's orders (core/ordernumber.py picks the one the mail
    names). A follow-up on `ticket` that names no order number continues the ticket's
    order.
    """
    number = order_number(message.reading, sender_orders)
    if number is None and ticket is not None:
        number = ticket.order_id
    order = find_order(number) if number else None
    return decide(ticket, message, number, order, rules, now, earlier_evidence, sender_orders)


@dataclass
class Service(AgentDesk):
    """Handles inbound mail and sends the outbox; holds the adapters, not the clock.

    Agents' mail is handled by its part AgentDesk (agentdesk.py)."""

    inbox: Inbox
    store: Store
    sender: Sender
    renderer: Renderer
    rules: Rulebook
    from_addr: str
    instance: str
    agents: tuple[str, ...]
    clock: Callable[[], datetime]
    agent_secret: str | None = None
    # Days an agent token stays valid after the day it was issued.
    token_days: int = 30
    # Our server's authserv-id, set only when the admin declared that the server removes
    # Authentication-Results arriving from outside (else such headers prove nothing).
    authserv_id: str | None = None
    # Verifies agents' DKIM signatures itself (None: not configured).
    dkim: DkimVerifier | None = None
    copy_decisions: bool = False
    replies_per_sender_hour: int = 10
    max_message_bytes: int = 100_000_000
    # Seconds one message may take (mailbot/shell/watchdog.py); 0: no limit.
    message_time_limit: float = 60.0
    # Where the rules came from: edits are picked up by reload_rules().
    rules_dir: Path | None = None
    # This process, as the owner of its claims on inbound messages.
    worker: str = field(default_factory=worker_name)
    _rules_seen: tuple[tuple[str, int, int], ...] = field(default=(), init=False, repr=False)
    _send_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.rules_dir is not None:
            self._rules_seen = rules_fingerprint(self.rules_dir)

    def reload_rules(self) -> bool:
        """Load the rule files again if an admin changed them; True when new rules apply.

        A broken edit never stops the service: the last good rules stay in force, the
        problems (file, line, key) are logged and the agents get one notice per edit.
        """
        if self.rules_dir is None:
            return False
        seen = rules_fingerprint(self.rules_dir)
        if seen == self._rules_seen:
            return False
        self._rules_seen = seen
        try:
            rules = load_rulebook(self.rules_dir)
        except RulebookError as exc:
            problems = [str(p) for p in exc.problems]
            log.error("rules not reloaded, the last good ones stay in force:\n%s", exc)
            now = self.clock()
            mails = self._agent_mails(
                "agent/rules_error",
                {"problems": problems, "version": self.rules.version},
                None,
                now,
            )
            self.store.queue_notices(None, "rules_error", "; ".join(problems), mails, now)
            return False
        log.info("rules reloaded: version %s (was %s)", rules.version, self.rules.version)
        self.rules = rules
        return True

    @property
    def own_address(self) -> str:
        return parseaddr(self.from_addr)[1].lower()

    def _composer(
        self, threads: Threads, now: datetime, auto_submitted: str = "auto-replied"
    ) -> Callable[[Ticket, Reply, str], bytes]:
        """The callback the store calls, inside its transaction, for each reply: mail to
        an agent threads under `threads.agents` and carries its token, mail to the
        customer under `threads.customer` (core/correlate.py)."""

        def build(ticket: Ticket, reply: Reply, message_id: str) -> bytes:
            context = {
                **reply.context,
                "ticket": {"reference": ticket.reference, "rma": ticket.rma},
            }
            rendered = self.renderer.render(reply.template, context, reply.language)
            to_agent = reply.to.lower() in self.agents
            in_reply_to, references = threads.headers(to_agent)
            agent = reply.to if to_agent else None
            return compose(
                rendered=rendered,
                from_addr=self.from_addr,
                to_addr=reply.to,
                message_id=message_id,
                subject_tag=subject_tag(ticket.reference, self.agent_secret, agent, now),
                in_reply_to=in_reply_to,
                references=references,
                instance=self.instance,
                date=now,
                auto_submitted=auto_submitted,
            )

        return build

    def _threads(self, ticket: Ticket | None, customer: tuple[str, ...] | None = None) -> Threads:
        """Where replies about `ticket` thread: under `customer` (default: the ticket's
        conversation with its customer) and under our mail to agents about it."""
        if ticket is None or ticket.id is None:
            return Threads(customer=customer or ())
        if customer is None:
            customer = self.store.customer_thread(ticket.id, ticket.customer_email)
        return Threads(customer, self.store.agent_thread(ticket.id, self.agents))

    def referenced_ticket(self, message: InboundMessage) -> Ticket | None:
        """The ticket the message refers to, whoever sent it and whatever its state: by
        In-Reply-To/References, else a ticket reference (`T-000123`) or RMA number in
        the subject or the sender's own text."""
        ids = [i for i in (message.in_reply_to, *message.references) if i]
        ticket = self.store.ticket_for_message_ids(ids)
        if ticket is not None:
            return ticket
        for source in (message.subject, message.reading.own_words):
            for match in TICKET_REFERENCE.finditer(source):
                found = self.store.find_ticket(match.group(0))
                if found is not None:
                    return found
        return None

    def open_ticket(
        self, message: InboundMessage, referenced: Ticket | None = None
    ) -> Ticket | None:
        """The open ticket this message continues, if any (see CONTINUED_STATES; a ticket
        closed for the customer's silence is reopened by their reply).

        Found by `referenced` (see referenced_ticket), else by the order number from the
        ticket's customer. Only the ticket's own customer continues it: a stranger who
        quotes a reference never writes into someone else's case. A message naming
        another order than the ticket's is a new request.
        """
        numbers = message.reading.order_numbers
        number = numbers[0] if numbers else None
        ticket = referenced
        if ticket is None and number is not None and message.sender:
            ticket = self.store.latest_ticket(message.sender, number)
        if ticket is None or ticket.customer_email != message.sender:
            return None
        if number is not None and ticket.order_id not in (None, number):
            return None
        if ticket.state in CONTINUED_STATES or (
            ticket.state is TicketState.CLOSED and ticket.reopenable
        ):
            return ticket
        return None

    def handle(self, fetched: FetchedMessage) -> Handled:
        """Decide and record one message (or record why it gets no answer)."""
        message = to_inbound(fetched.parsed, self.rules)
        now = self.clock()
        reason = skip_reason(message, [self.own_address])
        seen = self.store.key_of_message_id(message.message_id)
        if reason is None and seen is not None and seen != fetched.key:
            # The same mail delivered twice, or met again under a new UIDVALIDITY.
            reason = f"already handled: same Message-ID as {seen}"
        if reason is None and message.sender in self.agents:
            return self._handle_agent(fetched, message, now)
        if reason is None and message.sender:
            recent = self.store.replies_to(message.sender, now - timedelta(hours=1))
            if recent >= self.replies_per_sender_hour:
                # A loop that got past the auto-reply headers, or a flood: stay silent.
                reason = f"reply limit: {recent} replies to {message.sender} in the last hour"
        if reason is not None and is_bounce(message):
            handled = self._bounce(fetched.key, message, now)
            if handled is not None:
                return handled
            reason = f"{reason}; a bounce that names no mail we sent to the address it names"
        if reason is not None:
            self.store.record_skip(fetched.key, message, reason, now)
            return Handled(fetched.key, message.message_id, "-", "skipped", (reason,))
        referenced = self.referenced_ticket(message)
        ticket = self.open_ticket(message, referenced)
        earlier = self.store.ticket_evidence(ticket.id) if ticket and ticket.id else ()
        if fetched.size > self.max_message_bytes:
            decision = decide_too_large(
                ticket, message, fetched.size, self.max_message_bytes, self.rules, now
            )
            message = replace(message, attachments=())  # not read, so not evidence
        else:
            mine = self.store.orders_of(message.sender) if message.sender else ()
            decision = decide_request(
                message, self.store.get_order, self.rules, now, ticket, earlier, mine
            )
        decision = with_agent_notices(
            decision,
            message,
            self.agents,
            self.rules,
            stranger_notice(referenced, message.sender),
            copy_all=self.copy_decisions,
        )
        threads = self._threads(ticket, (*message.references, message.message_id))
        ticket = self._record(fetched.key, message, ticket, decision, now, threads)
        return Handled(
            fetched.key, message.message_id, ticket.reference, decision.outcome, decision.reasons
        )

    def _bounce(self, key: str, message: InboundMessage, now: datetime) -> Handled | None:
        """A bounce of a mail of ours, if it names one with its recipient (core/bounce.py):
        never answered, kept with the mail's ticket and shown to the agents; a permanent
        failure pauses mail to that recipient. None when it proves nothing."""
        report = read_bounce(message)
        mail = bounced_mail(report, self.store.sent_mail(report.message_ids))
        ticket = self.store.find_ticket(str(mail.ticket_id)) if mail and mail.ticket_id else None
        if mail is None or ticket is None:
            return None
        decision = bounce_notice(ticket, message, report, mail.to_addr, self.agents, self.rules)
        if report.permanent:
            self.store.suppress(mail.to_addr, now + SUPPRESS_FOR, decision.reasons[0], now)
        bare = replace(message, attachments=())
        self._record(key, bare, ticket, decision, now, self._threads(ticket, ()))
        return Handled(key, message.message_id, ticket.reference, "bounce", decision.reasons)

    def _record(
        self,
        key: str,
        message: InboundMessage,
        ticket: Ticket | None,
        decision: Decision,
        now: datetime,
        threads: Threads,
        actor: str = "bot",
        applied: str | None = None,
    ) -> Ticket:
        """Store.record with the replies composed under `threads`."""
        compose_reply = self._composer(threads, now)
        return self.store.record(
            key, message, ticket, decision, compose_reply, self.rules.version, now, actor, applied
        )

    def _fetch_pending(self, summary: RunSummary) -> Iterator[FetchedMessage]:
        keys = self.inbox.pending()
        recorded = self.store.recorded_keys(keys)
        if recorded:
            # Recorded before a crash or a failed move: only the move is left to do.
            self.inbox.mark_processed_many([key for key in keys if key in recorded])
            summary.already_done += len(recorded)
        todo = [key for key in keys if key not in recorded]
        summary.pending = len(todo)
        if not todo:
            return
        claimed: list[str] = []
        given: set[str] = set()

        def claim(keys: list[str]) -> list[str]:
            batch = self.store.claim_inbound(keys, self.worker, self.clock(), worker_gone)
            claimed.extend(batch)
            return batch

        def later_batches() -> Iterator[str]:
            # Claimed a batch at a time just before the inbox reads it, so processes
            # sharing the inbox interleave; drawn from by the inbox's read-ahead thread,
            # so the next batch is claimed and read while this one is decided.
            for start in range(FETCH_BATCH, len(todo), FETCH_BATCH):
                try:
                    yield from claim(todo[start : start + FETCH_BATCH])
                except Exception as exc:
                    raise _ClaimFailed() from exc

        # The first batch is claimed here: a pass of one batch (the service woken by IDLE)
        # never uses the database from the read-ahead thread.
        first = claim(todo[:FETCH_BATCH])
        # Keys read one by one after a failure are not read again when the stream resumes.
        stream = (key for key in chain(first, later_batches()) if key not in given)
        while True:
            try:
                for fetched in self.inbox.fetch(stream):
                    given.add(fetched.key)
                    yield fetched
                return
            except InboxError:
                raise  # the server is gone: the whole pass stops and is retried
            except _ClaimFailed as failed:
                # The database, not a message: the pass stops as it did before reading.
                raise (failed.__cause__ or failed) from None
            except Exception:
                # One message broke the read: read the claimed rest one by one, so it alone
                # fails, then go on with the keys not claimed yet.
                log.exception("reading a batch failed; reading its messages one by one")
                rest = [key for key in claimed if key not in given]
                given.update(rest)
                yield from self._fetch_each(rest, summary)

    def _fetch_each(self, keys: list[str], summary: RunSummary) -> Iterator[FetchedMessage]:
        for key in keys:
            try:
                found = list(self.inbox.fetch([key]))
            except InboxError:
                raise
            except Exception as exc:
                summary.failed += 1
                log.exception("key=%s could not be read", key)
                self._failed(key, None, exc, summary)
                continue
            yield from found

    def process_inbox(
        self, on_handled: Callable[[Handled, RunSummary], None] | None = None
    ) -> RunSummary:
        """Handle every pending message. One that fails stays in the inbox and is tried
        again; after QUARANTINE_AFTER failures it is quarantined and the agents told, so
        the rest of the inbox keeps flowing."""
        summary = RunSummary()
        # Recorded messages are moved a batch at a time (one UID MOVE). Recorded but not
        # yet moved is a state a crash may leave anyway: the next pass only moves them.
        recorded: list[str] = []
        for fetched in self._fetch_pending(summary):
            try:
                with time_limit(self.message_time_limit, f"handling {fetched.key}"):
                    handled = self.handle(fetched)
            except AlreadyRecorded:
                # Another process recorded it meanwhile: only the move is left.
                recorded.append(fetched.key)
                summary.already_done += 1
                continue
            except (Exception, MessageTimeout) as exc:
                if isinstance(exc, MessageTimeout):
                    self.store.drop_connection()  # it may have stopped inside a transaction
                summary.failed += 1
                log.exception("key=%s could not be handled; it stays in the inbox", fetched.key)
                self._failed(fetched.key, fetched.parsed, exc, summary)
                continue
            recorded.append(fetched.key)
            summary.handled.append(handled)
            if on_handled:
                on_handled(handled, summary)
            if len(recorded) >= FETCH_BATCH:
                self.inbox.mark_processed_many(recorded)
                recorded = []
        if recorded:
            self.inbox.mark_processed_many(recorded)
        return summary

    def _failed(
        self, key: str, parsed: ParsedMessage | None, exc: BaseException, summary: RunSummary
    ) -> None:
        """Count a failure; at QUARANTINE_AFTER, quarantine the message and tell the agents."""
        now = self.clock()
        error = f"{type(exc).__name__}: {exc}"
        try:
            self.store.release_claim(key, self.worker)
            attempts = self.store.note_failure(key, error, now)
            if attempts < QUARANTINE_AFTER:
                return
            reason = f"failed {attempts} times, last: {error}"
            message_id = parsed.message_id if parsed else ""
            context: dict[str, object] = {
                "key": key,
                "reason": reason,
                "message_id": message_id,
                "sender": parsed.sender if parsed else None,
                "subject": parsed.subject if parsed else "",
                "folder": "quarantine",
            }
            mails = self._agent_mails("agent/quarantined", context, None, now)
            self.store.record_quarantine(key, message_id, reason, now, mails)
            self.inbox.quarantine(key)
        except Exception:
            # The next pass tries again; the message is still in the inbox.
            log.exception("key=%s could not be quarantined", key)
            return
        summary.quarantined += 1
        log.error("key=%s quarantined: %s", key, reason)

    def send_outbox(self) -> SendReport:
        """Send every due reply (one sender at a time: the SMTP connection is shared).

        A reply that goes dead is a dead letter: the agents are told, so a customer is
        not left waiting for a mail that never left.
        """
        with self._send_lock:
            now = self.clock()

            def send() -> SendReport:
                return send_due(self.store, self.sender, self.own_address, now,
                                owner=self.worker, abandoned=worker_gone)  # fmt: skip

            report = send()
            if self._dead_letter_notices(report, now):
                report += send()  # the notices just queued
            return report

    def _dead_letter_notices(self, report: SendReport, now: datetime) -> int:
        """Queue a notice to the agents for each dead letter; return how many were queued."""
        queued = 0
        for item, error in report.dead_letters:
            if item.to_addr in self.agents:
                continue  # a notice about a failed notice could go on forever
            ticket = self.store.find_ticket(str(item.ticket_id)) if item.ticket_id else None
            context: dict[str, object] = {
                "to": item.to_addr,
                "error": error,
                "attempts": item.attempts,
                "message_id": item.message_id,
            }
            reason = f"mail to {item.to_addr} could not be delivered: {error}"
            mails = self._agent_mails("agent/dead_letter", context, ticket, now)
            self.store.queue_notices(item.ticket_id, "dead_letter", reason, mails, now)
            log.error("dead letter: %s", reason)
            queued += len(mails)
        return queued

    def run_reminders(self) -> ReminderReport:
        """Fire every reminder and expiry that is due now (the clock is read afresh).

        Each fires in its own transaction; a reminder another process fired meanwhile
        is skipped, one whose ticket moved on (or that a later one supersedes) is set
        aside as stale.
        """
        now = self.clock()
        report = ReminderReport()
        while batch := self.store.due_reminders(now, owner=self.worker, abandoned=worker_gone):
            # After a pause several reminders of one ticket may be due at once (both
            # shipping reminders and the waiver): only the latest still makes sense.
            latest = {due.ticket.id: due for due in batch}
            for due in batch:
                if latest[due.ticket.id] is due:
                    self._fire(due, now, report)
                else:
                    self.store.set_reminder_aside(
                        due.id, "stale", "superseded by a later reminder of the ticket", now
                    )
                    report.stale += 1
        return report

    def _fire(self, due: DueReminder, now: datetime, report: ReminderReport) -> None:
        ticket, reminder = due.ticket, due.reminder
        decision = decide_due(ticket, reminder, self.rules, now, self.agents)
        if decision is None:
            why = f"ticket is {ticket.state.value}, the reminder was for {reminder.state.value}"
            self.store.set_reminder_aside(due.id, "stale", why, now)
            report.stale += 1
            return
        if not decision.replies:
            log.warning(
                "ticket=%s %s: no agent addresses configured", ticket.reference, reminder.kind
            )
        compose = self._composer(self._threads(ticket), now, "auto-generated")
        try:
            self.store.fire_reminder(due.id, ticket, decision, compose, self.rules.version, now)
        except AlreadyRecorded:
            return
        except Exception as exc:
            status = self.store.reminder_failed(due.id, due.attempts, repr(exc), now)
            log.exception(
                "ticket=%s reminder %s failed (%s)", ticket.reference, reminder.kind, status
            )
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
