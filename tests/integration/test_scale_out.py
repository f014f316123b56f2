"""Two `mailbot run --once` processes on one inbox and one PostgreSQL database: each
message is answered once, and the processes share the work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, _write_config

CUSTOMERS = [
    ("anna.becker@example.com", "100201"),
    ("j.mueller@example.de", "100202"),
    ("li.wei@example.net", "100203"),
    ("claire.dubois@example.fr", "100207"),
]


def _sixty_requests(config: Path, account: ImapAccount, prefix: str) -> None:
    """Sixty requests, <prefix-N@example.com>, fifteen from each customer (above the
    default hourly reply limit per address, so the config raises it)."""
    config.write_text(config.read_text() + "\n[service]\nreplies_per_sender_hour = 100\n")
    for n in range(60):
        sender, order = CUSTOMERS[n % len(CUSTOMERS)]
        account.append(
            make_request(
                sender=sender,
                subject=f"Order {order}: it arrived broken ({n})",
                body="It does not work at all.",
                message_id=f"<{prefix}-{n}@example.com>",
            )
        )


def test_two_processes_share_one_inbox_and_answer_each_mail_once(
    tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer, pg_url: str
) -> None:
    config = _write_config(tmp_path, imap_account, smtp_server, pg_url, only="")
    _sixty_requests(config, imap_account, "scale")
    env = {**os.environ, "TEST_IMAP_PASSWORD": imap_account.password}
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run", "--once"]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    logs = [p.communicate(timeout=180)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], logs
    answered = Counter(
        str(r.parsed()["In-Reply-To"])
        for r in smtp_server.handler.received
        if r.parsed()["To"] != AGENT
    )
    assert sorted(answered) == sorted(f"<scale-{n}@example.com>" for n in range(60))
    assert set(answered.values()) == {1}, [k for k, v in answered.items() if v > 1]
    handled = [int(re.search(r"run done: (\d+) handled", log).group(1)) for log in logs]  # type: ignore[union-attr]
    assert sum(handled) == 60 and min(handled) > 0, handled  # the work was shared
    assert imap_account.list_folder("INBOX") == []


def test_run_with_two_workers_shares_the_inbox_on_sqlite(
    tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    """`run --once --workers 2`: a second process runs alongside, each mail is answered
    once, and the command ends when both are done."""
    config = _write_config(
        tmp_path, imap_account, smtp_server, f"sqlite:///{tmp_path / 'db'}", only=""
    )
    _sixty_requests(config, imap_account, "workers")
    env = {**os.environ, "TEST_IMAP_PASSWORD": imap_account.password}
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run", "--once",
               "--workers", "2"]  # fmt: skip
    proc = subprocess.run(command, env=env, capture_output=True, timeout=180)
    log = proc.stderr.decode()
    assert proc.returncode == 0, log
    answered = Counter(
        str(r.parsed()["In-Reply-To"])
        for r in smtp_server.handler.received
        if r.parsed()["To"] != AGENT
    )
    assert sorted(answered) == sorted(f"<workers-{n}@example.com>" for n in range(60))
    assert set(answered.values()) == {1}
    # Both processes ran their pass; how the sixty split depends on which one started
    # first (the parent may be done before the child has imported mailbot).
    handled = [int(n) for n in re.findall(r"run done: (\d+) handled", log)]
    assert len(handled) == 2 and sum(handled) == 60, handled
    assert imap_account.list_folder("INBOX") == []
