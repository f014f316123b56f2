"""Who owns a claim on an inbound message, whether that process still runs, and the
extra worker processes of one run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from mailbot.shell.workers import RESTART_SECONDS, Crew, worker_gone, worker_name


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


def test_a_crew_of_once_runs_reports_the_worst_exit_code() -> None:
    crew = Crew([sys.executable, "-c", "import sys; sys.exit(3)"], 2, restart=False)
    crew.start()
    assert crew.wait() == 3
    assert all(child.poll() == 3 for child in crew.children)


def test_a_service_crew_restarts_a_dead_worker_and_stops_all_on_stop() -> None:
    crew = Crew([sys.executable, "-c", "import time; time.sleep(120)"], 2, restart=True)
    crew.start()
    try:
        first = [child.pid for child in crew.children]
        crew.children[0].kill()
        deadline = time.monotonic() + RESTART_SECONDS * 4
        while crew.children[0].pid == first[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert crew.children[0].pid != first[0]  # started again
        assert crew.children[1].pid == first[1]  # the live one left alone
    finally:
        code = crew.stop(grace=10)
    assert all(child.poll() is not None for child in crew.children)
    assert code == -signal.SIGTERM  # they were asked to stop, not killed
