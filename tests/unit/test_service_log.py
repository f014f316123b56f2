"""`mailbot run` says what it runs in one line, logs JSON for shippers without the
scheduler's chatter, and takes a new config on SIGHUP, keeping the last good one."""

from __future__ import annotations

import json
import mailbox
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

from mailbot import __version__
from mailbot.demo import build_demo
from mailbot.testing import make_request

REPO = Path(__file__).resolve().parents[2]


def _wait_for(what: str, condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # generous: a busy machine starts slowly
    while not condition():
        assert proc.poll() is None, f"mailbot run stopped while waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} in 120 s"
        time.sleep(0.1)


def _log(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_start_line_json_log_and_reload_on_sighup(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    config = build_demo(target, datetime.now(UTC), REPO)
    text = config.read_text() + "\n[service]\npoll_interval = 0.2\n"
    config.write_text(text)
    # Replies are "[!.]*.eml": the outbox's ".tmp-*.eml" are being written (then renamed).
    outbox, inbox = target / "outbox", mailbox.Maildir(target / "inbox", create=False)
    err = tmp_path / "stderr"
    with err.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "run", "--config", str(config),
             "--log-format", "json"],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )  # fmt: skip
    try:
        _wait_for("demo replies", lambda: len(list(outbox.glob("[!.]*.eml"))) == 17, proc)
        start = _log(err)[0]
        assert start["level"] == "INFO" and start["logger"] == "mailbot"
        assert start["message"].startswith(f"mailbot {__version__} starting: config {config};")
        for part in (
            f"inbox maildir {target / 'inbox'};",
            f"database sqlite:///{target / 'mailbot.db'};",
            f"rules {REPO / 'rules'} version 2026-",
            "; workers 1",
        ):
            assert part in start["message"]

        # A new From address applies after SIGHUP, to the next reply.
        config.write_text(text.replace("returns@shop.example", "desk@shop.example"))
        proc.send_signal(signal.SIGHUP)
        _wait_for("the reload", lambda: any(
            e["message"].startswith("reloaded: config") for e in _log(err)), proc)  # fmt: skip
        inbox.add(make_request(sender="anna.becker@example.com", subject="Order 100201",
                               body="It is broken."))  # fmt: skip
        _wait_for("a reply", lambda: len(list(outbox.glob("[!.]*.eml"))) == 18, proc)
        newest = max(outbox.glob("[!.]*.eml"), key=lambda p: p.stat().st_mtime_ns)
        assert "desk@shop.example" in message_from_bytes(newest.read_bytes())["From"]

        # A broken config is refused with its problems; the running one stays.
        config.write_text(text.replace("[smtp]", "[smpt]"))
        proc.send_signal(signal.SIGHUP)
        _wait_for("the refusal", lambda: any(
            e["message"].startswith("reload refused") for e in _log(err)), proc)  # fmt: skip
        refusal = next(e for e in _log(err) if e["message"].startswith("reload refused"))
        assert refusal["level"] == "ERROR"
        assert "smpt: unknown section; did you mean smtp?" in refusal["message"]
        inbox.add(make_request(sender="anna.becker@example.com", subject="Order 100201 again",
                               body="Still broken."))  # fmt: skip
        _wait_for("a reply", lambda: len(list(outbox.glob("[!.]*.eml"))) == 19, proc)
        newest = max(outbox.glob("[!.]*.eml"), key=lambda p: p.stat().st_mtime_ns)
        assert "desk@shop.example" in message_from_bytes(newest.read_bytes())["From"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    log = _log(err)  # every line is JSON; APScheduler's "Running job" lines are not there
    assert not [e for e in log if e["logger"].startswith("apscheduler") and e["level"] == "INFO"]
    assert proc.returncode == 0
