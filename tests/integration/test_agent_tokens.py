"""Tokens with a life, over real Dovecot + SMTP + SQLite: a command mail applies once
however often it is resent, a token expires and one from before tokens were bound to an
agent and a day no longer counts, and forged agent mail alerts once per sender an hour."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.conftest import AGENT_SECRET, Desk
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_dkim import build, run_once_with
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_agent_commands import _agent_reply, _mails_since, _run, _state
from tests.integration.test_agent_proof import _reference, _timeline_actors
from tests.integration.test_run_end_to_end import AGENT, _text

SECOND_AGENT = "second.agent@shop.example"


def _link_notice(smtp: SmtpServer) -> EmailMessage:
    """The notice about k) (a cloud link to check) the agent got in the first run."""
    [notice] = [
        r.parsed()
        for r in smtp.handler.received
        if r.parsed()["To"] == AGENT and "cloud storage" in str(r.parsed()["Subject"])
    ]
    return notice


def _ship_by(config: Path, reference: str) -> datetime | None:
    store = Store(f"sqlite:///{config.parent / 'db'}")
    try:
        ticket = store.tickets.find(reference)
        assert ticket is not None
        return ticket.ship_by
    finally:
        store.close()


def test_a_resent_command_mail_applies_once(
    desk: Desk,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config, _ = desk
    notice = _link_notice(smtp_server)
    ref_k = _reference(notice)
    imap_account.append(_agent_reply(notice, "/approve", "<ag-approve@shop.example>"))
    [answer] = [m for m in _run(config, smtp_server) if m["To"] == AGENT]
    approved_by = _ship_by(config, ref_k)
    assert approved_by is not None
    extend = _agent_reply(answer, "/extend 60", "<ag-extend@shop.example>")
    imap_account.append(extend)
    [done] = [m for m in _run(config, smtp_server) if m["To"] == AGENT]
    assert str(done["Subject"]).startswith("Done: ship-by date moved")
    assert _ship_by(config, ref_k) == approved_by + timedelta(days=60)
    # The attack: the same mail sent again twice, each time with a new Message-ID.
    for n in (1, 2):
        imap_account.append(extend.replace(b"<ag-extend@shop.example>", f"<copy-{n}@x>".encode()))
    mails = _run(config, smtp_server)
    assert [str(m["Subject"]).split(" [")[0] for m in mails] == ["Not done: already applied"] * 2
    assert "arrived before" in _text(mails[0]) and "nothing was changed again" in _text(mails[0])
    assert _ship_by(config, ref_k) == approved_by + timedelta(days=60)
    # Written again (a new mail, a new date), the same command is a new decision.
    again = _agent_reply(done, "/extend 5", "<ag-extend-2@shop.example>")
    imap_account.append(again)
    [done] = [m for m in _run(config, smtp_server) if m["To"] == AGENT]
    assert _ship_by(config, ref_k) == approved_by + timedelta(days=65)


def test_expired_and_old_tokens_are_answered_and_change_nothing(
    desk: Desk,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config, _ = desk
    notice = _link_notice(smtp_server)
    ref_k = _reference(notice)
    # A notice sent before the upgrade carried a token of the ticket alone.
    old = hmac.new(AGENT_SECRET.encode(), f"mailbot-agent:{ref_k}".encode(), hashlib.sha256)
    before_upgrade = f"Re: Needs a person [{ref_k} key:{old.hexdigest()[:20]}]"
    imap_account.append(
        make_request(
            sender="Agent Smith <agent@shop.example>",
            subject=before_upgrade,
            body="/approve",
            in_reply_to=str(notice["Message-ID"]),
            message_id="<ag-old@shop.example>",
        )
    )
    [answer] = [m for m in _run(config, smtp_server) if m["To"] == AGENT]
    assert "of the old kind" in " ".join(_text(answer).split())
    assert _state(config, ref_k) == "under_review"

    # 31 days on, the notice's token has expired: the agent is told, and the answer
    # carries a fresh token.
    later = datetime.now(UTC) + timedelta(days=31)
    imap_account.append(_agent_reply(notice, "/approve", "<ag-late@shop.example>"))
    service = build(config)
    service.clock = lambda: later
    before = len(smtp_server.handler.received)
    run_once_with(service)
    mails = _mails_since(smtp_server, before)
    [answer] = [m for m in mails if m["In-Reply-To"] == "<ag-late@shop.example>"]
    assert "tokens last 30 days" in " ".join(_text(answer).split())
    assert _state(config, ref_k) == "under_review"
    imap_account.append(_agent_reply(answer, "/approve", "<ag-fresh@shop.example>"))
    service = build(config)
    service.clock = lambda: later
    run_once_with(service)
    assert _state(config, ref_k) == "approved"
    assert _timeline_actors(config, ref_k).count("unverified agent@shop.example") == 2


def test_forged_agent_mail_alerts_once_per_sender_an_hour(
    desk: Desk,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    config, first = desk
    text = config.read_text().replace(
        'addresses = ["agent@shop.example"]', f'addresses = ["{AGENT}", "{SECOND_AGENT}"]'
    )
    config.write_text(text)
    ref_b = _reference(first["b"])
    # The attack: fifteen forgeries with the agent's From and no proof.
    for n in range(15):
        imap_account.append(_agent_reply(first["b"], "/approve", f"<forged-{n}@x>"))
    mails = _run(config, smtp_server)
    assert sorted(str(m["To"]) for m in mails) == [AGENT, SECOND_AGENT]  # one alert each
    assert "only recorded" in _text(mails[0])
    assert _timeline_actors(config, ref_b).count("unverified agent@shop.example") == 15
    assert _state(config, ref_b) == "needs_info"
