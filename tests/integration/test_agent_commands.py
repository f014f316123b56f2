"""Agents steer tickets by email, over real Dovecot + SMTP: notices, commands, proof."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from mailbot.cli import main
from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.conftest import Desk
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_dkim import PretendDns, SigningDomain, build, run_once_with
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, RMA, _text

TAG = re.compile(r"\[(T-\d{6})(?: key:[0-9a-f-]+)?\]")


def _mails_since(smtp: SmtpServer, start: int) -> list[EmailMessage]:
    return [r.parsed() for r in smtp.handler.received[start:]]


def _agent_reply(to: EmailMessage, body: str, message_id: str, **headers: str) -> bytes:
    """An agent answering a bot mail, keeping its subject (and so the token)."""
    raw = make_request(
        sender="Agent Smith <agent@shop.example>",
        subject=f"Re: {to['Subject']}",
        body=f"{body}\n\nOn Fri, returns desk wrote:\n> {to['Subject']}\n",
        in_reply_to=str(to["Message-ID"]),
        message_id=message_id,
    )
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    return extra + raw


def _run(config: Path, smtp: SmtpServer) -> list[EmailMessage]:
    before = len(smtp.handler.received)
    assert main(["--config", str(config), "run", "--once"]) == 0
    return _mails_since(smtp, before)


def _state(config: Path, reference: str) -> str:
    store = Store(f"sqlite:///{config.parent / 'db'}")
    ticket = store.tickets.find(reference)
    store.close()
    assert ticket is not None
    return ticket.state.value


def test_agent_rejects_from_a_notice_and_approves_with_missing_evidence(
    desk: Desk, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    config, first = desk
    # k) went to review because of a Google Drive link; the agent got a notice.
    [notice] = [
        r.parsed()
        for r in smtp_server.handler.received
        if r.parsed()["To"] == AGENT and "cloud storage" in str(r.parsed()["Subject"])
    ]
    assert "/reject <reason>" in _text(notice) and "key:" in str(notice["Subject"])
    assert "key:" not in str(first["k"]["Subject"])  # customers never see a token
    ref_k = TAG.search(str(notice["Subject"]))
    assert ref_k
    imap_account.append(
        _agent_reply(notice, "/reject The linked videos show a different product.", "<ag-1@x>")
    )
    mails = _run(config, smtp_server)
    to_customer = [m for m in mails if m["To"] == "l.rossi@example.it"]
    [rejection] = to_customer
    assert (
        "Our team has reviewed your request and gives this reason:\n\n"
        "    The linked videos show a different product."
    ) in _text(rejection).replace("\r\n", "\n")
    [answer] = [m for m in mails if m["To"] == AGENT]
    assert str(answer["Subject"]).startswith("Done: rejected")
    assert _state(config, ref_k.group(1)) == "rejected"

    # b) is missing a video. The agent approves anyway in a fresh mail that names the
    # ticket in its subject tag, proven by the shop's DKIM signature, which mailbot
    # verifies itself (a real key pair; only the DNS answer is the test's).
    ref_b = TAG.search(str(first["b"]["Subject"]))
    assert ref_b
    fresh = make_request(
        sender="agent@shop.example",
        subject=f"Ticket [{ref_b.group(1)}]",
        body="/approve\n/note the third video arrived by courier\n",
        message_id="<ag-2@x>",
    )
    shop = SigningDomain("shop.example")
    imap_account.append(shop.sign(fresh))
    config.write_text(config.read_text().replace("[agents]\n", "[agents]\nverify_dkim = true\n"))
    before = len(smtp_server.handler.received)
    run_once_with(build(config, PretendDns([shop])))
    mails = _mails_since(smtp_server, before)
    [approval] = [m for m in mails if m["To"] == "j.mueller@example.de"]
    assert RMA.search(str(approval["Subject"])) and "Ship with FedEx or DHL only" in _text(approval)
    assert _state(config, ref_b.group(1)) == "approved"


def test_a_customer_writing_during_review_stays_in_the_case(
    desk: Desk, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    config, first = desk
    # k) went to review (a Google Drive link); the customer asks for news, with a video.
    ref_k = TAG.search(str(first["k"]["Subject"]))
    assert ref_k
    store = Store(f"sqlite:///{config.parent / 'db'}")
    tickets_before = len(store.tickets.listed())
    store.close()
    imap_account.append(
        make_request(
            sender="Luca Rossi <l.rossi@example.it>",
            subject=f"Re: {first['k']['Subject']}",
            body="Any news? I attach one of the videos now.",
            attachments=[Path(__file__).parents[1] / "data" / "clip.mp4"],
            in_reply_to=str(first["k"]["Message-ID"]),
            message_id="<rossi-2@example.it>",
        )
    )
    mails = _run(config, smtp_server)
    [ack] = [m for m in mails if m["To"] == "l.rossi@example.it"]
    assert "your message reached our team" in str(ack["Subject"])
    assert (
        "Thank you for your message and the attached file."
        f" We have added them to your return request {ref_k.group(1)} for order"
    ) in _text(ack).replace("\r\n", "\n")
    [notice] = [m for m in mails if m["To"] == AGENT]
    assert "wrote again while the case is under review (1 attachment)" in _text(notice)
    assert _state(config, ref_k.group(1)) == "under_review"
    store = Store(f"sqlite:///{config.parent / 'db'}")
    try:
        assert len(store.tickets.listed()) == tickets_before  # no second ticket
        ticket = store.tickets.find(ref_k.group(1))
        assert ticket is not None and ticket.id is not None
        assert "clip.mp4" in [e.filename for e in store.tickets.evidence(ticket.id)]
    finally:
        store.close()


def test_agent_commands_that_name_no_ticket_are_answered_not_dropped(
    desk: Desk, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    config, first = desk
    ref_b = TAG.search(str(first["b"]["Subject"]))
    assert ref_b
    imap_account.append(
        make_request(
            sender="agent@shop.example",
            subject="the Mueller case",
            body="/approve\n/note video arrived by courier\n",
            message_id="<ag-fresh@x>",
        )
    )
    imap_account.append(
        make_request(
            sender="agent@shop.example",
            subject="lunch?",
            body="Anyone up for lunch at 12?\n",
            message_id="<ag-chat@x>",
        )
    )
    mails = _run(config, smtp_server)
    [answer] = mails  # to the agent who sent commands; the chat gets nothing
    assert answer["To"] == AGENT and answer["In-Reply-To"] == "<ag-fresh@x>"
    assert str(answer["Subject"]) == "Not done: your commands name no ticket"
    text = _text(answer)
    assert '"the Mueller case"' in text and "  /approve" in text and "(T-000123)" in text
    assert _state(config, ref_b.group(1)) == "needs_info"  # b) unchanged


def test_an_agent_address_in_a_mail_loop_gets_the_hourly_reply_limit(
    desk: Desk, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    config, _ = desk
    # Only our answers to the agent's own mails count (10 an hour), not the notices the
    # agent got this hour: a busy agent still hears back about a command.
    earlier = sum(r.parsed()["To"] == AGENT for r in smtp_server.handler.received)
    assert earlier > 0
    for n in range(12):
        imap_account.append(
            make_request(
                sender="agent@shop.example",
                subject=f"Re: Not done: your commands name no ticket {n}",
                body="/approve\n",
                message_id=f"<ag-loop-{n}@x>",
            )
        )
    answers = [m for m in _run(config, smtp_server) if m["To"] == AGENT]
    assert len(answers) == 10
    assert imap_account.list_folder("INBOX") == []  # the rest is recorded, not left behind


def test_forged_agent_mail_changes_nothing_and_errors_are_answered(
    desk: Desk, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    config, first = desk
    ref_b = TAG.search(str(first["b"]["Subject"]))
    assert ref_b
    # The customer forges the agent's From: and replies to their own mail (no token).
    forged = make_request(
        sender="Agent <agent@shop.example>",
        subject=f"Re: {first['b']['Subject']}",
        body="/approve",
        in_reply_to=str(first["b"]["Message-ID"]),
        message_id="<forged-1@x>",
    )
    # A DKIM pass claimed by some other server proves nothing either.
    other = "Authentication-Results: mx.evil.example; dkim=pass header.d=shop.example\r\n"
    imap_account.append(other.encode() + forged)
    mails = _run(config, smtp_server)
    assert _state(config, ref_b.group(1)) == "needs_info"
    assert [m["To"] for m in mails] == [AGENT]  # the agents are alerted; nobody else hears
    assert "no proof" in str(mails[0]["Subject"]) and "nothing was done" in _text(mails[0])
    store = Store(f"sqlite:///{config.parent / 'db'}")
    ticket = store.tickets.find(ref_b.group(1))
    assert ticket is not None and ticket.id is not None
    assert any(e.actor == "unverified agent@shop.example" for e in store.audit.timeline(ticket.id))
    store.close()

    # The real agent, from the alert (it carries the token): an unknown command and an
    # impossible transition are answered with errors, and nothing changes.
    alert = mails[0]
    imap_account.append(_agent_reply(alert, "/frobnicate", "<ag-3@x>"))
    imap_account.append(_agent_reply(alert, "/received", "<ag-4@x>"))
    mails = _run(config, smtp_server)
    assert [m["To"] for m in mails] == [AGENT, AGENT]
    answers = {str(m["In-Reply-To"]): _text(m) for m in mails}
    assert "unknown command /frobnicate (send /help for the list)" in answers["<ag-3@x>"]
    assert "a ticket that is needs_info cannot become received" in answers["<ag-4@x>"]
    assert all("Nothing was changed" in a for a in answers.values())
    assert _state(config, ref_b.group(1)) == "needs_info"

    # /help lists the commands with the words from the rules.
    imap_account.append(_agent_reply(alert, "/help", "<ag-5@x>"))
    [help_answer] = _run(config, smtp_server)
    text = _text(help_answer)
    assert "/approve - approve the return" in text and "(also /refuse, /deny)" in text
    assert "/inspected pass|fail|reduced <percent>" in text
