"""The whole service over the hostile corpus (real Dovecot, SMTP, SQLite and PostgreSQL):
no crash, every message answered, recorded or quarantined with a reason, and good
mail after it is still answered."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_hostile_imap import CORPUS
from tests.integration.test_run_end_to_end import REPO, _text, _write_config


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
        recorded = store.db.scalar('SELECT COUNT(*) FROM "inbound"')
    finally:
        store.close()
    assert recorded == len(CORPUS) + 1  # every message left a record (and a reason)


def test_a_message_above_the_size_limit_gets_a_polite_request_to_split_it(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    config = _write_config(
        tmp_path, imap_account, smtp_server, f"sqlite:///{tmp_path / 'db'}", only=""
    )
    config.write_text(config.read_text() + "\n[service]\nmax_message_mb = 1\n")
    big = tmp_path / "fault-video.mp4"
    big.write_bytes((REPO / "tests" / "data" / "clip.mp4").read_bytes() + bytes(1_500_000))
    imap_account.append(
        make_request(
            sender="anna.becker@example.com",
            subject="Order 100201 broken, video attached",
            body="The board is broken, see the video.",
            attachments=[big],
            message_id="<too-big@example.com>",
        )
    )
    assert main(["--config", str(config), "run", "--once"]) == 0
    [answer] = [r.parsed() for r in smtp_server.handler.received]
    assert str(answer["In-Reply-To"]) == "<too-big@example.com>"
    assert str(answer["Subject"]).startswith("Your email was too large")
    text = _text(answer)
    assert "larger than the 1 MB we can accept" in text and "several emails" in text
