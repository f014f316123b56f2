"""Which of our mails a bounce returns, and which ticket an agent's mail answers, as
plain calls."""

from __future__ import annotations

from dataclasses import dataclass

from mailbot.core.bounce import bounced_mail, read_bounce
from mailbot.core.correlate import THREAD_IDS, Threads, answered_ids, answered_ticket
from mailbot.core.model import InboundMessage

OURS = "<mailbot.0123456789abcdef0123456789abcdef@shop.example>"
OTHER = "<mailbot.fedcba9876543210fedcba9876543210@shop.example>"


@dataclass(frozen=True)
class Sent:
    message_id: str
    to_addr: str


def _bounce(text: str, **kw: object) -> InboundMessage:
    return InboundMessage("<dsn@mx>", "mailer-daemon@mx.example", "Undelivered", text, **kw)  # type: ignore[arg-type]


def test_a_bounce_counts_only_for_the_address_our_mail_went_to() -> None:
    report = read_bounce(
        _bounce(
            f"Final-Recipient: rfc822; J.Mueller@example.de\nStatus: 5.2.2\n\nMessage-ID: {OURS}\n"
        )
    )
    assert report.recipients == ("j.mueller@example.de",) and report.permanent
    sent = [Sent(OURS, "j.mueller@example.de"), Sent(OTHER, "anna@example.com")]
    assert bounced_mail(report, sent) == sent[0]
    # Our id, but sent to someone else than the bounce names: proves nothing.
    assert bounced_mail(report, [Sent(OURS, "anna@example.com")]) is None
    # A recipient but none of our ids (a ticket number is no proof).
    assert (
        bounced_mail(read_bounce(_bounce("Final-Recipient: rfc822; a@b.c\nT-000002")), sent) is None
    )


def test_failed_recipients_header_and_threading_ids_count_too() -> None:
    report = read_bounce(
        _bounce(
            "550 no such user",
            in_reply_to=OURS,
            headers=(("x-failed-recipients", "anna@example.com"),),
        )
    )
    assert report.message_ids == (OURS,) and report.recipients == ("anna@example.com",)
    assert not report.permanent


def test_an_agent_mail_answers_the_nearest_of_our_mails_to_agents() -> None:
    mail = InboundMessage(
        "<a@shop>", "agent@shop.example", "Re: x", "/approve",
        in_reply_to="<customer-planted@x>", references=("<root@x>", OTHER, "<planted@x>", OURS),
    )  # fmt: skip
    assert answered_ids(mail) == ["<customer-planted@x>", OURS, "<planted@x>", OTHER, "<root@x>"]
    assert answered_ticket(mail, {OURS: 7, OTHER: 9}) == 7
    assert answered_ticket(mail, {}) is None


def test_replies_thread_by_audience() -> None:
    threads = Threads(customer=("<c1@x>", "<c2@x>"), agents=tuple(f"<a{n}@x>" for n in range(15)))
    assert threads.headers(to_agent=False) == ("<c2@x>", ("<c1@x>", "<c2@x>"))
    parent, ids = threads.headers(to_agent=True)
    assert parent == "<a14@x>" and len(ids) == THREAD_IDS and ids[0] == "<a0@x>"
    assert Threads().headers(to_agent=True) == (None, ())
