"""What a stranger can learn or make the shop say, over real Dovecot + SMTP + SQLite:
whether an order exists, a phishing line in the greeting, and a reply as large as the
mail it answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_dkim import build, run_once_with
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, _text, _write_config


def _desk(tmp_path: Path, account: ImapAccount, smtp: SmtpServer, mp: pytest.MonkeyPatch) -> Path:
    mp.setenv("TEST_IMAP_PASSWORD", account.password)
    return _write_config(tmp_path, account, smtp, f"sqlite:///{tmp_path / 'db'}", only="")


def _answers(smtp: SmtpServer) -> dict[str, EmailMessage]:
    return {str(r.parsed()["In-Reply-To"]): r.parsed() for r in smtp.handler.received}


def test_a_stranger_cannot_tell_whether_an_order_exists(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _desk(tmp_path, imap_account, smtp_server, monkeypatch)
    # 100208 exists (it is o.hansen's); 100299 does not.
    for number in ("100208", "100299"):
        imap_account.append(
            make_request(
                sender=f"Mallory <mallory-{number}@example.net>",
                subject=f"Order {number} arrived broken",
                body=f"Order {number}: the board is broken, it does not power on.",
                message_id=f"<probe-{number}@example.net>",
            )
        )
    assert main(["--config", str(config), "run", "--once"]) == 0
    answers = _answers(smtp_server)
    real, unknown = answers["<probe-100208@example.net>"], answers["<probe-100299@example.net>"]

    def seen(mail: EmailMessage, number: str) -> tuple[str, str]:
        """What the stranger reads, but the number he wrote and his ticket's number."""
        subject = str(mail["Subject"]).split(" [")[0].replace(number, "N")
        return subject, re.sub(r"T-\d{6}", "T-N", _text(mail).replace(number, "N"))

    assert seen(real, "100208") == seen(unknown, "100299")
    assert "STM32" not in _text(real) and "o.hansen" not in _text(real)
    # The agents hear which one is someone else's order; the stranger does not.
    [notice] = [r.parsed() for r in smtp_server.handler.received if r.parsed()["To"] == AGENT]
    assert "not the customer of order 100208" in _text(notice)

    # Four days on, the follow-ups say the same too.
    later = datetime.now(UTC) + timedelta(days=4)
    service = build(config)
    service.clock = lambda: later
    before = len(smtp_server.handler.received)
    run_once_with(service)
    follow_ups = {str(r.parsed()["To"]): r.parsed() for r in smtp_server.handler.received[before:]}
    assert seen(follow_ups["mallory-100208@example.net"], "100208") == seen(
        follow_ups["mallory-100299@example.net"], "100299"
    )


def test_a_display_name_that_is_not_a_name_is_not_echoed(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _desk(tmp_path, imap_account, smtp_server, monkeypatch)
    phishing = '"Your account is locked, verify at http://evil.example/login" <x@example.com>'
    imap_account.append(
        make_request(
            sender=phishing,
            subject="Return",
            body="I want to return it.",
            message_id="<phish@example.com>",
        )
    )
    imap_account.append(
        make_request(
            sender="Anna Becker <anna.becker@example.com>",
            subject="Return",
            body="I want to return it.",
            message_id="<anna@example.com>",
        )
    )
    assert main(["--config", str(config), "run", "--once"]) == 0
    answers = _answers(smtp_server)
    text = _text(answers["<phish@example.com>"])
    assert text.startswith("Hello,") and "evil" not in text and "verify" not in text
    html = answers["<phish@example.com>"].get_body(("html",))
    assert html is not None and "evil" not in str(html.get_content())
    assert _text(answers["<anna@example.com>"]).startswith("Dear Anna Becker,")


def test_a_mail_full_of_links_gets_a_reply_of_bounded_size(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _desk(tmp_path, imap_account, smtp_server, monkeypatch)
    links = "\n".join(f"https://drive.google.com/file/d/{n:040d}/view" for n in range(16_000))
    assert len(links) > 1_000_000
    imap_account.append(
        make_request(
            sender="anna.becker@example.com",
            subject="Order 100201 arrived broken",
            body=f"The board is broken. The videos are here:\n{links}\n",
            message_id="<links@example.com>",
        )
    )
    assert main(["--config", str(config), "run", "--once"]) == 0
    reply = _answers(smtp_server)["<links@example.com>"]
    [notice] = [r for r in smtp_server.handler.received if r.parsed()["To"] == AGENT]
    for raw, mail, heading in (
        (reply.as_bytes(), reply, "You sent us links to files stored online:"),
        (notice.raw, notice.parsed(), "Links to check (not counted automatically):"),
    ):
        assert len(raw) < 20_000
        # The list under its heading (the notice also quotes the customer's first lines).
        listed = _text(mail).replace("\r\n", "\n").split(heading + "\n")[1].split("\n\n")[0]
        assert listed.count("https://drive.google.com/") == 10
        assert re.search(r"… and \d+ more", listed)
    assert "will check your linked files" in str(reply["Subject"])
