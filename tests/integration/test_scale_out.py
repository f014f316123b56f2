"""Two `mailbot run --once` processes on one inbox and one PostgreSQL database: each
message is answered once, and the processes share the work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mailbot.demo import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, _write_config

CUSTOMERS = [
    ("anna.becker@example.com", "100201"),
    ("j.mueller@example.de", "100202"),
    ("li.wei@example.net", "100203"),
    ("claire.dubois@example.fr", "100207"),
]


def test_two_processes_share_one_inbox_and_answer_each_mail_once(
    tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer, pg_url: str
) -> None:
    config = _write_config(tmp_path, imap_account, smtp_server, pg_url, only="")
    # Fifteen mails from each customer: above the default hourly limit per address.
    config.write_text(config.read_text() + "\n[service]\nreplies_per_sender_hour = 100\n")
    for n in range(60):
        sender, order = CUSTOMERS[n % len(CUSTOMERS)]
        imap_account.append(
            make_request(
                sender=sender,
                subject=f"Order {order}: it arrived broken ({n})",
                body="It does not work at all.",
                message_id=f"<scale-{n}@example.com>",
            )
        )
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
