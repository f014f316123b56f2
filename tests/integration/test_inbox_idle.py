"""Inbox.wait_for_mail: IMAP IDLE (and its polling fallback) against a private Dovecot,
and Maildir polling on a real Maildir."""

from __future__ import annotations

import itertools
import logging
import mailbox
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import mailbot.inbound.imap.idle
from mailbot.inbound.imap import ImapInbox
from mailbot.inbound.maildir import MaildirInbox
from tests.integration.dovecot import ImapAccount

pytestmark = pytest.mark.integration

RAW = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\nMessage-ID: <x@y>\r\n\r\nhi\r\n"
# Correctness bound for "returns as soon as mail arrives" (mail comes after 0.5 s).
PROMPT = 3.0


def inbox_for(account: ImapAccount) -> ImapInbox:
    return ImapInbox(account.host, account.port, "none", account.user, account.password)


@pytest.fixture
def imap_inbox(imap_account: ImapAccount) -> Iterator[ImapInbox]:
    """Connected and with INBOX selected (pending() opens the session), as in the service."""
    inbox = inbox_for(imap_account)
    assert inbox.pending() == []
    yield inbox
    inbox.close()


def later(seconds: float, action: Callable[[], object]) -> threading.Timer:
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def timed_wait(inbox: ImapInbox | MaildirInbox, timeout: float) -> tuple[bool, float]:
    started = time.monotonic()
    result = inbox.wait_for_mail(timeout)
    return result, time.monotonic() - started


def assert_wakes_on_new_mail(
    inbox: ImapInbox | MaildirInbox, deliver: Callable[[], object]
) -> None:
    timer = later(0.5, deliver)
    try:
        woke, elapsed = timed_wait(inbox, 10)
    finally:
        timer.join()
    assert woke is True
    assert elapsed < PROMPT
    assert len(inbox.pending()) == 1


def assert_times_out(inbox: ImapInbox | MaildirInbox) -> None:
    woke, elapsed = timed_wait(inbox, 1)
    assert woke is False
    assert 0.9 <= elapsed < PROMPT


# -- IMAP with IDLE ---------------------------------------------------------------------


def test_imap_idle_wakes_on_new_mail(imap_inbox: ImapInbox, imap_account: ImapAccount) -> None:
    assert imap_inbox._client is not None and imap_inbox._client.has_capability("IDLE")
    assert_wakes_on_new_mail(imap_inbox, lambda: imap_account.append(RAW))


def test_imap_idle_times_out_without_mail(imap_inbox: ImapInbox) -> None:
    assert_times_out(imap_inbox)
    assert imap_inbox.pending() == []  # the session is usable after IDLE ended with DONE


def test_imap_idle_is_renewed_before_the_cap(
    imap_inbox: ImapInbox, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long wait is cut into IDLEs no longer than the cap, and mail is still noticed."""
    monkeypatch.setattr(mailbot.inbound.imap.idle, "IDLE_MAX_SECONDS", 0.3)
    client = imap_inbox._client
    assert client is not None
    started: list[float] = []
    original_idle = client.idle

    def counting_idle() -> Any:
        started.append(time.monotonic())
        return original_idle()

    monkeypatch.setattr(client, "idle", counting_idle)
    assert_times_out(imap_inbox)
    assert len(started) >= 3
    assert all(b - a < 0.6 for a, b in itertools.pairwise(started))
    started.clear()
    assert_wakes_on_new_mail(imap_inbox, lambda: imap_account.append(RAW))
    assert len(started) >= 2  # the mail came in a renewed IDLE, not the first one


def test_imap_dropped_connection_during_idle_returns_true(
    imap_inbox: ImapInbox, caplog: pytest.LogCaptureFixture
) -> None:
    client = imap_inbox._client
    assert client is not None
    caplog.set_level(logging.WARNING, logger="mailbot")
    timer = later(0.5, client.shutdown)  # the socket closes under the IDLE
    try:
        woke, elapsed = timed_wait(imap_inbox, 10)
    finally:
        timer.join()
    assert woke is True and elapsed < PROMPT
    assert imap_inbox._client is None  # dropped; pending() reconnects
    assert any("IDLE" in record.getMessage() for record in caplog.records)
    assert imap_inbox.pending() == []


# -- IMAP without IDLE: polling ---------------------------------------------------------


@pytest.fixture
def polling_inbox(limited_account: ImapAccount) -> Iterator[ImapInbox]:
    inbox = inbox_for(limited_account)
    assert inbox.pending() == []
    assert inbox._client is not None and not inbox._client.has_capability("IDLE")
    yield inbox
    inbox.close()


def test_imap_without_idle_polls_for_new_mail(
    polling_inbox: ImapInbox, limited_account: ImapAccount
) -> None:
    assert_wakes_on_new_mail(polling_inbox, lambda: limited_account.append(RAW))


def test_imap_without_idle_times_out(polling_inbox: ImapInbox) -> None:
    assert_times_out(polling_inbox)


# -- Maildir ----------------------------------------------------------------------------


@pytest.fixture
def maildir(tmp_path: Path) -> mailbox.Maildir:
    return mailbox.Maildir(tmp_path / "Maildir", create=True)


def test_maildir_wakes_on_new_mail(maildir: mailbox.Maildir, tmp_path: Path) -> None:
    inbox = MaildirInbox(tmp_path / "Maildir")
    try:
        assert_wakes_on_new_mail(inbox, lambda: maildir.add(RAW))
    finally:
        inbox.close()


def test_maildir_times_out_without_mail(maildir: mailbox.Maildir, tmp_path: Path) -> None:
    maildir.add(RAW)  # mail already there is not new
    inbox = MaildirInbox(tmp_path / "Maildir")
    try:
        assert_times_out(inbox)
    finally:
        inbox.close()
