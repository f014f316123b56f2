"""Who owns a claim on an inbound message, whether that process still runs, and the
extra worker processes of one run."""

from __future__ import annotations

import mailbox
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from mailbot.demo import build_demo
from mailbot.shell.workers import RESTART_SECONDS, Crew, worker_gone, worker_name
from mailbot.testing import make_request

REPO = Path(__file__).resolve().parents[2]
# Demo customers and their orders (two requests each stay under the hourly reply limit).
CUSTOMERS = [
    ("anna.becker@example.com", "100201"),
    ("j.mueller@example.de", "100202"),
    ("li.wei@example.net", "100203"),
    ("claire.dubois@example.fr", "100207"),
]


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


def test_a_sighup_during_a_workers_start_up_waits_for_its_handler(tmp_path: Path) -> None:
    """A worker gets SIGHUP the moment it is started, long before its interpreter has
    read mailbot: it does not die of it, and reloads once its handler is in place."""
    config = build_demo(tmp_path / "demo", datetime.now(UTC), REPO)
    err = tmp_path / "stderr"
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run",
               "--workers", "1", "--no-metrics"]  # fmt: skip
    crew = Crew(command, 1, restart=True)
    saved = os.dup(2)
    with err.open("wb") as sink:  # the worker's log: its stderr, as it inherits ours
        os.dup2(sink.fileno(), 2)
        try:
            crew.start()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    try:
        [child] = crew.children
        child.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 120
        while "reloaded: config" not in err.read_text():
            assert child.poll() is None, f"the worker died ({child.returncode}):\n{err.read_text()}"
            assert time.monotonic() < deadline, f"no reload in 120 s:\n{err.read_text()}"
            time.sleep(0.1)
        assert crew.children == [child]  # the same process, not one started again
    finally:
        code = crew.stop(grace=30)
    assert code == 0


def _parsed(path: Path) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(msg, EmailMessage)
    return msg


def _children(pid: int) -> set[int]:
    """The processes `pid` started (Linux keeps the list per thread)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _catches_sighup(pid: int) -> bool:
    """True once `pid` has its SIGHUP handler (before that, SIGHUP would end it)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & 1 << (signal.SIGHUP - 1))
    return False


def test_sighup_to_the_main_process_reloads_the_rules_in_every_worker(tmp_path: Path) -> None:
    """`run --workers 3` answers with the rules its config names; after the config names
    other rules and the main process gets SIGHUP, all three processes answer with them."""
    target = tmp_path / "demo"
    config = build_demo(target, datetime.now(UTC), REPO)
    old_rules, new_rules = tmp_path / "rules-old", tmp_path / "rules-new"
    shutil.copytree(REPO / "rules", old_rules)
    shutil.copytree(REPO / "rules", new_rules)
    policy = new_rules / "policy.toml"
    policy.write_text(
        policy.read_text()
        .replace('shop_name = "Parts Shop"', 'shop_name = "Parts Shop Berlin"')
        .replace('version = "2026-11-26"', 'version = "2026-11-26-sighup"')
    )
    text = config.read_text() + "\n[service]\npoll_interval = 0.2\n"
    config.write_text(text.replace(str(REPO / "rules"), str(old_rules)))
    # Replies are "[!.]*.eml": the outbox's ".tmp-*.eml" are being written (then renamed).
    outbox, inbox = target / "outbox", mailbox.Maildir(target / "inbox", create=False)
    err = tmp_path / "stderr"

    def lines(start: str) -> list[str]:
        return [line for line in err.read_text().splitlines() if start in line]

    def wait(what: str, condition: Callable[[], bool]) -> None:
        # Generous: three interpreters start on a machine that may be busy.
        deadline = time.monotonic() + 120
        while not condition():
            assert proc.poll() is None, f"mailbot run stopped while waiting for {what}"
            assert time.monotonic() < deadline, f"no {what} in 120 s:\n{err.read_text()}"
            time.sleep(0.1)

    with err.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run",
             "--workers", "3"],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )  # fmt: skip
    try:
        wait("three workers", lambda: len(lines(" starting: ")) == 3)
        workers = [proc.pid, *sorted(_children(proc.pid))]
        wait("SIGHUP handlers", lambda: all(_catches_sighup(pid) for pid in workers))
        wait("demo replies", lambda: len(list(outbox.glob("[!.]*.eml"))) == 17)
        started = lines(" starting: ")
        assert all(f"rules {old_rules} version 2026-11-26+" in line for line in started)

        config.write_text(text.replace(str(REPO / "rules"), str(new_rules)))
        proc.send_signal(signal.SIGHUP)
        wait("three reloads", lambda: len(lines("reloaded: config")) == 3)
        reloaded = lines("rules reloaded: ")
        assert len(reloaded) == 3, reloaded
        assert all("version 2026-11-26-sighup+" in line for line in reloaded), reloaded
        assert [proc.pid, *sorted(_children(proc.pid))] == workers  # none died and came back

        # Whichever worker takes a request now answers with the new rules.
        for n in range(8):
            sender, order = CUSTOMERS[n % len(CUSTOMERS)]
            subject, message_id = f"Order {order}: broken ({n})", f"<hup-{n}@example.com>"
            inbox.add(make_request(sender=sender, subject=subject, body="It is broken.",
                                   message_id=message_id))  # fmt: skip
        wait("eight more replies", lambda: len(list(outbox.glob("[!.]*.eml"))) == 17 + 8)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert proc.returncode == 0
    late = [m for m in map(_parsed, outbox.glob("[!.]*.eml")) if "<hup-" in str(m["In-Reply-To"])]
    assert len(late) == 8
    for reply in late:
        body = reply.get_body(("plain",))
        assert body is not None and "Parts Shop Berlin" in body.get_content(), reply
