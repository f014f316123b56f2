"""Long work shows how far it is on a terminal (a pseudo-terminal here) and nowhere else:
a pipe or a log file gets the summary only."""

from __future__ import annotations

import mailbox
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from mailbot.demo import build_demo
from mailbot.testing import make_request

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], terminal: bool) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `mailbot ARGS`, stderr on a terminal or a pipe."""
    command = [sys.executable, "-m", "mailbot.cli", *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    controller, terminal_end = pty.openpty()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal_end)
    os.close(terminal_end)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read() if proc.stdout else b""
    os.close(controller)
    return proc.wait(timeout=120), out.decode(), seen.decode()


def _big_csv(demo: Path, rows: int) -> Path:
    header, first = (demo / "orders.csv").read_text().splitlines()[:2]
    big = demo / "big.csv"
    order_id = first.split(",")[0]
    lines = [first.replace(order_id, f"9{n:06d}", 1) for n in range(rows)]
    big.write_text("\n".join([header, *lines]) + "\n")
    return big


def test_orders_import_counts_on_a_terminal_only(tmp_path: Path) -> None:
    config = build_demo(tmp_path / "demo", datetime.now(UTC), REPO)
    big = _big_csv(config.parent, 3000)
    args = ["--config", str(config), "orders", "import", str(big)]
    code, out, err = _run(args, terminal=True)
    assert code == 0 and out == f"3000 orders imported from {big}\n"
    assert "orders: 3000/3000 (100%)" in err and err.rstrip("\r\n").endswith("left\x1b[K")
    code, out, err = _run(args, terminal=False)
    assert code == 0 and out == f"3000 orders imported from {big}\n"
    assert "orders:" not in err and "\r" not in err


def test_a_large_run_once_counts_on_a_terminal_and_logs_its_summary(tmp_path: Path) -> None:
    config = build_demo(tmp_path / "demo", datetime.now(UTC), REPO)
    inbox = mailbox.Maildir(config.parent / "inbox", create=False)
    for n in range(14):  # 15 demo requests and 14 more: past the 20 that show progress
        inbox.add(make_request(sender=f"someone{n}@example.net", subject="Question",
                               body="Do you sell cables?", message_id=f"<more-{n}@x>"))  # fmt: skip
    code, _out, err = _run(["--config", str(config), "run", "--once"], terminal=True)
    assert code == 0
    assert "mail: 29/29 (100%)" in err
    assert "run done: 29 handled" in err.split("mail: 29/29 (100%)", 1)[1]
