"""Reminders over real Dovecot + SMTP, days apart.

The service is built as `mailbot run` builds it, with its clock injected at the
composition root (shell/bootstrap.build_service). One test runs the real `mailbot`
process under libfaketime instead, so it reads a shifted system clock exactly as it
would in production: the proof that real time reaches every job.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.config import load_config
from mailbot.shell.bootstrap import build_service
from mailbot.shell.scheduler import run_once
from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, RMA, _text, _wait, _write_config

# Wednesday 2 December 2026, 11:00 UTC (12:00 in the shop's Berlin time zone).
T0 = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _libfaketime() -> str:
    # The multi-threaded build: `mailbot run` has scheduler threads.
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))
    assert found, "libfaketime is not installed (Debian package faketime; see scripts/setup.sh)"
    return str(found[0])


def _mailbot(config: Path, at: datetime, password: str, *args: str) -> subprocess.Popen[bytes]:
    """Start `mailbot` with its system clock starting at `at` (libfaketime preloaded).

    Preloading directly, not through the `faketime` wrapper, keeps the bot the
    process we signal.
    """
    env = {
        **os.environ,
        "LD_PRELOAD": _libfaketime(),
        "FAKETIME": at.astimezone(UTC).strftime("@%Y-%m-%d %H:%M:%S"),
        "TZ": "UTC",
        "TEST_IMAP_PASSWORD": password,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mailbot.cli", "--config", str(config), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _run_once(config: Path, at: datetime) -> None:
    """One `run --once` pass of the service as built from `config`, at `at`."""
    service = build_service(load_config(config), clock=lambda: at)
    try:
        summary = run_once(service)
    finally:
        service.inbox.close()
        service.store.close()
    assert summary.failed == 0


def _reference(subject: str) -> str:
    found = re.search(r"\[(T-\d{6})\]", subject)
    assert found, subject
    return found.group(1)


def _subjects(smtp: SmtpServer, start: int = 0) -> list[str]:
    return [str(r.parsed()["Subject"]) for r in smtp.handler.received[start:]]


def _reply_to(smtp: SmtpServer, message_id: str) -> EmailMessage:
    [found] = [
        r.parsed() for r in smtp.handler.received if message_id in str(r.parsed()["In-Reply-To"])
    ]
    return found


def test_shipping_reminder_once_then_waiver_and_info_follow_up(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a) a complete defect claim (approved), b) two of three videos (evidence missing).
    config = _write_config(tmp_path, imap_account, smtp_server, db_url, now=T0, only="ab")
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    _run_once(config, T0)
    assert len(smtp_server.handler.received) == 2
    # Tickets are numbered in the order the inbox hands the requests over.
    approval, asked = sorted(_subjects(smtp_server), key=lambda x: not RMA.search(x))
    rma = RMA.search(approval)
    assert rma and not RMA.search(asked)
    ref_a, ref_b = (_reference(x) for x in (approval, asked))

    _run_once(config, T0 + DAY)  # nothing is due yet
    assert len(smtp_server.handler.received) == 2

    # Five days later: the ship-by day is Wednesday 9 Dec; its 2-days-before reminder
    # (Monday 7 Dec 09:00 Berlin) is due, and b) has been silent for more than 3 days.
    _run_once(config, T0 + 5 * DAY)
    new = _subjects(smtp_server, 2)
    assert sorted(new) == sorted(
        [
            f"Your return {rma.group(0)}: 2 days left to ship it [{ref_a}]",
            f"Your return request for order 100202: we are still waiting for your answer [{ref_b}]",
        ]
    ), new
    reminder = next(
        r.parsed() for r in smtp_server.handler.received[2:] if "ship" in str(r.parsed()["Subject"])
    )
    assert reminder["Auto-Submitted"] == "auto-generated"
    assert "must be shipped by 9 December 2026, 2 days from today" in _text(reminder)
    follow_up = next(
        r.parsed()
        for r in smtp_server.handler.received[2:]
        if "waiting" in str(r.parsed()["Subject"])
    )
    assert "- 1 video of the fault (2 of 3 received)" in _text(follow_up)

    _run_once(config, T0 + 5 * DAY + timedelta(minutes=5))  # a second run: nothing
    assert len(smtp_server.handler.received) == 4

    # Eight days after approval the deadline has passed: the waiver notice, and only it
    # (the last-day reminder that was due meanwhile is superseded, not sent late).
    _run_once(config, T0 + 8 * DAY)
    waived, escalated = sorted(
        smtp_server.handler.received[4:], key=lambda r: r.parsed()["To"] == AGENT
    )
    assert str(waived.parsed()["Subject"]) == f"Your return {rma.group(0)} has expired [{ref_a}]"
    # The agents hear of the overdue deadline too.
    assert escalated.parsed()["To"] == AGENT and "waived" in str(escalated.parsed()["Subject"])
    _run_once(config, T0 + 8 * DAY + timedelta(minutes=5))
    assert len(smtp_server.handler.received) == 6

    store = Store(db_url)
    assert [t.reference for t in store.tickets.listed(state="waived")] == [ref_a]
    # b) closes after 14 days of silence, telling the customer a reply reopens it.
    _run_once(config, T0 + 15 * DAY)
    [closed] = smtp_server.handler.received[6:]
    assert "closed for now" in str(closed.parsed()["Subject"])
    assert "reopen it at any time" in _text(closed.parsed())
    assert [t.reference for t in store.tickets.listed(state="closed")] == [ref_b]
    store.close()


def test_a_fedex_number_stops_the_shipping_reminders(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'db'}"
    config = _write_config(tmp_path, imap_account, smtp_server, db_url, now=T0, only="a")
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    _run_once(config, T0)
    [approval] = [r.parsed() for r in smtp_server.handler.received]
    imap_account.append(
        make_request(
            sender="Anna Becker <anna.becker@example.com>",
            subject=f"Re: {approval['Subject']}",
            body="Shipped today with FedEx, tracking 123456789012.",
            in_reply_to=str(approval["Message-ID"]),
            message_id="<tracking-1@example.com>",
        )
    )
    _run_once(config, T0 + DAY)
    shipped = _reply_to(smtp_server, "<tracking-1@example.com>")
    assert "FedEx" in _text(shipped)
    for days in (5, 8, 15):
        _run_once(config, T0 + days * DAY)
    assert len(smtp_server.handler.received) == 2  # no reminder, no waiver
    store = Store(db_url)
    [ticket] = store.tickets.listed(state="shipped")
    assert {r.status for r in store.reminders.of_ticket(ticket.id or 0)} == {"cancelled"}
    store.close()


def _all_sent(db_url: str) -> bool:
    """True once the outbox holds replies and every one is marked sent."""
    store = Store(db_url)
    try:
        statuses = [row[0] for row in store.db.rows('SELECT "status" FROM "outbox"')]
        return bool(statuses) and set(statuses) == {"sent"}
    finally:
        store.close()


def test_a_restarted_service_loses_no_reminder(
    tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    db_url = f"sqlite:///{tmp_path / 'db'}"
    config = _write_config(tmp_path, imap_account, smtp_server, db_url, now=T0, only="a")
    config.write_text(
        config.read_text() + "\n[service]\npoll_interval = 600\nreminder_interval = 1\n"
    )
    first = _mailbot(config, T0, imap_account.password, "run")
    try:
        # Until the answer is marked sent: a kill between the SMTP server's acceptance
        # and that mark makes the next start send it again (at least once), and that
        # resend, not the reminder, would be the second mail.
        _wait(lambda: len(smtp_server.handler.received) == 1 and _all_sent(db_url), first, 120)
    finally:
        first.send_signal(signal.SIGKILL)  # no clean shutdown: only the database remembers
        first.communicate(timeout=10)
    # The service comes back five days later: its scheduler finds the reminder row.
    second = _mailbot(config, T0 + 5 * DAY, imap_account.password, "run")
    try:
        _wait(lambda: len(smtp_server.handler.received) == 2, second, 120)
    finally:
        second.terminate()
        try:
            _out, err = second.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            second.kill()  # leave no bot running behind the test
            raise
    assert second.returncode == 0, err.decode()  # SIGTERM stops it cleanly
    assert "2 days left to ship it" in str(smtp_server.handler.received[1].parsed()["Subject"])
