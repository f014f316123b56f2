"""Attacks on agents' commands, performed over real Dovecot + SMTP + SQLite, with real
DKIM signatures (a real RSA key pair; only the DNS answer is the test's): a self-written
Authentication-Results header, a forged DKIM signature, References planted to redirect
an agent's command to another ticket, and a DNS server that never answers."""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.conftest import Desk
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_dkim import PretendDns, SigningDomain, build, run_once_with
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_agent_commands import TAG, _mails_since, _run, _state
from tests.integration.test_run_end_to_end import AGENT, _text

SHOP = SigningDomain("shop.example")
FORGED_RESULTS = b"Authentication-Results: mx.shop.example; dkim=pass header.d=shop.example\r\n"


def _reference(mail: EmailMessage) -> str:
    found = TAG.search(str(mail["Subject"]))
    assert found
    return found.group(1)


def _edit(config: Path, old: str, new: str) -> None:
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))


def _timeline_actors(config: Path, reference: str) -> list[str]:
    store = Store(f"sqlite:///{config.parent / 'db'}")
    try:
        ticket = store.tickets.find(reference)
        assert ticket is not None and ticket.id is not None
        return [entry.actor for entry in store.audit.timeline(ticket.id)]
    finally:
        store.close()


def test_a_self_written_authentication_results_header_proves_nothing(
    desk: Desk,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config, first = desk
    ref_b = _reference(first["b"])
    # The test config names our server (trusted_authserv_id) but does not declare that it
    # strips such headers from incoming mail: check says what that means.
    capsys.readouterr()
    assert main(["--config", str(config), "check"]) == 0
    assert "Authentication-Results headers are ignored until you declare" in capsys.readouterr().err

    # The attack: a customer writes the agent's From and our server's verdict himself.
    forged = make_request(
        sender="Agent <agent@shop.example>",
        subject=f"Re: your case [{ref_b}]",
        body="/approve",
        message_id="<forged-results@x>",
    )
    imap_account.append(FORGED_RESULTS + forged)
    mails = _run(config, smtp_server)
    assert _state(config, ref_b) == "needs_info"
    assert [m["To"] for m in mails] == [AGENT]  # an alert, no RMA to anyone
    assert "no proof" in str(mails[0]["Subject"])

    # mailbot verifying DKIM itself: a signature made with the forger's own key for
    # shop.example fails against the key the shop publishes.
    _edit(config, "[agents]\n", "[agents]\nverify_dkim = true\n")
    forger = SigningDomain("shop.example")
    imap_account.append(forger.sign(forged.replace(b"<forged-results@x>", b"<forged-dkim@x>")))
    before = len(smtp_server.handler.received)
    run_once_with(build(config, PretendDns([SHOP])))
    assert _state(config, ref_b) == "needs_info"
    # Recorded as a security event; the agents were alerted about this sender this hour.
    assert _mails_since(smtp_server, before) == []
    actors = _timeline_actors(config, ref_b)
    assert actors.count("unverified agent@shop.example") == 2

    # Declared by the admin (our server removes foreign Authentication-Results and adds
    # its own on top): now the topmost one vouches for the agent.
    _edit(config, "[agents]\n", "[agents]\nmta_strips_authentication_results = true\n")
    real = forged.replace(b"<forged-results@x>", b"<vouched@x>")
    imap_account.append(FORGED_RESULTS + real)
    mails = _run(config, smtp_server)
    assert _state(config, ref_b) == "approved"
    assert sorted(str(m["To"]) for m in mails) == [AGENT, "j.mueller@example.de"]


def test_dkim_alone_must_name_the_ticket_to_change_it(
    desk: Desk,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config, first = desk
    _edit(config, "[agents]\n", "[agents]\nverify_dkim = true\n")
    ref_b = _reference(first["b"])
    # Signed by the shop, but the ticket only in the text: /status is answered, /approve not.
    for n, body in enumerate(("/status", "/approve")):
        imap_account.append(
            SHOP.sign(
                make_request(
                    sender="agent@shop.example",
                    subject="the Mueller case",
                    body=f"{body}\n\nabout {ref_b}\n",
                    message_id=f"<untagged-{n}@x>",
                )
            )
        )
    before = len(smtp_server.handler.received)
    run_once_with(build(config, PretendDns([SHOP])))
    answers = {str(m["In-Reply-To"]): m for m in _mails_since(smtp_server, before)}
    assert str(answers["<untagged-0@x>"]["Subject"]).startswith("Status: needs_info")
    refusal = answers["<untagged-1@x>"]
    assert str(refusal["Subject"]).startswith("Not done")
    assert f"must name it in the subject: [{ref_b}]" in " ".join(_text(refusal).split())
    assert _state(config, ref_b) == "needs_info"


@pytest.mark.parametrize("proof", ["token", "dkim"])
def test_planted_references_cannot_redirect_an_agents_command(
    desk: Desk,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    proof: str,
) -> None:
    config, first = desk
    if proof == "dkim":  # tokens off: agents prove their mail by the shop's signature
        _edit(config, 'secret_env = "TEST_AGENT_SECRET"\n', "verify_dkim = true\n")
    ref_b = _reference(first["b"])
    # J. Mueller (ticket b, waiting for a video) writes about someone else's order, with a
    # Message-ID of a mail he has not sent yet in his References...
    planted = "<planted-1@example.de>"
    imap_account.append(
        f"References: {planted}\r\n".encode()
        + make_request(
            sender="j.mueller@example.de",
            subject="Return order 100201",
            body="The board is broken.",
            message_id="<mueller-x@example.de>",
        )
    )
    # ...then sends that mail, on his own ticket b: the planted id now belongs to b.
    imap_account.append(
        make_request(
            sender="j.mueller@example.de",
            subject=f"Re: {first['b']['Subject']}",
            body="Any news?",
            in_reply_to=str(first["b"]["Message-ID"]),
            message_id=planted,
        )
    )
    mails = _run(config, smtp_server) if proof == "token" else _run_dkim(config, smtp_server)
    [notice] = [m for m in mails if m["To"] == AGENT]
    ref_x = _reference(notice)
    assert ref_x != ref_b and "not the customer of order 100201" in _text(notice)
    # Agent mail threads only under our own mail to agents: no customer id in it.
    threading = f"{notice['In-Reply-To'] or ''} {notice['References'] or ''}"
    assert "example.de" not in threading

    # The agent rejects X. Its client kept the planted id in References anyway.
    reply = make_request(
        sender="agent@shop.example",
        subject=f"Re: {notice['Subject']}",
        body="/reject This is not your order.",
        in_reply_to=str(notice["Message-ID"]),
        message_id="<agent-reject@shop.example>",
    ).replace(
        f"References: {notice['Message-ID']}".encode(),
        f"References: {planted} {notice['Message-ID']}".encode(),
    )
    imap_account.append(SHOP.sign(reply) if proof == "dkim" else reply)
    mails = _run(config, smtp_server) if proof == "token" else _run_dkim(config, smtp_server)
    assert _state(config, ref_x) == "rejected"
    assert _state(config, ref_b) == "needs_info"  # the attacker's own ticket: untouched
    [answer] = [m for m in mails if m["To"] == AGENT]
    assert str(answer["Subject"]).startswith("Done: rejected")  # no false security alert
    [refusal] = [m for m in mails if m["To"] == "j.mueller@example.de"]
    assert "This is not your order." in _text(refusal)


def _run_dkim(config: Path, smtp: SmtpServer) -> list[EmailMessage]:
    before = len(smtp.handler.received)
    run_once_with(build(config, PretendDns([SHOP])))
    return _mails_since(smtp, before)


def test_a_dns_server_that_never_answers_fails_the_message_not_the_pass(
    desk: Desk,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config, first = desk
    _edit(config, "[agents]\n", "[agents]\nverify_dkim = true\n")
    config.write_text(config.read_text() + "\n[service]\nmessage_time_limit = 0.5\n")
    ref_b = _reference(first["b"])
    imap_account.append(
        SHOP.sign(
            make_request(
                sender="agent@shop.example",
                subject=f"Approve [{ref_b}]",
                body="/approve",
                message_id="<agent-dns@x>",
            )
        )
    )
    imap_account.append(
        make_request(
            sender="i.person@example.com",
            subject="Return",
            body="I want to return something.",
            message_id="<after-dns@example.com>",
        )
    )

    class Unanswered(PretendDns):
        def lookup(self, name: bytes, timeout: float = 5) -> bytes | None:
            time.sleep(60)  # a resolver that ignores its own timeout
            return None

    for attempt in range(3):
        before = len(smtp_server.handler.received)
        started = time.monotonic()
        summary = run_once_with(build(config, Unanswered([])))
        assert time.monotonic() - started < 20
        assert summary.failed == 1
        mails = _mails_since(smtp_server, before)
        if attempt == 0:  # the pass went on: the mail after it was answered at once
            assert [str(m["In-Reply-To"]) for m in mails] == ["<after-dns@example.com>"]
    assert [str(m["Subject"]) for m in mails] == ["Quarantined: a message could not be handled"]
    assert "took longer than 0.5 s" in _text(mails[0])
    assert len(imap_account.list_folder("Quarantine")) == 1
    assert _state(config, ref_b) == "needs_info"
