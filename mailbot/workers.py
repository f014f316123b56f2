"""Who a process is, as the owner of its claims, and whether it still runs."""

from __future__ import annotations

import os
import socket
import uuid


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
