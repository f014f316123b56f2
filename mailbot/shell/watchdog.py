"""A time limit on handling one message, so that one mail can never stall the inbox.

Past the limit the handling raises MessageTimeout, which the inbox pass treats like
any other error: the transaction rolls back, the failure counts towards quarantine and
the pass goes on with the next message.

How it interrupts, and what it cannot (measured on CPython 3.11):

- It arms SIGALRM (`setitimer`) in the main thread, where `mailbot run` handles mail;
  the handler raises in that thread. This stops Python code at the next bytecode, a
  blocking system call (a socket read, a sleep: PEP 475 retries the call only if the
  handler returns), and `re` matching, whose C loop calls PyErr_CheckSignals (a
  catastrophic `(a+)+$` stopped 0.5 s into a 9 s run).
- C code that neither returns to Python nor checks for signals runs to its end first:
  a 2 s `list.sort()` armed for 0.1 s raised after 2 s; so would a slow libmagic or
  SQLite call. The limit is then late, never missed.
- Off the main thread (Python delivers signals only there) it is not armed: a thread
  can only be interrupted between bytecodes (PyThreadState_SetAsyncExc), which misses
  blocking calls and `re` (such a match, 9 s long, ran to its end), and mailbot never
  handles mail off the main thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class MessageTimeout(BaseException):
    """Handling one message took longer than its time limit.

    Not an Exception, like KeyboardInterrupt: code that catches every Exception to
    carry on (a parser recording a defect, a library's fallback) must not swallow it.
    """


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise MessageTimeout inside the block once it has run `seconds` (see above)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if seconds <= 0 or not usable:
        yield
        return
    armed = True

    def expire(signum: int, frame: FrameType | None) -> None:
        if armed:  # a signal already pending as the block ended is let go
            raise MessageTimeout(f"{what} took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
