"""Mail that must get no answer, and the per-address limit that stops any loop left
(real Dovecot + SMTP + SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.conftest import Desk
from tests.integration.dovecot import DovecotServer, ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, _first_run, _text, _write_config


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
    subject, parent = f"Re: {ours['Subject']}", str(ours["Message-ID"])
    # Out-of-office, a bounce, a list post, our own reply coming back: never answered.
    imap_account.append(
        _with_headers(
            make_request(
                sender="anna.becker@example.com",
                body="I am away.",
                subject=subject,
                in_reply_to=parent,
            ),
            Auto_Submitted="auto-replied",
        )
    )
    imap_account.append(
        _with_headers(
            make_request(
                sender="MAILER-DAEMON@mx.example.org",
                body="550 unknown user",
                subject=subject,
                in_reply_to=parent,
            ),
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
            # Our own kind of header, from outside: it proves nothing and is ignored.
            X_Mailbot_Loop="mailbot",
        )
    )
    before = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0
    answered = [r.parsed()["To"] for r in smtp_server.handler.received[before:]]
    # Only the person. The bounce names no recipient, so it proves nothing about our
    # reply to Anna (anyone can write such a mail): recorded, nobody told or paused.
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


DSN = """\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.de>
To: returns@shop.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.example.de>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"

--DSN
Content-Type: text/plain

This is the mail system at host mx.example.de. I'm sorry to have to inform you
that your message could not be delivered to one or more recipients.

--DSN
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.de

Final-Recipient: rfc822; j.mueller@example.de
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--DSN
Content-Type: text/rfc822-headers

From: Shop Returns <returns@shop.example>
To: j.mueller@example.de
Subject: {subject}
Message-ID: {message_id}

--DSN--
"""


def test_a_bounce_of_our_reply_joins_its_ticket_and_the_agents_are_told(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config, first = _first_run(tmp_path, imap_account, smtp_server, monkeypatch)
    ours = first["b"]
    dsn = DSN.format(subject=ours["Subject"], message_id=ours["Message-ID"])
    imap_account.append(dsn.replace("\n", "\r\n").encode())
    before = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0
    [notice] = [r.parsed() for r in smtp_server.handler.received[before:]]
    assert notice["To"] == AGENT  # nothing to the mailer daemon
    assert "a mail to j.mueller@example.de" in str(notice["Subject"])
    assert "552 5.2.2 Mailbox full" in _text(notice)
    reference = str(ours["Subject"]).rsplit("[", 1)[1].rstrip("]")
    capsys.readouterr()
    assert main(["--config", str(config), "ticket", reference]) == 0
    assert "bot: decision bounce" in capsys.readouterr().out
    # Status 5.x.x: a permanent failure, so mail to that address pauses for a while.
    store = Store(f"sqlite:///{tmp_path / 'db'}")
    assert store.outbox.suppressed_until("j.mueller@example.de", datetime.now(UTC)) is not None
    assert store.outbox.suppressed_until("anna.becker@example.com", datetime.now(UTC)) is None
    store.close()


def test_a_forged_bounce_silences_nobody(
    desk: Desk, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    config, first = desk
    victim = first["b"]  # to j.mueller@example.de
    reference = str(victim["Subject"]).rsplit("[", 1)[1].rstrip("]")
    # The attacker names the victim's (sequential, guessable) ticket, our subject, the
    # victim's address and a permanent failure; the only Message-ID of ours he has is of
    # the reply he got himself (anna.becker's), which went to another address.
    forged = DSN.format(subject=victim["Subject"], message_id=first["a"]["Message-ID"])
    forged = forged.replace("Subject: Undelivered Mail", f"Subject: [{reference}] Undelivered Mail")
    imap_account.append(forged.replace("\n", "\r\n").encode())
    # Without any Message-ID of ours at all, from some other mailer daemon.
    bare = make_request(
        sender="MAILER-DAEMON@mx.evil.example",
        subject=f"Delivery failure {reference}",
        body=f"Final-Recipient: rfc822; j.mueller@example.de\nStatus: 5.1.1\nticket {reference}",
    )
    imap_account.append(bare)
    before = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert smtp_server.handler.received[before:] == []  # nobody told, nobody answered
    store = Store(f"sqlite:///{config.parent / 'db'}")
    try:
        assert store.outbox.suppressed_until("j.mueller@example.de", datetime.now(UTC)) is None
        assert store.outbox.suppressed_until("anna.becker@example.com", datetime.now(UTC)) is None
        reasons = [
            str(row[0]) for row in store.db.rows('SELECT "outcome" FROM "inbound" ORDER BY "id"')
        ][-2:]
    finally:
        store.close()
    assert all("names no mail we sent to the address it names" in r for r in reasons)
    assert imap_account.list_folder("INBOX") == []  # recorded, not left behind


def _shuttle(smtp: SmtpServer, start: int, routes: dict[str, ImapAccount], strip: bool) -> int:
    """Deliver what the bots sent since `start` to the mailboxes of its recipients (a
    dumb autoresponder with `strip`: it answers with none of the original headers)."""
    for received in smtp.handler.received[start:]:
        msg = received.parsed()
        account = routes.get(str(msg["To"]))
        if account is None:
            continue
        if strip:  # an autoresponder that keeps nothing but the text
            raw = make_request(
                sender=str(msg["To"]),
                subject=f"Re: {msg['Subject']}",
                body="Thank you, we received your message about order 100201.",
            )
        else:
            raw = received.parsed().as_bytes()
        account.append(raw)
    return len(smtp.handler.received)


def test_two_bots_cannot_loop(
    tmp_path: Path,
    imap_account: ImapAccount,
    dovecot_server: DovecotServer,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    other = ImapAccount(dovecot_server, dovecot_server.new_user())
    db_a, db_b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    config_a = _write_config(tmp_path / "a", imap_account, smtp_server, db_a, only="")
    # Bot B: another mailbot instance, whose own address is the customer's, so what A
    # answers reaches B and what B answers reaches A.
    config_b = _write_config(tmp_path / "b", other, smtp_server, db_b, only="")
    config_b.write_text(
        config_b.read_text()
        .replace('password_env = "TEST_IMAP_PASSWORD"', f'password = "{other.password}"')
        .replace("returns@shop.example", "anna.becker@example.com")
        + '\n[service]\ninstance = "other-bot"\n'
    )
    imap_account.append(
        make_request(
            sender="anna.becker@example.com",
            subject="Order 100201 arrived broken",
            body="The board is broken.",
        )
    )
    routes = {"anna.becker@example.com": other, "returns@shop.example": imap_account}
    seen = 0
    for _ in range(6):  # both bots answer whatever reaches them
        assert main(["--config", str(config_a), "run", "--once"]) == 0
        assert main(["--config", str(config_b), "run", "--once"]) == 0
        seen = _shuttle(smtp_server, seen, routes, strip=False)
    assert len(smtp_server.handler.received) == 1  # A answered the request; B never answered A
    assert len(other.list_folder("Processed")) == 1  # B did read A's answer, and kept quiet

    # A dumb autoresponder behind the customer's address, with no auto-reply headers:
    # the hourly limit per address cuts the loop.
    robot = {"anna.becker@example.com": imap_account}
    start = 0
    for _ in range(15):
        before = len(smtp_server.handler.received)
        _shuttle(smtp_server, start, robot, strip=True)
        start = before
        assert main(["--config", str(config_a), "run", "--once"]) == 0
    to_anna = [
        r for r in smtp_server.handler.received if r.parsed()["To"] == "anna.becker@example.com"
    ]
    assert len(to_anna) == 10  # the first answer and nine to the robot, then silence
