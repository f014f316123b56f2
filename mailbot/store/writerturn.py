"""Writers of one SQLite file take turns on a kernel lock, handed over without a sleep.

SQLite lets one writer in at a time. A writer that finds the lock taken is put to sleep
by SQLite's busy handler for 1, 2, 5, 10, 15 … ms between tries, so when several
threads or ``--workers`` processes write to one file, the lock often sits free while
they sleep: with two workers, a fifth of their time went to those naps. Before its
``BEGIN IMMEDIATE`` each writer therefore takes an exclusive ``flock`` on a file next to
the database (``<database>-writers``); the kernel wakes the next waiter the moment it
is released. SQLite's own locking still guards the data: the turn only orders writers
that use it, and a writer without it (another program, or a process that may not open
the lock file) is waited for as before.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

log = logging.getLogger("mailbot")


class WriterTurn:
    """The exclusive turn to write to one SQLite file, shared by threads and processes.

    Each thread holds its own open file (flock excludes between open files, also within
    one process), closed with the thread's locals; nested turns of one thread count
    depth and lock once.
    """

    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}-writers"
        self._local = threading.local()
        self._warned = False

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the turn for the body (blocking until it is ours). Without a usable lock
        file the body runs anyway: SQLite's busy handler then orders the writers."""
        local = self._local
        depth = getattr(local, "depth", 0)
        file = self._file() if depth == 0 else None
        if file is not None:
            fcntl.flock(file, fcntl.LOCK_EX)
        local.depth = depth + 1
        try:
            yield
        finally:
            local.depth = depth
            if file is not None:
                fcntl.flock(file, fcntl.LOCK_UN)

    def _file(self) -> BinaryIO | None:
        local = self._local
        if getattr(local, "file", None) is None:
            try:
                # Read-only is enough for flock, so a process of another user (an admin
                # running `mailbot tickets`) can use a lock file the service created.
                fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:
                if not self._warned:
                    self._warned = True
                    log.warning("%s: cannot open (%s); SQLite's busy handler orders the"
                                " writers instead", self.path, error.strerror)  # fmt: skip
                return None
            local.file = os.fdopen(fd, "rb", buffering=0)
        file: BinaryIO = local.file
        return file
