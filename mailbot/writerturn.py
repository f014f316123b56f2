"""Writers of one SQLite file take turns on a kernel lock, handed over without a sleep.

SQLite lets one writer in at a time. A writer that finds the lock taken is put to sleep
by SQLite's busy handler for 1, 2, 5, 10, 15 … ms between tries, so when several
threads or ``--workers`` processes write to one file, the lock often sits free while
they sleep: with two workers, a fifth of their time went to those naps. Before its
``BEGIN IMMEDIATE`` each writer therefore takes an exclusive ``flock`` on a file next to
the database (``<database>-writers``); the kernel wakes the next waiter the moment it
is released. SQLite's own locking still guards the data: the turn only orders writers
that use it, and a writer without it (another program) is waited for as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriterTurn:
    """The exclusive turn to write to one SQLite file, shared by threads and processes.

    Each thread holds its own open file (flock excludes between open files, also within
    one process), closed with the thread's locals; nested turns of one thread count
    depth and lock once.
    """

    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}-writers"
        self._local = threading.local()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the turn for the body (blocking until it is ours)."""
        local = self._local
        depth = getattr(local, "depth", 0)
        if depth == 0:
            if getattr(local, "file", None) is None:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                local.file = os.fdopen(fd, "rb", buffering=0)
            fcntl.flock(local.file, fcntl.LOCK_EX)
        local.depth = depth + 1
        try:
            yield
        finally:
            local.depth = depth
            if depth == 0:
                fcntl.flock(local.file, fcntl.LOCK_UN)
