"""`mailbot run --once` end to end: requests APPENDed to a real Dovecot inbox, replies
read back from a real SMTP server, decisions stored in SQLite or PostgreSQL."""

from __future__ import annotations

import mailbox
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.config import load_config
from mailbot.demo import build_demo, demo_requests
from mailbot.shell.bootstrap import build_service
from mailbot.shell.handled import Handled
from mailbot.shell.inboxpass import RunSummary
from mailbot.shell.scheduler import run_once
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer

REPO = Path(__file__).resolve().parents[2]
RMA = re.compile(r"\bRMA\d{9}\b")
AGENT = "agent@shop.example"


def _write_config(
    tmp: Path,
    account: ImapAccount,
    smtp: SmtpServer,
    db_url: str,
    now: datetime | None = None,
    only: str | None = None,
) -> Path:
    """A config over the demo orders, with the demo requests (or those lettered in
    `only`) appended to the IMAP inbox; orders and dates relative to `now`."""
    demo = build_demo(tmp / "demo", now or datetime.now(UTC), REPO).parent
    config = tmp / "config.toml"
    config.write_text(
        f"""
[imap]
host = "127.0.0.1"
port = {account.port}
security = "none"
username = "{account.user}"
password_env = "TEST_IMAP_PASSWORD"
processed_folder = "Processed"

[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
from = "Shop Returns <returns@shop.example>"

[database]
url = "{db_url}"

[orders]
csv = "{demo / "orders.csv"}"

[agents]
addresses = ["agent@shop.example"]
secret_env = "TEST_AGENT_SECRET"
trusted_authserv_id = "mx.shop.example"

[paths]
rules = "{REPO / "rules"}"
templates = "{REPO / "templates"}"
"""
    )
    inbox = mailbox.Maildir(demo / "inbox", create=False)
    for key in sorted(inbox.keys()):
        raw = inbox.get_bytes(key)
        letter = re.search(rb"Message-ID: <demo-([a-z])-", raw, re.IGNORECASE)
        if only is None or (letter and letter.group(1).decode() in only):
            account.append(raw)
    return config


def _replies_by_request(smtp: SmtpServer) -> dict[str, EmailMessage]:
    """Each reply keyed by the demo request letter it answers (from In-Reply-To)."""
    replies: dict[str, EmailMessage] = {}
    for received in smtp.handler.received:
        msg = received.parsed()
        if msg["To"] == AGENT:
            continue
        letter = re.search(r"<demo-([a-z])-", str(msg["In-Reply-To"]))
        assert letter, msg["In-Reply-To"]
        assert letter.group(1) not in replies, "a request was answered twice"
        replies[letter.group(1)] = msg
    return replies


def _first_run(
    tmp_path: Path, account: ImapAccount, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, dict[str, EmailMessage]]:
    """The demo requests answered once (SQLite): the config and the replies by letter."""
    monkeypatch.setenv("TEST_IMAP_PASSWORD", account.password)
    config = _write_config(tmp_path, account, smtp, f"sqlite:///{tmp_path / 'db'}")
    assert main(["--config", str(config), "run", "--once"]) == 0
    return config, _replies_by_request(smtp)


