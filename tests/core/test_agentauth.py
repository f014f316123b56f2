"""What proves an agent's mail, as plain calls: tokens bound to ticket, agent and day;
DKIM domains the shell verified; our server's Authentication-Results only when trusted."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import timedelta

from mailbot.core.agentauth import (
    Proof,
    agent_proof,
    agent_token,
    content_key,
    dkim_passes,
    names_ticket,
    subject_tag,
)
from mailbot.core.model import InboundMessage
from tests.core.conftest import NOW

AGENT = "agent@shop.example"
SECRET = "a-long-enough-test-secret"
DAYS = 30


def _mail(subject: str, sender: str = AGENT, **kw: object) -> InboundMessage:
    return InboundMessage("<agent-1@shop.example>", sender, subject, "/approve", **kw)  # type: ignore[arg-type]


def _proof(mail: InboundMessage, reference: str = "T-000012", **kw: object) -> Proof:
    settings: dict[str, object] = {"secret": SECRET, "token_days": DAYS, **kw}
    return agent_proof(mail, reference, NOW, **settings)  # type: ignore[arg-type]


def test_a_token_is_bound_to_ticket_agent_and_day() -> None:
    tag = subject_tag("T-000012", SECRET, AGENT, NOW)
    assert tag == f"[T-000012 key:{agent_token(SECRET, 'T-000012', AGENT, NOW.date())}]"
    assert tag.startswith(f"[T-000012 key:{NOW:%y%m%d}-")
    ok = _mail(f"Re: Needs a person {tag}")
    assert _proof(ok) == Proof("token", names_ticket=True)
    # The same subject from another agent, on another ticket, with another secret: no.
    assert not _proof(replace(ok, sender="other.agent@shop.example")).proven
    assert not _proof(ok, secret="another-secret-of-length").proven
    assert not _proof(_mail("Re: Needs a person [T-000012]")).proven
    # Customers' mail carries no token at all.
    assert subject_tag("T-000012", SECRET, None, NOW) == "[T-000012]"


def test_an_expired_token_is_told_apart_from_a_forgery() -> None:
    old = NOW - timedelta(days=DAYS + 1)
    mail = _mail(f"Re: x {subject_tag('T-000012', SECRET, AGENT, old)}")
    proof = _proof(mail)
    assert not proof.proven and f"issued on {old.date().isoformat()}" in proof.problem
    assert _proof(mail, token_days=DAYS + 2).proven
    # A token of the first kind (an HMAC of the ticket alone, in notices sent before
    # tokens had an agent and a day) is recognised, and no longer counts.
    digest = hmac.new(SECRET.encode(), b"mailbot-agent:T-000012", hashlib.sha256)
    first = _proof(_mail(f"Re: x [T-000012 key:{digest.hexdigest()[:20]}]"))
    assert not first.proven and "of the old kind" in first.problem
    assert _proof(_mail("Re: x [T-000012 key:e3cd2f0d3a9b1e8c7f6a]")) == Proof()


def test_another_tickets_token_does_not_act_here() -> None:
    mail = _mail(f"Re: x {subject_tag('T-000099', SECRET, AGENT, NOW)}")
    proof = _proof(mail)
    assert not proof.proven
    assert "names ticket T-000099, but the mail answers ticket T-000012" in proof.problem


def test_dkim_proves_the_sender_and_the_subject_must_name_the_ticket() -> None:
    plain = _mail("the Mueller case")
    assert _proof(plain, dkim_domains=("shop.example",)) == Proof("dkim", names_ticket=False)
    tagged = _mail("the Mueller case [T-000012]")
    assert _proof(tagged, dkim_domains=("shop.example",)) == Proof("dkim", names_ticket=True)
    assert _proof(tagged, dkim_domains=("example",)).proven  # a parent domain signs
    assert not _proof(tagged, dkim_domains=("evil.example",)).proven
    assert not _proof(tagged, dkim_domains=("hop.example",)).proven
    assert names_ticket("[T-000012 key:261126-0123456789abcdef0123]", "T-000012")
    assert not names_ticket("about T-000012", "T-000012")


def test_authentication_results_count_only_from_a_server_declared_to_strip_them() -> None:
    good = "mx.shop.example; dkim=pass (2048-bit key) header.d=shop.example header.s=s1"
    assert dkim_passes(good, "mx.shop.example", "shop.example")
    assert not dkim_passes(good, "mx.other.example", "shop.example")
    assert not dkim_passes(
        good.replace("dkim=pass", "dkim=fail"), "mx.shop.example", "shop.example"
    )
    assert not dkim_passes(good, "mx.shop.example", "evil.example")
    mail = _mail("x [T-000012]", headers=(("authentication-results", good),))
    # Without the admin's declaration the header proves nothing (anyone can write it).
    assert not _proof(mail).proven
    assert _proof(mail, authserv_id="mx.shop.example") == Proof(
        "authentication-results", names_ticket=True
    )
    # Only the topmost header counts: one added below ours by the sender proves nothing.
    forged = _mail(
        "x [T-000012]",
        headers=(
            ("authentication-results", "mx.shop.example; dkim=fail header.d=shop.example"),
            ("authentication-results", good),
        ),
    )
    assert not _proof(forged, authserv_id="mx.shop.example").proven


def test_a_copy_of_a_command_mail_has_the_same_content_key() -> None:
    mail = _mail("Re: x [T-000012]", received_at=NOW, in_reply_to="<mailbot.1@shop>")
    copy = replace(mail, message_id="<resent-copy@shop.example>")
    assert content_key(copy, "T-000012") == content_key(mail, "T-000012")
    again = replace(mail, received_at=NOW + timedelta(hours=2))  # written again, later
    assert content_key(again, "T-000012") != content_key(mail, "T-000012")
    assert content_key(mail, "T-000013") != content_key(mail, "T-000012")
