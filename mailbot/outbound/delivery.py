"""Sends due outbox rows and records the result, retrying with capped backoff.

Idempotency, stated plainly: a row is marked sent right after the SMTP server
accepted its email. If the process dies between the server's acceptance and the
mark, the row is claimed again once its lease expires and sent AGAIN, with the SAME
Message-ID (the Message-ID is fixed when the row is written, inside the message's
transaction). Delivery to the server is therefore at-least-once, never at-most-once;
receivers (and our tests) deduplicate by Message-ID. We chose this over at-most-once
because a lost reply strands a customer, while a rare duplicate with an identical
Message-ID is collapsed by most mail clients.

A row is retried after ``base_delay * 2**(attempts-1)`` (capped at ``cap``; both are
``[service] retry_delay`` and ``retry_delay_max``, default 30 s doubling to an hour); it goes
``dead`` after ``max_attempts`` attempts or at once on a permanent (5xx) refusal. A
permanent refusal (or a bounce) also suppresses the address for SUPPRESS_FOR: mail to it
waits until then instead of hitting the same wall again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailbot.errors import SendError
from mailbot.outbound.senders import DeliveryError, Sender
from mailbot.store import OutboxItem, Store

# How long an address that refused our mail for good (5xx, or a bounce) gets nothing.
SUPPRESS_FOR = timedelta(days=3)


@dataclass(frozen=True)
class SendReport:
    """What one ``send_due`` pass did."""

    sent: int = 0
    failed: int = 0  # failed this time, will be retried
    dead: int = 0  # failed for good
    # The rows that went dead in this pass, with the last error (agents are told).
    dead_letters: tuple[tuple[OutboxItem, str], ...] = ()

    def __add__(self, other: SendReport) -> SendReport:
        """Both passes' counts together."""
        return SendReport(
            sent=self.sent + other.sent,
            failed=self.failed + other.failed,
            dead=self.dead + other.dead,
            dead_letters=self.dead_letters + other.dead_letters,
        )


def retry_delay(attempts: int, base_delay: timedelta, cap: timedelta) -> timedelta:
    """Delay before the next try after ``attempts`` failed attempts (1-based)."""
    # Bound the exponent so huge attempt counts cannot overflow timedelta.
    exponent = min(max(attempts - 1, 0), 30)
    return min(cap, base_delay * (1 << exponent))


def send_due(
    store: Store,
    sender: Sender,
    from_addr: str,
    now: datetime,
    *,
    max_attempts: int = 8,
    base_delay: timedelta = timedelta(seconds=30),
    cap: timedelta = timedelta(hours=1),
    limit: int = 50,
    suppress_for: timedelta = SUPPRESS_FOR,
    owner: str = "",
    abandoned: Callable[[str], bool] = lambda owner: False,
) -> SendReport:
    """Claim the due outbox rows `limit` at a time until none is left; send each, record
    sent / retry / dead. A claimed row is not due again within this pass (its lease or
    its retry time lies ahead), so the pass ends."""
    sent = failed = dead = 0
    dead_letters: list[tuple[OutboxItem, str]] = []
    for item in _due(store, now, limit, owner, abandoned):
        held = store.outbox.suppressed_until(item.to_addr, now)
        if held is not None:
            # The address refused our mail for good a little while ago: try after that.
            store.outbox.mark_failed(
                item.id, f"{item.to_addr} is suppressed until {held:%Y-%m-%d %H:%M} UTC", now, held
            )
            failed += 1
            continue
        try:
            sender.send(item.raw, item.to_addr, from_addr)
        except SendError as exc:
            if isinstance(exc, DeliveryError) and exc.permanent:
                store.outbox.suppress(item.to_addr, now + suppress_for, str(exc), now)
            if _gives_up(item, exc, max_attempts):
                store.outbox.mark_failed(item.id, str(exc), now, None)
                dead += 1
                dead_letters.append((item, str(exc)))
            else:
                retry_at = now + retry_delay(item.attempts, base_delay, cap)
                store.outbox.mark_failed(item.id, str(exc), now, retry_at)
                failed += 1
            continue
        store.outbox.mark_sent(item.id, now)
        sent += 1
    return SendReport(sent=sent, failed=failed, dead=dead, dead_letters=tuple(dead_letters))


def _due(
    store: Store, now: datetime, limit: int, owner: str, abandoned: Callable[[str], bool]
) -> Iterator[OutboxItem]:
    while batch := store.outbox.claim_due(now, limit, owner, abandoned):
        yield from batch


def _gives_up(item: OutboxItem, exc: SendError, max_attempts: int) -> bool:
    permanent = isinstance(exc, DeliveryError) and exc.permanent
    return permanent or item.attempts >= max_attempts
