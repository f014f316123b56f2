"""Outbox -> SmtpSender -> a real aiosmtpd server; DirectorySender -> real files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from mailbot.core.model import Decision, InboundMessage, Reply, Scenario, Ticket, TicketState
from mailbot.outbound.compose import compose
from mailbot.outbound.delivery import SendReport, send_due
from mailbot.outbound.render import RenderedMail
from mailbot.outbound.senders import DeliveryError, DirectorySender, SmtpSender
from mailbot.store import Store
from tests.integration.fixtures_smtp import (
    RecordingHandler,
    SmtpServer,
    free_port,
    start_server,
)
from tests.integration.recording import record

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
FROM = "returns@shop.example"
CUSTOMER_ID = "<in1@customer.example>"
ROOT_ID = "<root@customer.example>"


def compose_reply(ticket: Ticket, reply: Reply, message_id: str) -> bytes:
    return compose(
        rendered=RenderedMail(f"Rücksendung genehmigt: {ticket.rma} 退货 申请", "Hello\n"),
        from_addr=f"Returns <{FROM}>",
        to_addr=reply.to,
        message_id=message_id,
        subject_tag=f"[{ticket.reference}]",
        in_reply_to=CUSTOMER_ID,
        references=[ROOT_ID],
        instance="test-1",
        date=NOW,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'm.db'}")
    s.create_tables()
    yield s
    s.close()


def enqueue(store: Store, key: str = "k1", n: int = 1) -> Ticket:
    msg = InboundMessage(CUSTOMER_ID, "ana@example.com", "Broken", "broken", received_at=NOW)
    decision = Decision(
        TicketState.APPROVED,
        Scenario.QUALITY_DEFECT,
        "approved",
        ("ok",),
        replies=tuple(Reply("customer/rma_issued", "ana@example.com") for _ in range(n)),
        issue_rma=True,
    )
    return record(store, key, msg, None, decision, compose_reply, "r1", NOW)


def sender_for(server: SmtpServer) -> SmtpSender:
    return SmtpSender(server.host, server.port, security="none", timeout=10)


def test_mail_arrives_once_with_threading_headers(store: Store, smtp_server: SmtpServer) -> None:
    ticket = enqueue(store)
    sender = sender_for(smtp_server)
    assert send_due(store, sender, FROM, NOW) == SendReport(sent=1)
    assert send_due(store, sender, FROM, NOW + timedelta(hours=2)) == SendReport()
    sender.close()
    [got] = smtp_server.handler.received
    assert got.mail_from == FROM and got.rcpt_tos == ["ana@example.com"]
    msg = got.parsed()
    [row] = store.outbox.statuses()
    assert row.status == "sent" and msg["Message-ID"] == row.message_id
    assert msg["In-Reply-To"] == CUSTOMER_ID
    assert msg["References"] == f"{ROOT_ID} {CUSTOMER_ID}"
    assert msg["Subject"] == f"Rücksendung genehmigt: {ticket.rma} 退货 申请 [{ticket.reference}]"
    assert msg["Auto-Submitted"] == "auto-replied"


def test_one_connection_for_many_mails(store: Store, smtp_server: SmtpServer) -> None:
    enqueue(store, n=3)
    sender = sender_for(smtp_server)
    assert send_due(store, sender, FROM, NOW).sent == 3
    sender.close()
    assert smtp_server.handler.sessions == 1
    assert len({r.parsed()["Message-ID"] for r in smtp_server.handler.received}) == 3


def test_reconnects_after_server_dropped_idle_connection(store: Store) -> None:
    handler = RecordingHandler()
    controller, port = start_server(handler, timeout=0.5)  # server hangs up when idle
    try:
        sender = SmtpSender("127.0.0.1", port, security="none", timeout=10)
        enqueue(store, "k1")
        assert send_due(store, sender, FROM, NOW).sent == 1
        time.sleep(1.5)
        enqueue(store, "k2")
        assert send_due(store, sender, FROM, NOW).sent == 1
        sender.close()
    finally:
        controller.stop()
    assert len(handler.received) == 2 and handler.sessions == 2


def test_temporary_refusal_is_retried_later(store: Store, smtp_server: SmtpServer) -> None:
    enqueue(store)
    sender = sender_for(smtp_server)
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    assert send_due(store, sender, FROM, NOW) == SendReport(failed=1)
    [row] = store.outbox.statuses()
    assert row.status == "pending" and row.next_attempt_at == NOW + timedelta(seconds=30)
    assert row.last_error is not None and "451" in row.last_error
    smtp_server.handler.data_reply = None
    assert send_due(store, sender, FROM, NOW + timedelta(seconds=15)) == SendReport()
    assert send_due(store, sender, FROM, NOW + timedelta(seconds=30)) == SendReport(sent=1)
    sender.close()
    assert len(smtp_server.handler.received) == 1
    assert store.outbox.statuses()[0].attempts == 2


def test_backoff_doubles_and_gives_up(store: Store, smtp_server: SmtpServer) -> None:
    enqueue(store)
    sender = sender_for(smtp_server)
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    at = NOW
    for delay in (30, 60, 120):  # the default: 30 s, doubling
        assert send_due(store, sender, FROM, at, max_attempts=4).failed == 1
        assert store.outbox.statuses()[0].next_attempt_at == at + timedelta(seconds=delay)
        at += timedelta(seconds=delay)
    report = send_due(store, sender, FROM, at, max_attempts=4)
    assert (report.sent, report.failed, report.dead) == (0, 0, 1)
    [(item, error)] = report.dead_letters
    assert item.to_addr == store.outbox.statuses()[0].to_addr and "451" in error
    sender.close()
    assert store.outbox.statuses()[0].status == "dead"


def test_backoff_starts_and_stops_where_configured(store: Store, smtp_server: SmtpServer) -> None:
    enqueue(store)
    sender = sender_for(smtp_server)
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    at, first, cap = NOW, timedelta(seconds=2), timedelta(seconds=5)
    for delay in (2, 4, 5, 5):
        assert send_due(store, sender, FROM, at, base_delay=first, cap=cap).failed == 1
        assert store.outbox.statuses()[0].next_attempt_at == at + timedelta(seconds=delay)
        at += timedelta(seconds=delay)
    sender.close()


def test_permanent_refusal_is_dead_at_once(store: Store, smtp_server: SmtpServer) -> None:
    enqueue(store)
    sender = sender_for(smtp_server)
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user"
    report = send_due(store, sender, FROM, NOW)
    assert (report.sent, report.failed, report.dead, len(report.dead_letters)) == (0, 0, 1, 1)
    sender.close()
    [row] = store.outbox.statuses()
    assert row.status == "dead" and row.last_error is not None and "550" in row.last_error
    assert smtp_server.handler.received == []


def test_send_errors_say_what_happened(smtp_server: SmtpServer) -> None:
    raw = b"From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n\r\nhi\r\n"
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user"
    sender = sender_for(smtp_server)
    with pytest.raises(DeliveryError) as err:
        sender.send(raw, "c@d.example", "a@b.example")
    assert err.value.permanent and err.value.code == 550 and "No such user" in str(err.value)
    sender.close()
    nobody = SmtpSender("127.0.0.1", free_port(), security="none", timeout=5)
    with pytest.raises(DeliveryError) as err:
        nobody.send(raw, "c@d.example", "a@b.example")
    assert not err.value.permanent and "127.0.0.1" in str(err.value)


def test_directory_sender_writes_eml_files(store: Store, tmp_path: Path) -> None:
    enqueue(store, n=2)
    out = tmp_path / "outbox"
    assert send_due(store, DirectorySender(out), FROM, NOW).sent == 2
    files = sorted(out.iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    assert not any(f.name.startswith(".tmp") for f in files)
    ids = {r.message_id for r in store.outbox.statuses()}
    for f in files:
        msg = BytesParser(policy=policy.default).parsebytes(f.read_bytes())
        assert msg["Message-ID"] in ids
        assert str(msg["Message-ID"]).strip("<>") in f.name
