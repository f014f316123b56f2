"""A Maildir inbox hands out its mail in the order it was delivered."""

from __future__ import annotations

from pathlib import Path

from mailbot.inbound.maildir import MaildirInbox


def test_pending_keeps_delivery_order_when_microseconds_grow_a_digit(tmp_path: Path) -> None:
    # Python's mailbox writes "<seconds>.M<microseconds>P<pid>Q<n>.<host>" without
    # zero-padding: as text, M100000 sorts before M99999 of the same second.
    names = [
        "1700000000.M99999P7Q1.host",
        "1700000000.M100000P7Q2.host",
        "1700000001.M5P7Q3.host",
    ]
    inbox = MaildirInbox(tmp_path / "inbox")
    for name in reversed(names):
        (tmp_path / "inbox" / "new" / name).write_bytes(b"Subject: x\r\n\r\nbody\r\n")
    assert inbox.pending() == [f"maildir:{name}" for name in names]