def _to_customers(smtp: SmtpServer) -> int:
    """How many mails the SMTP server received for anyone but the agents."""
    return sum(1 for r in smtp.handler.received if r.parsed()["To"] != AGENT)


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_every_request_gets_the_right_answer_once(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    config = _write_config(tmp_path, imap_account, smtp_server, db_url)

    assert main(["--config", str(config), "run", "--once"]) == 0

    replies = _replies_by_request(smtp_server)
    assert sorted(replies) == [r.key for r in demo_requests()]
    # a) complete quality defect: RMA, carriers, ship-by date, refund rule.
    a = _text(replies["a"])
    assert RMA.search(str(replies["a"]["Subject"])) and RMA.search(a)
    assert "Ship with FedEx or DHL only. Postal services are not accepted." in a
    assert re.search(r"by \d{1,2} \w+ \d{4} at the latest", a)
    assert "we pay for the return shipping" in a and "improper packaging" in a
    assert replies["a"].get_body(("html",)) is not None
    # b) two videos instead of three: no RMA, says what is missing.
    b = _text(replies["b"])
    assert not RMA.search(b)
    assert "- 1 video of the fault (2 of 3 received)" in b
    # c) a text file named .mp4 does not count as a video; small photos do not count.
    c = _text(replies["c"])
    assert not RMA.search(c)
    assert "not-a-video.mp4 is named as a video, but it is not one." in c
    assert "is not a high-definition photo" in c
    # d) delivered 40 days ago: refused naming the window.
    d = _text(replies["d"])
    assert not RMA.search(d) and "within 30 days of delivery" in d
    # e) wrong item within 48 hours: the two options.
    e = _text(replies["e"])
    assert "Option 1, keep the item" in e and "Option 2, return the item" in e
    assert "50% of the price difference" in e and "5 working days" in e
    # g) change of mind: RMA with the refund computed from the order.
    g = _text(replies["g"])
    assert RMA.search(g) and "= €78.10" in g and "paid by you" in g
    # h) sender is not the order's customer: no RMA, and the answer a mail about an
    # order that does not exist gets (it tells a stranger nothing about the order).
    h = _text(replies["h"])
    assert not RMA.search(h) and "We could not find order 100208 for this email" in h
    assert str(replies["h"]["Subject"]).startswith(
        "Your return request: we could not match order 100208"
    )
    assert replies["h"]["To"] == "eve.martin@example.org"
    # j) no order number: the sender's only order in the window, named; evidence asked.
    j = " ".join(_text(replies["j"]).split())
    assert str(replies["j"]["Subject"]).startswith("Your return request for order 100210")
    assert "You did not write an order number, so we took order 100210" in j
    assert not RMA.search(j)
    # k) a cloud storage link: not counted, the case goes to an agent, who is told.
    k = _text(replies["k"])
    link = "https://drive.google.com/drive/folders/1aBcDeFgHiJkLmNoP"
    assert not RMA.search(k) and link in k and "videos of the fault" in k
    [notice] = [
        r.parsed()
        for r in smtp_server.handler.received
        if r.parsed()["To"] == AGENT and "cloud storage links" in str(r.parsed()["Subject"])
    ]
    assert link in _text(notice) and "l.rossi@example.it" in _text(notice)
    # Every request left the inbox for the processed folder.
    assert imap_account.list_folder("INBOX") == []
    assert len(imap_account.list_folder("Processed")) == len(demo_requests())

    # A second run sends nothing.
    sent = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert len(smtp_server.handler.received) == sent


def test_check_names_file_and_key_of_a_broken_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    policy = rules / "policy.toml"
    policy.write_text(policy.read_text().replace("ship_within_days = 7", "ship_within_days = -7"))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[maildir]\npath = "inbox"\n[outbox]\ndirectory = "out"\n'
        f'[smtp]\nfrom = "returns@shop.example"\n'
        f'[paths]\nrules = "{rules}"\ntemplates = "{REPO / "templates"}"\n'
    )
    assert main(["--config", str(config), "check"]) == 1
    err = capsys.readouterr().err
    line = policy.read_text().splitlines().index("ship_within_days = -7") + 1
    assert f"{policy}:{line}: windows.ship_within_days: must be greater than 0, not -7" in err

    policy.write_text(policy.read_text().replace("ship_within_days = -7", "ship_within_days = 7"))
    assert main(["--config", str(config), "check"]) == 0


