"""A message that keeps failing is quarantined after three tries, the agents are told,
and the rest of the inbox keeps flowing (real Dovecot + SMTP + SQLite)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import mailbot.inbound.imap.reading
from mailbot.cli import main
from mailbot.config import load_config
from mailbot.inbound.imap.reading import Reader
from mailbot.shell.bootstrap import build_service
from mailbot.shell.scheduler import run_once
from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, REPO, _text, _write_config


def test_a_poison_message_is_quarantined_and_the_inbox_keeps_flowing(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    db = tmp_path / "db"
    # a) complete claim, j) no evidence (for the sender's only order). An admin broke the
    # template j) needs.
    config = _write_config(tmp_path, imap_account, smtp_server, f"sqlite:///{db}", only="aj")
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    broken = templates / "customer" / "evidence_missing.txt.j2"
    broken.write_text(broken.read_text() + "{{ variable_nobody_defined }}\n")
    config.write_text(config.read_text().replace(str(REPO / "templates"), str(templates)))

    for attempt in (1, 2):
        assert main(["--config", str(config), "run", "--once"]) == 1  # j) failed
        assert len(imap_account.list_folder("INBOX")) == 1, attempt
    [answer] = [r.parsed() for r in smtp_server.handler.received]
    assert answer["To"] == "anna.becker@example.com"  # a) was answered on the first run

    assert main(["--config", str(config), "run", "--once"]) == 1  # third failure: quarantined
    assert imap_account.list_folder("INBOX") == []
    [poison] = imap_account.list_folder("Quarantine")
    assert b"r.silva@example.pt" in poison
    [alert] = [r.parsed() for r in smtp_server.handler.received if r.parsed()["To"] == AGENT]
    assert str(alert["Subject"]).startswith("Quarantined")
    text = _text(alert)
    assert "r.silva@example.pt" in text and "failed 3 times" in text
    assert "variable_nobody_defined" in text and "evidence_missing.txt.j2" in text

    # Nothing more happens to it, and the customer got no half-made answer.
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert len(smtp_server.handler.received) == 2


def test_a_reply_that_cannot_be_delivered_is_a_dead_letter_the_agents_hear_of(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    config = _write_config(
        tmp_path, imap_account, smtp_server, f"sqlite:///{tmp_path / 'db'}", only="ab"
    )
    handler = smtp_server.handler
    accept = handler.handle_RCPT

    async def refuse_one(
        server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == "j.mueller@example.de":  # this mailbox does not exist
            return "550 5.1.1 <j.mueller@example.de>: Recipient address rejected"
        return await accept(server, session, envelope, address, options)

    monkeypatch.setattr(handler, "handle_RCPT", refuse_one)
    assert main(["--config", str(config), "run", "--once"]) == 0
    mails = [r.parsed() for r in handler.received]
    assert sorted(m["To"] for m in mails) == [AGENT, "anna.becker@example.com"]
    [alert] = [m for m in mails if m["To"] == AGENT]
    assert str(alert["Subject"]).startswith("Not delivered: mail to j.mueller@example.de")
    assert "550 5.1.1" in _text(alert) and "key:" in str(alert["Subject"])
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert len(handler.received) == 2  # dead stays dead: no retry, no second alert

    # The address refused for good: for a while nothing more is sent to it, and the
    # mailbox is not hit again (the next mail waits, it is not lost).
    monkeypatch.setattr(handler, "handle_RCPT", accept)
    imap_account.append(
        make_request(
            sender="j.mueller@example.de",
            subject="Third video, order 100202",
            body="Here it is.",
            message_id="<b-again@x>",
        )
    )
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert len(handler.received) == 2
    store = Store(f"sqlite:///{tmp_path / 'db'}")
    [waiting] = [
        o for o in store.outbox.statuses(status="pending") if o.to_addr == "j.mueller@example.de"
    ]
    store.close()
    assert waiting.last_error is not None and "suppressed until" in waiting.last_error


def test_a_message_that_cannot_be_read_fails_alone_and_the_pass_goes_on(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading breaks at one message of the first claimed batch: the rest of that batch
    is read one by one, the later batches as usual; each mail is handled once."""
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    config_path = _write_config(
        tmp_path, imap_account, smtp_server, f"sqlite:///{tmp_path / 'db'}", only=""
    )
    config_path.write_text(config_path.read_text() + "\n[service]\nreplies_per_sender_hour = 100\n")
    for n in range(60):  # three claimed batches
        imap_account.append(
            make_request(
                sender="anna.becker@example.com",
                subject=f"Order 1002{n:02d}: a question ({n})",
                body="Where is my parcel?",
                message_id=f"<read-{n}@example.com>",
            )
        )
    service = build_service(load_config(config_path))
    keys = service.inbox.pending()
    broken = int(keys[10].rsplit(":", 1)[1])
    real_read = mailbot.inbound.imap.reading.message_reader

    def failing(uid: int, info: dict[bytes, Any]) -> Reader:
        if uid == broken:
            raise ValueError("unreadable")
        return real_read(uid, info)

    monkeypatch.setattr(mailbot.inbound.imap.reading, "message_reader", failing)
    try:
        summary = run_once(service)
    finally:
        service.inbox.close()
    assert summary.failed == 1 and summary.already_done == 0
    assert sorted(h.key for h in summary.handled) == sorted(k for k in keys if k != keys[10])
    assert len(imap_account.list_folder("INBOX")) == 1  # tried again next time
