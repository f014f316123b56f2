"""Where inbound mail comes from: the protocol every source follows.

Sources give stable keys (``imap:<uidvalidity>:<uid>``, ``maildir:<name>``), yield
FetchedMessages and move handled mail to a "processed" folder: a local Maildir
(maildir.py) or an IMAP folder (imap/).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from mailbot.mail.parse import ParsedMessage


@dataclass(frozen=True)
class FetchedMessage:
    """One inbound message: its stable key, IMAP UID (if any), size and parsed content."""

    key: str
    uid: int | None
    size: int
    parsed: ParsedMessage


class Inbox(Protocol):
    """A source of inbound mail with stable keys."""

    def pending(self) -> list[str]:
        """Keys of the messages waiting to be handled."""
        ...

    def fetch(self, keys: Iterable[str]) -> Iterator[FetchedMessage]:
        """Read and parse the messages with these keys (missing ones are skipped).

        `keys` may be lazy: each is taken just before its message is read.
        """
        ...

    def fetch_raw(self, key: str, limit: int) -> bytes | None:
        """The whole raw message of `key`, or None if it is gone or above `limit` bytes.

        Only for the few messages that need it (an agent's mail, for its DKIM signature):
        everything else is read part by part.
        """
        ...

    def mark_processed(self, key: str) -> None:
        """Move a handled message out of the way; unknown keys are ignored."""
        ...

    def quarantine(self, key: str) -> None:
        """Move a message that cannot be handled to the quarantine folder, for a person."""
        ...

    def mark_processed_many(self, keys: Sequence[str]) -> None:
        """``mark_processed`` for several messages at once (one command where possible)."""
        ...

    def wait_for_mail(self, timeout: float) -> bool:
        """Block until new mail may have arrived (True) or ``timeout`` seconds pass (False).

        True is a hint, not a promise: callers run ``pending()`` again either way.
        """
        ...

    def close(self) -> None:
        """Release connections or handles."""
        ...


def poll_for_new_keys(pending: Callable[[], list[str]], timeout: float, step: float) -> bool:
    """Call ``pending()`` every ``step`` seconds until it shows a key it did not show first."""
    deadline = time.monotonic() + max(0.0, timeout)
    known = set(pending())
    while (remaining := deadline - time.monotonic()) > 0:
        time.sleep(min(step, remaining))
        if not set(pending()) <= known:
            return True
    return False