def test_evidence_in_two_emails_of_one_thread_gives_the_rma_after_the_second(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, replies = _first_run(tmp_path, imap_account, smtp_server, monkeypatch)
    first = replies["b"]
    assert not RMA.search(_text(first))
    tag = re.search(r"\[T-\d{6}\]", str(first["Subject"]))
    assert tag

    media = REPO / "examples" / "media"
    stranger = make_request(
        sender="mallory@example.org",
        subject=f"Re: {first['Subject']}",
        body="Here is the third video.",
        attachments=[media / "video-03.mp4"],
        in_reply_to=str(first["Message-ID"]),
        message_id="<stranger-1@example.org>",
    )
    follow_up = make_request(
        sender="Jürgen Müller <j.mueller@example.de>",
        subject=f"Re: {first['Subject']}",
        body="Here is the third video.\n\nOn Fri, Shop wrote:\n> 1 more videos",
        attachments=[media / "video-03.mp4"],
        in_reply_to=str(first["Message-ID"]),
        message_id="<followup-1@example.de>",
    )
    imap_account.append(stranger)
    imap_account.append(follow_up)
    before = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0

    received = [r.parsed() for r in smtp_server.handler.received[before:]]
    new = {str(m["In-Reply-To"]): m for m in received if m["To"] != AGENT}
    assert sorted(new) == ["<followup-1@example.de>", "<stranger-1@example.org>"]
    # The agents hear that a stranger quoted the ticket.
    [notice] = [m for m in received if m["To"] == AGENT]
    assert f"mallory@example.org quoted ticket {tag.group(0)[1:-1]}" in str(notice["Subject"])
    assert "Here is the third video." in _text(notice)
    answer = new["<followup-1@example.de>"]
    assert tag.group(0) in str(answer["Subject"])  # the same ticket
    assert RMA.search(str(answer["Subject"])) and "Ship with FedEx or DHL only" in _text(answer)
    assert first["Message-ID"] in str(answer["References"])
    # The stranger quoting the thread did not join it: own ticket, no RMA.
    intruder = new["<stranger-1@example.org>"]
    assert tag.group(0) not in str(intruder["Subject"]) and not RMA.search(_text(intruder))


def _reply_to(first: EmailMessage, sender: str, body: str, message_id: str) -> bytes:
    return make_request(
        sender=sender,
        subject=f"Re: {first['Subject']}",
        body=body,
        in_reply_to=str(first["Message-ID"]),
        message_id=message_id,
    )


def test_customer_replies_ship_refuse_and_choose(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, first = _first_run(tmp_path, imap_account, smtp_server, monkeypatch)
    anna, gina = "anna.becker@example.com", first["g"]["To"]
    rma_a = RMA.search(str(first["a"]["Subject"]))
    assert rma_a
    imap_account.append(_reply_to(first["g"], gina, "Sent by post: RR123456789CN", "<g-2@x>"))
    imap_account.append(_reply_to(first["a"], anna, "Shipped with FedEx: 123456789012", "<a-2@x>"))
    imap_account.append(
        _reply_to(first["e"], first["e"]["To"], "Option 2, I return it.", "<e-2@x>")
    )
    before = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0

    new = {
        str(r.parsed()["In-Reply-To"]): r.parsed() for r in smtp_server.handler.received[before:]
    }
    shipped, refused, chosen = new["<a-2@x>"], new["<g-2@x>"], new["<e-2@x>"]
    assert "is on its way" in str(shipped["Subject"]) and "123456789012" in _text(shipped)
    assert "is not accepted" in str(refused["Subject"]) and "stays authorised" in _text(refused)
    assert RMA.search(str(chosen["Subject"])) and "5 working days" in _text(chosen)
    assert "we pay for the return shipping" in _text(chosen)

    capsys.readouterr()
    assert main(["--config", str(config), "tickets", "--state", "shipped"]) == 0
    _header, line = capsys.readouterr().out.splitlines()
    assert rma_a.group(0) in line


def test_service_mode_answers_mail_appended_while_it_watches(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config = _write_config(tmp_path, imap_account, smtp_server, f"sqlite:///{tmp_path / 'db'}")
    # A long poll interval: only IMAP IDLE can make the answer come quickly.
    config.write_text(config.read_text() + "\n[service]\npoll_interval = 600\n")
    env = {**os.environ, "TEST_IMAP_PASSWORD": imap_account.password}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _to_customers(smtp_server) == len(demo_requests()), proc, 120)
        time.sleep(1)  # let it enter IDLE
        late = make_request(
            sender="anna.becker@example.com",
            subject="Order 100201 arrived broken",
            body="It is broken.",
            message_id="<late@example.com>",
        )
        imap_account.append(late)
        # Only IDLE answers it before the 600 s poll; the bound is generous for a busy
        # machine and still far below that poll.
        _wait(lambda: _to_customers(smtp_server) == len(demo_requests()) + 1, proc, 120)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert smtp_server.handler.received[-1].parsed()["In-Reply-To"] == "<late@example.com>"


def _wait(condition: Callable[[], bool], proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, "mailbot run stopped by itself"
        assert time.monotonic() < deadline, f"no answer within {seconds} s"
        time.sleep(0.05)


def test_fresh_mails_join_by_rma_number_or_order_number_from_the_customer(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, first = _first_run(tmp_path, imap_account, smtp_server, monkeypatch)
    rma = RMA.search(str(first["a"]["Subject"]))
    assert rma
    media = REPO / "examples" / "media"
    # New emails, no threading headers: one quotes the RMA number, one the order number.
    imap_account.append(
        make_request(
            sender="anna.becker@example.com",
            subject="Parcel sent",
            body=f"Hello, the parcel for {rma.group(0)} is on its way: FedEx 123456789012.",
            message_id="<fresh-a@x>",
        )
    )
    imap_account.append(
        make_request(
            sender="j.mueller@example.de",
            subject="Third video for order 100202",
            body="Here is the missing video.",
            attachments=[media / "video-03.mp4"],
            message_id="<fresh-b@x>",
        )
    )
    # A stranger quoting Anna's RMA number gets nowhere near her ticket.
    imap_account.append(
        make_request(
            sender="mallory@example.org",
            subject="Cancel my return",
            body=f"Please cancel {rma.group(0)} and refund me.",
            message_id="<fresh-m@x>",
        )
    )
    before = len(smtp_server.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0
    received = [r.parsed() for r in smtp_server.handler.received[before:]]
    new = {str(m["In-Reply-To"]): m for m in received if m["To"] != AGENT}
    assert sorted(new) == ["<fresh-a@x>", "<fresh-b@x>", "<fresh-m@x>"]
    a_tag = re.search(r"\[T-\d{6}\]", str(first["a"]["Subject"]))
    b_tag = re.search(r"\[T-\d{6}\]", str(first["b"]["Subject"]))
    assert a_tag and b_tag
    assert a_tag.group(0) in str(new["<fresh-a@x>"]["Subject"])
    assert "FedEx" in _text(new["<fresh-a@x>"])
    assert b_tag.group(0) in str(new["<fresh-b@x>"]["Subject"])
    assert RMA.search(str(new["<fresh-b@x>"]["Subject"]))
    assert a_tag.group(0) not in str(new["<fresh-m@x>"]["Subject"])
    [notice] = [m for m in received if m["To"] == AGENT]
    assert f"mallory@example.org quoted ticket {a_tag.group(0)[1:-1]}" in str(notice["Subject"])


def test_the_same_mail_delivered_twice_is_answered_once(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, _first = _first_run(tmp_path, imap_account, smtp_server, monkeypatch)
    sent = len(smtp_server.handler.received)
    # The same request again (same Message-ID), e.g. delivered twice by a relay, or
    # found again under new UIDs after the server reset UIDVALIDITY.
    [again] = [m for m in imap_account.list_folder("Processed") if b"<demo-a-" in m]
    imap_account.append(again)
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert len(smtp_server.handler.received) == sent
    assert imap_account.list_folder("INBOX") == []


def test_replies_leave_while_the_pass_is_still_deciding(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reply is committed with its message, so it is sent during the inbox pass, not
    after the last message: at the last message the first replies have arrived."""
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    config = load_config(_write_config(tmp_path, imap_account, smtp_server,
                                       f"sqlite:///{tmp_path / 'db'}"))  # fmt: skip
    service = build_service(config)
    arrived_during_pass: list[int] = []

    def on_handled(handled: Handled, summary: RunSummary) -> None:
        if len(summary.handled) == len(demo_requests()):
            deadline = time.monotonic() + 10
            while not smtp_server.handler.received and time.monotonic() < deadline:
                time.sleep(0.01)
            arrived_during_pass.append(len(smtp_server.handler.received))

    try:
        summary = run_once(service, on_handled)
    finally:
        service.inbox.close()
    assert len(summary.handled) == len(demo_requests())
    assert arrived_during_pass and arrived_during_pass[0] > 0
    # Sent during the pass or after it, every reply went exactly once.
    assert summary.sent is not None and summary.sent.sent == len(smtp_server.handler.received)
    assert len(_replies_by_request(smtp_server)) == len(demo_requests())
