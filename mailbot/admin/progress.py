"""How far long work is, on a terminal only: a line that counts up, with the rate and the
time left. In a log file or a pipe nothing is written (the summary at the end is)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

from mailbot.shell.handled import Handled
from mailbot.shell.inboxpass import RunSummary

T = TypeVar("T")
# Updates at most this often: a terminal redrawn for every row slows the work down.
EVERY_SECONDS = 0.2
# A run --once backlog at least this long shows its progress.
RUN_FROM = 20


class Progress:
    """`label: done/total (percent), rate/s, time left` on one terminal line."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.shown = total > 0 and self.stream.isatty()
        self.started = self._last = time.monotonic()
        self._drawn = False

    def update(self, done: int) -> None:
        if not self.shown:
            return
        now = time.monotonic()
        if now - self._last < EVERY_SECONDS and done < self.total:
            return
        self._last = now
        rate = done / max(now - self.started, 1e-6)
        left = (self.total - done) / rate if rate > 0 else 0.0
        text = (
            f"{self.label}: {done}/{self.total} ({100 * done // self.total}%),"
            f" {rate:,.0f}/s, {left:,.0f} s left"
        )
        # Clear the rest of the line and go back to its start: a log line written next
        # (on the same terminal) overwrites the counter instead of running on after it.
        self.stream.write(f"{text}\x1b[K\r")
        self.stream.flush()
        self._drawn = True

    def each(self, items: Iterable[T]) -> Iterator[T]:
        """The items, counting them as they are taken."""
        for done, item in enumerate(items, start=1):
            yield item
            self.update(done)

    def close(self) -> None:
        """Leave the last count on its line."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class RunProgress:
    """The progress callback of an inbox pass: one Progress per pass with a backlog."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._pass: RunSummary | None = None
        self._progress: Progress | None = None

    def __call__(self, handled: Handled, summary: RunSummary) -> None:
        if summary is not self._pass:
            self._pass = summary
            big = summary.pending >= RUN_FROM
            self._progress = Progress("mail", summary.pending, self.stream) if big else None
        if self._progress is not None:
            done = len(summary.handled) + summary.failed
            self._progress.update(done)
            if done >= summary.pending:
                self._progress.close()
