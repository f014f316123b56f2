"""The loop guard's route (core/guard.screen) and the ticket a customer's mail continues
(core/correlate.continued_ticket): pure, over facts the shell gathered."""

from __future__ import annotations

from dataclasses import replace

from mailbot.core.correlate import continued_ticket, quoted_references
from mailbot.core.guard import Route, Seen, screen
from mailbot.core.model import InboundMessage, Reading, Scenario, Ticket, TicketState

US = ("returns@shop.example",)
AGENTS = ("agent@shop.example",)


def _mail(sender: str = "ana@example.com", **headers: str) -> InboundMessage:
    return InboundMessage(
        "<m1@example.com>", sender, "Broken board", "It arrived broken.",
        headers=tuple(headers.items()),
    )  # fmt: skip


def _seen(recorded_as: str | None = None, replies: int = 0) -> Seen:
    return Seen("imap:1:7", recorded_as, replies)


def test_a_request_goes_to_the_customer_route() -> None:
    assert screen(_mail(), _seen(), US, AGENTS, 10).route is Route.CUSTOMER


def test_an_out_of_office_is_skipped() -> None:
    screened = screen(_mail(**{"auto-submitted": "auto-replied"}), _seen(), US, AGENTS, 10)
    assert (screened.route, screened.reason) == (Route.SKIP, "Auto-Submitted: auto-replied")


def test_the_same_message_id_under_another_key_is_skipped_under_its_own_key_not() -> None:
    again = screen(_mail(), _seen("imap:1:3"), US, AGENTS, 10)
    assert again.route is Route.SKIP
    assert again.reason == "already handled: same Message-ID as imap:1:3"
    assert screen(_mail(), _seen("imap:1:7"), US, AGENTS, 10).route is Route.CUSTOMER


def test_the_reply_limit_stops_a_customer_but_never_routes_an_agent_there() -> None:
    limited = screen(_mail(), _seen(replies=10), US, AGENTS, 10)
    assert limited.reason == "reply limit: 10 replies to ana@example.com in the last hour"
    agent = screen(_mail("agent@shop.example"), _seen(replies=10), US, AGENTS, 10)
    assert agent.route is Route.AGENT


def test_a_bounce_that_must_get_no_answer_may_still_report_our_mail() -> None:
    bounce = _mail("mailer-daemon@mx.example.org", **{"return-path": "<>"})
    assert screen(bounce, _seen(), US, AGENTS, 10).route is Route.BOUNCE


def _ticket(state: TicketState, **kw: object) -> Ticket:
    fields: dict[str, object] = dict(
        id=1, reference="T-000001", state=state, scenario=Scenario.QUALITY_DEFECT,
        customer_email="ana@example.com", order_id="100201",
    )  # fmt: skip
    fields.update(kw)
    return Ticket(**fields)  # type: ignore[arg-type]


def _naming(*orders: str) -> InboundMessage:
    return replace(_mail(), reading=Reading(order_numbers=orders))


def test_a_reply_continues_its_customers_open_ticket() -> None:
    ticket = _ticket(TicketState.NEEDS_INFO)
    assert continued_ticket(_naming(), ticket, None) == ticket
    assert continued_ticket(_naming("100201"), None, ticket) == ticket


def test_a_stranger_another_order_or_a_finished_ticket_opens_a_new_one() -> None:
    open_ticket = _ticket(TicketState.NEEDS_INFO)
    stranger = replace(_naming(), sender="eve@example.com")
    assert continued_ticket(stranger, open_ticket, None) is None
    assert continued_ticket(_naming("100999"), open_ticket, None) is None
    assert continued_ticket(_naming(), _ticket(TicketState.REJECTED), None) is None
    closed = _ticket(TicketState.CLOSED, reopenable=True)
    assert continued_ticket(_naming(), closed, None) == closed


def test_references_are_read_from_the_subject_then_the_own_words() -> None:
    mail = replace(
        _mail(), subject="Re: [T-000042]", reading=Reading(own_words="see RMA123456789 too")
    )
    assert quoted_references(mail) == ["T-000042", "RMA123456789"]
