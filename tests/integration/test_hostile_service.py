"""The whole service over the hostile corpus (real Dovecot, SMTP, SQLite and PostgreSQL):
no crash, every message answered, recorded or quarantined with a reason, and good
mail after it is still answered."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.demo import make_request
from mailbot.store import Store
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_hostile_imap import CORPUS
from tests.integration.test_run_end_to_end import _write_config


def _raw(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def test_hostile_mail_never_stops_the_inbox(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    config = _write_config(tmp_path, imap_account, smtp_server, db_url, only="")
    for path in CORPUS:
        imap_account.append(_raw(path))
    imap_account.append(
        make_request(
            sender="anna.becker@example.com",
            subject="Order 100201 arrived broken",
            body="The board is broken.",
            message_id="<good-after-hostile@example.com>",
        )
    )
    main(["--config", str(config), "run", "--once"])  # failures are retried below
    for _ in range(2):  # a message that keeps failing is quarantined on its third try
        if not imap_account.list_folder("INBOX"):
            break
        main(["--config", str(config), "run", "--once"])
    assert imap_account.list_folder("INBOX") == []
    handled = len(imap_account.list_folder("Processed"))
    quarantined = len(imap_account.list_folder("Quarantine"))
    assert handled + quarantined == len(CORPUS) + 1
    assert quarantined <= 3, "hostile mail should be handled, not merely set aside"
    answers = [r.parsed() for r in smtp_server.handler.received]
    assert any(str(m["In-Reply-To"]) == "<good-after-hostile@example.com>" for m in answers)
    store = Store(db_url)
    try:
        recorded = store.db.execute_sql("SELECT COUNT(*) FROM inbound").fetchone()[0]
    finally:
        store.close()
    assert recorded == len(CORPUS) + 1  # every message left a record (and a reason)
