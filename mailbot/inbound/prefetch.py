"""Run an iterator in a background thread, a bounded number of items ahead of its consumer.

The IMAP reader spends most of its time waiting for the server; its consumer spends its
time on CPU and database work. ``prefetch`` lets the two overlap without changing what
the consumer sees: the same items in the same order, an exception raised by the source
re-raised at the position where it happened (after every item produced before it), and
no thread left behind once the consumer is done, however it stops.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Generic, TypeVar

_T = TypeVar("_T")

log = logging.getLogger("mailbot")

# How often a waiting consumer checks that the producer thread is still alive.
_LIVENESS_SECONDS = 1.0


class _Buffer(Generic[_T]):
    """Items handed from the producer thread to the consumer, bounded in count and weight.

    The producer reserves room before it produces an item, so at most ``ahead`` items
    are buffered or being produced at any time; ``budget`` (if set) stops it from
    starting another item while the buffered items weigh that much or more.
    """

    def __init__(self, ahead: int, budget: int | None) -> None:
        self.ahead, self.budget = ahead, budget
        self.items: collections.deque[tuple[_T, int]] = collections.deque()
        self.weight = 0
        self.finished = False  # the producer delivered its last item (or its error)
        self.error: BaseException | None = None
        self.stopped = False  # the consumer has gone: produce nothing more
        self.changed = threading.Condition()
        # Seconds the consumer waited for an item, and how many times: the sign that
        # the source, not the consumer, is what limits the pace (logged at the end).
        self.waited, self.waits = 0.0, 0

    def _has_room(self) -> bool:
        if len(self.items) >= self.ahead:
            return False
        return self.budget is None or self.weight < self.budget

    def wait_for_room(self) -> bool:
        """Block until another item may be produced (True) or the consumer stopped (False)."""
        with self.changed:
            self.changed.wait_for(lambda: self.stopped or self._has_room())
            return not self.stopped

    def put(self, item: _T, weight: int) -> None:
        """Hand over one item (room was reserved with ``wait_for_room``)."""
        with self.changed:
            if self.stopped:
                return  # nobody will take it: let it go now
            self.items.append((item, weight))
            self.weight += weight
            self.changed.notify_all()

    def finish(self, error: BaseException | None) -> None:
        """No more items: the source is exhausted, or raised ``error``."""
        with self.changed:
            self.finished, self.error = True, error
            self.changed.notify_all()

    def stop(self) -> None:
        """The consumer is done: wake the producer so it ends."""
        with self.changed:
            self.stopped = True
            self.items.clear()
            self.changed.notify_all()

    def take(self, producer: threading.Thread) -> tuple[_T] | None:
        """The next item (in a 1-tuple), or None once the source is exhausted; raises the
        source's error in its place."""
        with self.changed:
            began = time.monotonic()
            self.waits += not self.items and not self.finished
            while not self.items and not self.finished:
                # finish() comes before the thread ends, so a dead producer here is one
                # that will never deliver: do not wait for it forever.
                if not producer.is_alive():
                    raise RuntimeError(f"{producer.name} ended without finishing")
                self.changed.wait(_LIVENESS_SECONDS)
            self.waited += time.monotonic() - began
            if self.items:
                item, weight = self.items.popleft()
                self.weight -= weight
                self.changed.notify_all()
                return (item,)
            if self.error is not None:
                raise self.error
            return None


def prefetch(
    source: Iterator[_T],
    ahead: int,
    *,
    weigh: Callable[[_T], int] | None = None,
    budget: int | None = None,
    join_timeout: float | None = None,
    name: str = "prefetch",
) -> Generator[_T, None, None]:
    """Yield the items of ``source``, which a daemon thread reads up to ``ahead`` items early.

    Items come in the source's order. An exception the source raises (any kind) is raised
    here after the items produced before it. With ``weigh``, the thread starts no new item
    while the items waiting weigh ``budget`` or more, so a few heavy items cannot pile up.

    The thread starts on the first ``next()``. When the consumer stops early (closes the
    generator, or drops it) the thread finishes its current item, closes ``source`` and is
    joined. ``join_timeout`` bounds that wait, in case whoever closes the generator holds
    something the source is waiting for; the thread then ends by itself a little later.
    """
    if ahead < 1:
        raise ValueError(f"ahead must be at least 1, not {ahead}")
    buffer: _Buffer[_T] = _Buffer(ahead, budget)
    producer = threading.Thread(
        target=_produce, args=(source, buffer, weigh), name=name, daemon=True
    )
    producer.start()
    try:
        while (taken := buffer.take(producer)) is not None:
            yield taken[0]
    finally:
        buffer.stop()
        log.info("%s: waited %.3f s for the source, %d times", name, buffer.waited, buffer.waits)
        # A cyclic garbage collection may finalise this generator on the producer itself.
        if producer is not threading.current_thread():
            producer.join(join_timeout)
            if producer.is_alive():
                log.warning("%s: still busy after %s s; it ends by itself", name, join_timeout)


def _produce(source: Iterator[_T], buffer: _Buffer[_T], weigh: Callable[[_T], int] | None) -> None:
    """The producer thread: move items from ``source`` into ``buffer`` until told to stop."""
    error: BaseException | None = None
    try:
        while buffer.wait_for_room():
            try:
                item = next(source)
            except StopIteration:
                break
            buffer.put(item, weigh(item) if weigh else 0)
    except BaseException as exc:  # relayed to the consumer, which decides what it means
        error = exc
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            try:
                close()  # a generator source runs its cleanup in the thread that ran it
            except BaseException as exc:
                error = error or exc
        buffer.finish(error)
