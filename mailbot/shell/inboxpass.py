"""The inbox pass: every pending message claimed, read and handled; a message that fails
stays in the inbox and is tried again, and after QUARANTINE_AFTER failures it is
quarantined and the agents told, so the rest of the inbox keeps flowing.

A message counts as done only once its decision, replies and inbound key are committed
together; the inbox copy is moved after that, so a crash at any point leaves it either
unrecorded (handled again) or recorded (only moved again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING

from mailbot.core.correlate import Threads
from mailbot.core.notify import quarantine_notices
from mailbot.errors import InboxError
from mailbot.inbound.source import FetchedMessage
from mailbot.mail.parse import ParsedMessage
from mailbot.outbound.delivery import SendReport
from mailbot.shell.handle import handle
from mailbot.shell.handled import Handled
from mailbot.shell.watchdog import MessageTimeout, time_limit
from mailbot.shell.workers import worker_gone
from mailbot.store import AlreadyRecorded

if TYPE_CHECKING:
    from mailbot.shell.reminders import ReminderReport
    from mailbot.shell.service import Service

log = logging.getLogger("mailbot")

# Inbound keys claimed at once, and handled messages moved at once (one UID MOVE).
CLAIM_BATCH = 50
# A message that fails this many times is quarantined (a poison message).
QUARANTINE_AFTER = 3


class _ClaimFailed(Exception):
    """Claiming the next batch of inbound keys failed (raised by its cause instead)."""


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


def process_inbox(
    svc: Service, on_handled: Callable[[Handled, RunSummary], None] | None = None
) -> RunSummary:
    """Handle every pending message. One that fails stays in the inbox and is tried
    again; after QUARANTINE_AFTER failures it is quarantined and the agents told, so
    the rest of the inbox keeps flowing."""
    summary = RunSummary()
    # Recorded messages are moved a batch at a time (one UID MOVE). Recorded but not
    # yet moved is a state a crash may leave anyway: the next pass only moves them.
    recorded: list[str] = []
    for fetched in _fetch_pending(svc, summary):
        try:
            with time_limit(svc.message_time_limit, f"handling {fetched.key}"):
                handled = handle(svc, svc.store, fetched).handled
        except AlreadyRecorded:
            # Another process recorded it meanwhile: only the move is left.
            recorded.append(fetched.key)
            summary.already_done += 1
            continue
        except (Exception, MessageTimeout) as exc:
            if isinstance(exc, MessageTimeout):
                svc.store.drop_connection()  # it may have stopped inside a transaction
            summary.failed += 1
            log.exception("key=%s could not be handled; it stays in the inbox", fetched.key)
            _failed(svc, fetched.key, fetched.parsed, exc, summary)
            continue
        recorded.append(fetched.key)
        summary.handled.append(handled)
        if on_handled:
            on_handled(handled, summary)
        if len(recorded) >= CLAIM_BATCH:
            svc.inbox.mark_processed_many(recorded)
            recorded = []
    if recorded:
        svc.inbox.mark_processed_many(recorded)
    return summary


def _fetch_pending(svc: Service, summary: RunSummary) -> Iterator[FetchedMessage]:
    keys = svc.inbox.pending()
    recorded = svc.store.inbound.recorded(keys)
    if recorded:
        # Recorded before a crash or a failed move: only the move is left to do.
        svc.inbox.mark_processed_many([key for key in keys if key in recorded])
        summary.already_done += len(recorded)
    todo = [key for key in keys if key not in recorded]
    summary.pending = len(todo)
    if not todo:
        return
    claimed: list[str] = []
    given: set[str] = set()

    def claim(keys: list[str]) -> list[str]:
        batch = svc.store.inbound.claim(keys, svc.worker, svc.clock(), worker_gone)
        claimed.extend(batch)
        return batch

    def later_batches() -> Iterator[str]:
        # Claimed a batch at a time just before the inbox reads it, so processes
        # sharing the inbox interleave; drawn from by the inbox's read-ahead thread,
        # so the next batch is claimed and read while this one is decided.
        for start in range(CLAIM_BATCH, len(todo), CLAIM_BATCH):
            try:
                yield from claim(todo[start : start + CLAIM_BATCH])
            except Exception as exc:
                raise _ClaimFailed() from exc

    # The first batch is claimed here: a pass of one batch (the service woken by IDLE)
    # never uses the database from the read-ahead thread.
    first = claim(todo[:CLAIM_BATCH])
    # Keys read one by one after a failure are not read again when the stream resumes.
    stream = (key for key in chain(first, later_batches()) if key not in given)
    while True:
        try:
            for fetched in svc.inbox.fetch(stream):
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
            yield from _fetch_each(svc, rest, summary)


def _fetch_each(svc: Service, keys: list[str], summary: RunSummary) -> Iterator[FetchedMessage]:
    for key in keys:
        try:
            found = list(svc.inbox.fetch([key]))
        except InboxError:
            raise
        except Exception as exc:
            summary.failed += 1
            log.exception("key=%s could not be read", key)
            _failed(svc, key, None, exc, summary)
            continue
        yield from found


def _failed(
    svc: Service, key: str, parsed: ParsedMessage | None, exc: BaseException, summary: RunSummary
) -> None:
    """Count a failure; at QUARANTINE_AFTER, quarantine the message and tell the agents."""
    now = svc.clock()
    error = f"{type(exc).__name__}: {exc}"
    try:
        svc.store.inbound.release(key, svc.worker)
        attempts = svc.store.inbound.note_failure(key, error, now)
        if attempts < QUARANTINE_AFTER:
            return
        reason = f"failed {attempts} times, last: {error}"
        message_id = parsed.message_id if parsed else ""
        sender, subject = (parsed.sender, parsed.subject) if parsed else (None, "")
        notices = quarantine_notices(key, reason, message_id, sender, subject, svc.agents)
        letters = svc.mailer.write(notices, None, Threads(), now, "auto-generated")
        mails = [letter.mail for letter in letters]
        svc.store.record_quarantine(key, message_id, reason, now, mails)
        svc.inbox.quarantine(key)
    except Exception:
        # The next pass tries again; the message is still in the inbox.
        log.exception("key=%s could not be quarantined", key)
        return
    summary.quarantined += 1
    log.error("key=%s quarantined: %s", key, reason)
