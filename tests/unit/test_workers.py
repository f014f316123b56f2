"""Who owns a claim on an inbound message, and whether that process still runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from mailbot.workers import worker_gone, worker_name


def test_a_worker_of_this_host_is_gone_once_its_process_ended() -> None:
    me = worker_name()
    assert me.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert not worker_gone(me)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert worker_gone(f"{socket.gethostname()}:{ended.stdout.strip()}:abcd1234")


def test_a_worker_of_another_host_is_left_to_its_lease() -> None:
    assert not worker_gone("some-other-host:1:abcd1234")
    assert not worker_gone("garbage")
