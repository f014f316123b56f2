"""Who a process is, as the owner of its claims, and whether it still runs; the extra
worker processes of one `mailbot run`."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Sequence

log = logging.getLogger("mailbot")
# A worker that keeps dying is restarted no more often than this.
RESTART_SECONDS = 5.0


def worker_name() -> str:
    """This process, unique across machines and restarts: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def worker_gone(worker: str) -> bool:
    """True for a worker of this host whose process no longer runs (killed, crashed): its
    claims need not wait for their lease. Workers of other hosts: False (lease only)."""
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


class Crew:
    """The extra processes of ``mailbot run --workers N``: N-1 children running the same
    command with ``--workers 1``, sharing the inbox and the database through claims.

    In service mode a child that dies is started again (at most once per
    RESTART_SECONDS), so one crash does not halve the desk; ``stop()`` ends them all.
    """

    def __init__(self, command: Sequence[str], count: int, *, restart: bool) -> None:
        self.command = list(command)
        self.count = count
        self.restart = restart
        self.children: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        """Start the children (and, in service mode, the thread that restarts them)."""
        self.children = [self._spawn() for _ in range(self.count)]
        if self.restart:
            self._watcher = threading.Thread(target=self._watch, name="mailbot-crew", daemon=True)
            self._watcher.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        # The child starts with SIGHUP blocked (the mask outlives exec): a reload asked
        # before its handler is in place waits for it instead of ending the child.
        # `mailbot run` unblocks it once the handler is set (cli.cmd_run).
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
        try:
            child = subprocess.Popen(self.command)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        log.info("worker process %d started", child.pid)
        return child

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_SECONDS):
            for slot, child in enumerate(self.children):
                code = child.poll()
                if code is not None and not self._stopping.is_set():
                    log.warning("worker process %d exited with %d; starting another", child.pid,
                                code)  # fmt: skip
                    self.children[slot] = self._spawn()

    def wait(self) -> int:
        """Wait for every child to end (``run --once``); the highest exit code."""
        return max((child.wait() for child in self.children), default=0)

    def stop(self, grace: float = 30.0) -> int:
        """Ask every child to stop (SIGTERM, as systemd would), kill those still running
        after `grace` seconds; the highest exit code."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + grace
        codes = []
        for child in self.children:
            try:
                codes.append(child.wait(max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                log.warning("worker process %d did not stop in %.0f s; killing it", child.pid,
                            grace)  # fmt: skip
                child.kill()
                codes.append(child.wait())
        return max(codes, default=0)
