"""Mail that must get no answer, and the per-address limit that stops any loop left
(real Dovecot + SMTP + SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.demo import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import _first_run


def _with_headers(raw: bytes, **headers: str) -> bytes:
    extra = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    return extra.encode() + raw


def test_robots_get_no_answer_and_a_loop_is_cut_by_the_hourly_limit(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, first = _first_run(tmp_path, imap_account, smtp_server, monkeypatch)
    ours = first["a"]
    reply = {"subject": f"Re: {ours['Subject']}", "in_reply_to": str(ours["Message-ID"])}
    # Out-of-office, a bounce, a list post, our own reply coming back: never answered.
    imap_account.append(
        _with_headers(
            make_request(sender="anna.becker@example.com", body="I am away.", **reply),
            Auto_Submitted="auto-replied",
        )
    )
    imap_account.append(
        _with_headers(
            make_request(sender="MAILER-DAEMON@mx.example.org", body="550 unknown user", **reply),
            Return_Path="<>",
        )
    )
    imap_account.append(
        _with_headers(
            make_request(
                sender="news@list.example.org", subject="Digest", body="Order 100201 news"
            ),
            List_Id="<digest.list.example.org>",
        )
    )
    imap_account.append(ours.as_bytes())
    # Outlook's X-Auto-Response-Suppress alone marks a person's mail: it is answered.
    imap_account.append(
        _with_headers(
            make_request(sender="i.person@example.com", subject="Return", body="Return my order"),
            X_Auto_Response_Suppress="All",
        )
    )
    before = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0
    answered = [r.parsed()["To"] for r in smtp_server.handler.received[before:]]
    assert answered == ["i.person@example.com"]

    # A robot without any auto-reply header that answers everything: 10 replies an hour.
    for n in range(12):
        imap_account.append(
            make_request(
                sender="robot@example.net",
                subject=f"Re: your message {n}",
                body="Thank you for your message.",
                message_id=f"<robot-{n}@example.net>",
            )
        )
    before = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0
    to_robot = [
        r for r in smtp_server.handler.received[before:] if r.parsed()["To"] == "robot@example.net"
    ]
    assert len(to_robot) == 10
    assert imap_account.list_folder("INBOX") == []  # the rest is recorded, not left behind
