"""Two `mailbot run --once` processes on one inbox and one PostgreSQL database: each
message is answered once, and the processes share the work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, cast

import peewee

from mailbot.store import Store
from mailbot.store.db import open_database
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


def _waiting_for_a_lock(db: peewee.Database) -> int:
    """How many sessions of this database wait for a lock (each query a fresh view)."""
    row = (
        cast(Any, db)
        .execute_sql(  # peewee's execute_sql is untyped
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        .fetchone()
    )
    return int(row[0])


def test_two_processes_share_one_inbox_and_answer_each_mail_once(
    tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer, pg_url: str
) -> None:
    config = _write_config(tmp_path, imap_account, smtp_server, pg_url, only="")
    _sixty_requests(config, imap_account, "scale")
    env = {**os.environ, "TEST_IMAP_PASSWORD": imap_account.password}
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run", "--once"]
    store = Store(pg_url)
    store.create_tables()  # so that the gate below can lock the claims table
    store.close()
    gate, watch = open_database(pg_url), open_database(pg_url)
    files = [tmp_path / f"run-{n}.log" for n in range(2)]
    # Both runs start behind a lock on the claims table, so the one that imports faster
    # on a busy machine cannot answer all sixty before the other one has started.
    with gate.atomic():
        cast(Any, gate).execute_sql('LOCK TABLE "inbound_claims" IN ACCESS EXCLUSIVE MODE')
        procs = []
        for file in files:
            with file.open("wb") as sink:
                procs.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                              stderr=sink))  # fmt: skip
        deadline = time.monotonic() + 120
        while _waiting_for_a_lock(watch) < 2:
            assert all(p.poll() is None for p in procs), [f.read_text() for f in files]
            assert time.monotonic() < deadline, "the two runs did not reach their first claim"
            time.sleep(0.1)
    for p in procs:
        p.wait(timeout=180)
    watch.close()
    gate.close()
    logs = [file.read_text() for file in files]
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
