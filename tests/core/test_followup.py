"""Replies on a ticket that moved on: tracking numbers, the wrong-item choice, lifecycle."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mailbot.core.calendar import add_working_days
from mailbot.core.decide import decide
from mailbot.core.lifecycle import IllegalTransition, check_transition
from mailbot.core.model import Scenario, Ticket, TicketState
from mailbot.core.rulebook import Rulebook
from mailbot.core.tracking import find_tracking
from tests.core.conftest import NOW, message, order, videos


def _ticket(state: TicketState, scenario: Scenario = Scenario.QUALITY_DEFECT) -> Ticket:
    return Ticket(7, "T-000007", state, scenario, "ana@example.com", "100201", rma="RMA123456780")


@pytest.mark.parametrize(
    ("text", "number", "carrier", "accepted"),
    [
        ("Tracking: 123456789012", "123456789012", "FedEx", True),
        ("DHL 1234567890 sent today", "1234567890", "DHL", True),
        ("JJD0099999999999999 is the number", "JJD0099999999999999", "DHL", True),
        ("sent by post, RR123456789CN", "RR123456789CN", "postal service (UPU S10)", False),
        ("usps 9400111899223334445566", "9400111899223334445566", "USPS", False),
    ],
)
def test_tracking_formats(
    rules: Rulebook, text: str, number: str, carrier: str, accepted: bool
) -> None:
    found = find_tracking(text, rules.carrier_formats)
    assert found is not None and found.carrier is not None
    assert (found.number, found.carrier.name, found.carrier.accepted) == (number, carrier, accepted)


@pytest.mark.parametrize(
    ("text", "number", "carrier"),
    [
        ("FedEx tracking: 1234 5678 9012, thanks", "123456789012", "FedEx"),
        ("DHL 1234 567 890 sent today", "1234567890", "DHL"),
        ("It is JJD 0099 9999 9999 9999 99.", "JJD009999999999999999", "DHL"),
        ("sent by post: RR 123 456 789 CN", "RR123456789CN", "postal service (UPU S10)"),
        ("Number 1234-5678-9012", "123456789012", "FedEx"),
    ],
)
def test_tracking_numbers_written_in_groups(
    rules: Rulebook, text: str, number: str, carrier: str
) -> None:
    found = find_tracking(text, rules.carrier_formats)
    assert found is not None and found.carrier is not None
    assert (found.number, found.carrier.name) == (number, carrier)


@pytest.mark.parametrize(
    "text",
    [
        "Call me: +49 170 1234 5678",  # a phone number, not FedEx
        "I sent it on 27 11 2026 at 10 30",  # short groups that join to no known format
        "Order 1234 5678 9012 was sent",  # the excluded (order) number, in groups
    ],
)
def test_grouped_digits_that_are_no_tracking_number(rules: Rulebook, text: str) -> None:
    assert find_tracking(text, rules.carrier_formats, ("123456789012",)) is None


def test_a_number_in_one_piece_comes_before_a_grouped_one(rules: Rulebook) -> None:
    found = find_tracking("1234 5678 9012 or 1234567890?", rules.carrier_formats)
    assert found is not None and found.number == "1234567890"


def test_unknown_format_and_excluded_numbers(rules: Rulebook) -> None:
    found = find_tracking("number ABC12345678X9", rules.carrier_formats)
    assert found is not None and (found.number, found.carrier) == ("ABC12345678X9", None)
    assert (
        find_tracking("RMA123456780 order 100201", rules.carrier_formats, ("RMA123456780",)) is None
    )


def test_fedex_number_ships_the_ticket(rules: Rulebook) -> None:
    d = decide(
        _ticket(TicketState.APPROVED),
        message("Shipped! 123456789012"),
        "100201",
        order(),
        rules,
        NOW,
    )
    assert (d.state, d.outcome) == (TicketState.SHIPPED, "shipped")
    assert d.replies[0].context["carrier"] == "FedEx"


def test_postal_number_is_refused_and_the_ticket_stays_approved(rules: Rulebook) -> None:
    d = decide(
        _ticket(TicketState.APPROVED), message("Sent: RR123456789CN"), "100201", order(), rules, NOW
    )
    assert (d.state, d.outcome) == (TicketState.APPROVED, "carrier_refused")
    assert "Postal services are not accepted." in d.reasons[-1]


def test_reply_without_tracking_number_asks_for_it(rules: Rulebook) -> None:
    d = decide(
        _ticket(TicketState.APPROVED),
        message("When do I get my money?"),
        "100201",
        order(),
        rules,
        NOW,
    )
    assert (d.state, d.outcome) == (TicketState.APPROVED, "ask_tracking")


def test_wrong_item_keep_choice_is_recorded(rules: Rulebook) -> None:
    t = _ticket(TicketState.OPTIONS_OFFERED, Scenario.WRONG_ITEM)
    d = decide(
        t, message("I choose option 1, I will keep it."), "100201", order(days_ago=1), rules, NOW
    )
    assert (d.state, d.outcome, d.issue_rma) == (
        TicketState.CLOSED,
        "kept_with_compensation",
        False,
    )


def test_wrong_item_return_choice_issues_rma_with_working_day_deadline(rules: Rulebook) -> None:
    t = _ticket(TicketState.OPTIONS_OFFERED, Scenario.WRONG_ITEM)
    d = decide(
        t, message("Option 2 please, I will send it back."), "100201", order(days_ago=1), rules, NOW
    )
    assert (d.state, d.outcome, d.issue_rma) == (TicketState.APPROVED, "rma_issued", True)
    # Thursday 26 Nov 2026 + 5 working days = Thursday 3 Dec 2026.
    assert d.ship_by is not None and d.ship_by.date() == date(2026, 12, 3)


def test_unclear_choice_asks_again(rules: Rulebook) -> None:
    t = _ticket(TicketState.OPTIONS_OFFERED, Scenario.WRONG_ITEM)
    d = decide(t, message("Thanks, what now?"), "100201", order(days_ago=1), rules, NOW)
    assert (d.state, d.outcome) == (TicketState.OPTIONS_OFFERED, "ask_choice")


def test_a_message_during_review_joins_the_case_and_keeps_its_clock(rules: Rulebook) -> None:
    t = _ticket(TicketState.UNDER_REVIEW)
    d = decide(t, message("Any news? I sent everything."), "100201", order(), rules, NOW)
    assert (d.state, d.outcome, d.keep_plan, d.clock_from) == (
        TicketState.UNDER_REVIEW,
        "review_update",
        True,  # the review's reminders and escalation stay as they were
        None,  # and its clock is not restarted
    )
    assert d.reminders == () and not d.issue_rma
    assert d.agent_notice == "the customer wrote again while the case is under review"
    [reply] = d.replies
    assert reply.template == "customer/review_update" and reply.context["attachments"] == 0


def test_attachments_sent_during_review_are_named_for_the_agents(rules: Rulebook) -> None:
    t = _ticket(TicketState.UNDER_REVIEW)
    sent = videos(2)
    d = decide(t, message("Here are two more videos.", sent), "100201", order(), rules, NOW)
    assert d.state is TicketState.UNDER_REVIEW
    assert d.agent_notice.endswith("under review (2 attachments)")


def test_working_days_skip_weekends_and_public_holidays(rules: Rulebook) -> None:
    # Wednesday 23 Dec 2026: 24th is a working day, 25th/26th are German holidays,
    # then a weekend; so 3 working days end on Tuesday 29 December.
    start = datetime(2026, 12, 23, 12, tzinfo=UTC)
    assert add_working_days(start, 3, rules.holidays, rules.timezone).date() == date(2026, 12, 29)
    assert date(2026, 12, 25) in rules.holidays


def test_lifecycle_refuses_impossible_transitions() -> None:
    check_transition(TicketState.APPROVED, TicketState.SHIPPED)
    with pytest.raises(IllegalTransition, match="a ticket that is refunded cannot become approved"):
        check_transition(TicketState.REFUNDED, TicketState.APPROVED)
