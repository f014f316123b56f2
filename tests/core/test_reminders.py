"""Reminders, expiries and escalations: planned with each decision, decided when due."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.decide import decide
from mailbot.core.model import (
    Decision,
    Reminder,
    ReminderKind,
    Scenario,
    Ticket,
    TicketState,
)
from mailbot.core.reminders import decide_due, plan_reminders
from mailbot.core.rulebook import Rulebook
from mailbot.errors import RulebookError
from mailbot.rulefiles import load_rulebook
from tests.core.conftest import NOW, SCREENSHOT, STATEMENT, hd_photos, message, order, videos
from tests.core.test_rulebook import _copy, _edit

BERLIN = ZoneInfo("Europe/Berlin")
K = ReminderKind
AGENTS = ("agent@shop.example", "lead@shop.example")


def _local(
    year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def _approval(rules: Rulebook) -> Decision:
    return decide(
        None,
        message("The board is broken, order 100201", [*videos(3), *hd_photos(10), STATEMENT]),
        "100201",
        order(),
        rules,
        NOW,
    )


def _ticket_after(d: Decision, at: datetime = NOW, **changes: object) -> Ticket:
    base = Ticket(
        7,
        "T-000007",
        d.state,
        d.scenario,
        "ana@example.com",
        "100201",
        rma="RMA123456780",
        created_at=at,
        ship_by=d.ship_by,
        state_since=at,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _kinds(reminders: tuple[Reminder, ...]) -> list[tuple[ReminderKind, datetime]]:
    return [(r.kind, r.due_at) for r in reminders]


def _review_ticket(since: datetime, complex_case: bool = False) -> Ticket:
    return Ticket(
        9,
        "T-000009",
        TicketState.UNDER_REVIEW,
        Scenario.QUALITY_DEFECT,
        "ana@example.com",
        "100201",
        state_since=since,
        complex=complex_case,
    )


def review_escalation(
    rules: Rulebook,
    since: datetime,
    complex_case: bool = False,
    state: TicketState = TicketState.UNDER_REVIEW,
) -> Reminder:
    """The one reminder of a ticket in `state` (under review) since `since`: its
    escalation."""
    [review] = plan_reminders(
        state,
        anchor=since,
        ship_by=None,
        complex_case=complex_case,
        rules=rules,
        context={},
    )
    return review


def test_approval_plans_two_shipping_reminders_and_the_waiver(rules: Rulebook) -> None:
    d = _approval(rules)
    # Approved Thursday 26 Nov 2026 11:00 Berlin: ship by Thursday 3 Dec, end of day.
    assert d.ship_by == _local(2026, 12, 3, 23, 59, 59)
    assert _kinds(d.reminders) == [
        (K.SHIP_REMINDER, _local(2026, 12, 1, 9)),
        (K.SHIP_REMINDER, _local(2026, 12, 3, 9)),
        (K.SHIP_EXPIRED, _local(2026, 12, 4, 0)),
    ]
    assert [r.context["days_left"] for r in d.reminders[:2]] == [2, 0]
    assert all(r.state is TicketState.APPROVED for r in d.reminders)


def test_shipping_reminder_mails_the_customer_and_keeps_the_plan(rules: Rulebook) -> None:
    d = _approval(rules)
    ticket = _ticket_after(d)
    first = d.reminders[0]
    due = decide_due(ticket, first, rules, NOW + timedelta(days=5), AGENTS)
    assert due is not None
    assert (due.state, due.outcome) == (TicketState.APPROVED, "ship_reminder")
    [reply] = due.replies
    assert (reply.template, reply.to) == ("customer/ship_reminder", "ana@example.com")
    ship_by = reply.context["ship_by"]
    assert isinstance(ship_by, datetime) and ship_by.date().isoformat() == "2026-12-03"
    assert reply.context["carriers"] == ["FedEx", "DHL"]
    # The same plan again: the store keeps the fired one done and the others pending.
    assert _kinds(due.reminders) == _kinds(d.reminders)


def test_after_the_deadline_the_return_right_is_waived(rules: Rulebook) -> None:
    d = _approval(rules)
    expiry = d.reminders[-1]
    due = decide_due(_ticket_after(d), expiry, rules, NOW + timedelta(days=8), AGENTS)
    assert due is not None
    assert (due.state, due.outcome, due.reminders) == (TicketState.WAIVED, "ship_expired", ())
    assert due.replies[0].template == "customer/waived"
    assert [(r.template, r.to) for r in due.replies[1:]] == [
        ("agent/escalation", a) for a in AGENTS
    ]
    assert "waived" in due.reasons[0]


def test_a_reminder_for_a_state_the_ticket_left_is_stale(rules: Rulebook) -> None:
    d = _approval(rules)
    shipped = _ticket_after(d, state=TicketState.SHIPPED)
    assert decide_due(shipped, d.reminders[0], rules, NOW + timedelta(days=5), AGENTS) is None


def test_tracking_number_cancels_the_shipping_reminders(rules: Rulebook) -> None:
    ticket = _ticket_after(_approval(rules))
    d = decide(ticket, message("Sent with FedEx 123456789012"), "100201", order(), rules, NOW)
    assert (d.state, d.reminders) == (TicketState.SHIPPED, ())


def test_short_windows_skip_reminders_due_before_the_approval(rules: Rulebook) -> None:
    planned = plan_reminders(
        TicketState.APPROVED,
        anchor=_local(2026, 12, 2, 15),
        ship_by=_local(2026, 12, 3, 23, 59, 59),
        complex_case=False,
        rules=rules,
        context={},
    )
    # 1 Dec 09:00 (two days before) has passed at approval; the last day remains.
    assert [r.kind for r in planned] == [K.SHIP_REMINDER, K.SHIP_EXPIRED]
    assert planned[0].context["days_left"] == 0


def test_wrong_item_return_window_counts_working_days(rules: Rulebook) -> None:
    ticket = Ticket(
        8,
        "T-000008",
        TicketState.OPTIONS_OFFERED,
        Scenario.WRONG_ITEM,
        "ana@example.com",
        "100201",
        state_since=NOW,
    )
    d = decide(ticket, message("Option 2, I will return it"), "100201", order(), rules, NOW)
    # Thursday 26 Nov + 5 working days = Thursday 3 Dec (weekend skipped).
    assert d.ship_by == _local(2026, 12, 3, 23, 59, 59)
    assert [r.kind for r in d.reminders] == [K.SHIP_REMINDER, K.SHIP_REMINDER, K.SHIP_EXPIRED]


def test_missing_evidence_follow_up_then_close_that_a_reply_reopens(rules: Rulebook) -> None:
    d = decide(None, message("Broken, order 100201", videos(2)), "100201", order(), rules, NOW)
    assert d.state is TicketState.NEEDS_INFO
    follow_up, close = d.reminders
    # NOW is 11:00 Berlin: 3 days later is Sunday 29 Nov 11:00; the next 09:00 slot follows.
    assert (follow_up.kind, follow_up.due_at) == (K.INFO_FOLLOW_UP, _local(2026, 11, 30, 9))
    assert (close.kind, close.due_at) == (K.INFO_EXPIRED, NOW + timedelta(days=14))
    assert follow_up.context["asked"] == "evidence_missing"
    needs = follow_up.context["evidence"]["needs"]  # type: ignore[index]
    assert [(n["key"], n["missing"]) for n in needs] == [
        ("videos", 1),
        ("photos", 10),
        ("fault_statement", 1),
    ]

    ticket = _ticket_after(d)
    reminded = decide_due(ticket, follow_up, rules, follow_up.due_at, AGENTS)
    assert reminded is not None and reminded.state is TicketState.NEEDS_INFO
    assert reminded.replies[0].template == "customer/info_reminder"

    closed = decide_due(ticket, close, rules, close.due_at, AGENTS)
    assert closed is not None
    assert (closed.state, closed.reopenable, closed.reminders) == (TicketState.CLOSED, True, ())
    assert closed.replies[0].template == "customer/closed_no_reply"

    # The customer answers after the close with the missing video: the checks run again.
    reopened = decide(
        _ticket_after(d, state=TicketState.CLOSED, reopenable=True),
        message("Here is the third video", [*videos(3), *hd_photos(10), STATEMENT]),
        "100201",
        order(),
        rules,
        NOW + timedelta(days=15),
    )
    assert (reopened.state, reopened.outcome) == (TicketState.APPROVED, "rma_issued")


def test_every_customer_message_restarts_the_silence_count(rules: Rulebook) -> None:
    first = decide(None, message("Broken, order 100201", videos(1)), "100201", order(), rules, NOW)
    later = NOW + timedelta(days=2)
    again = decide(
        _ticket_after(first), message("one more", videos(2)), "100201", order(), rules, later
    )
    assert again.reminders[1].due_at == later + timedelta(days=14)


def test_an_unanswered_choice_goes_to_the_agents(rules: Rulebook) -> None:
    d = decide(
        None,
        message("Wrong item received for order 100201", [*hd_photos(2), SCREENSHOT]),
        "100201",
        order(days_ago=1),
        rules,
        NOW,
    )
    assert d.state is TicketState.OPTIONS_OFFERED, d.reasons
    follow_up, overdue = d.reminders
    assert (follow_up.kind, overdue.kind) == (K.CHOICE_FOLLOW_UP, K.CHOICE_OVERDUE)
    ticket = _ticket_after(d)
    nudge = decide_due(ticket, follow_up, rules, follow_up.due_at, AGENTS)
    assert nudge is not None and nudge.replies[0].template == "customer/choice_reminder"
    assert nudge.replies[0].context["compensation_percent"] == 50
    escalated = decide_due(ticket, overdue, rules, overdue.due_at, AGENTS)
    assert escalated is not None and escalated.state is TicketState.OPTIONS_OFFERED
    assert [(r.template, r.to) for r in escalated.replies] == [
        ("agent/escalation", a) for a in AGENTS
    ]


@pytest.mark.parametrize(
    ("complex_case", "due"),
    [
        # Under review from Thursday 24 Dec 2026 10:00 Berlin: 25 and 26 Dec are public
        # holidays in Germany, 26/27 a weekend; the 2nd working day is Tuesday 29 Dec.
        (False, _local(2026, 12, 29, 10)),
        (True, _local(2027, 1, 4, 10)),  # 28, 29, 30, 31 Dec, then 1 Jan is a holiday
    ],
)
def test_a_review_waiting_too_long_is_escalated_in_working_days(
    rules: Rulebook, complex_case: bool, due: datetime
) -> None:
    since = _local(2026, 12, 24, 10)
    review = review_escalation(rules, since, complex_case)
    assert (review.kind, review.due_at) == (K.REVIEW_OVERDUE, due)
    ticket = _review_ticket(since, complex_case)
    d = decide_due(ticket, review, rules, due, AGENTS)
    assert d is not None and len(d.replies) == 2
    assert "working days" in str(d.replies[0].context["why"])
    assert decide_due(ticket, review, rules, due, ()) is not None  # no agents: audit only


def test_an_escalation_nobody_acts_on_comes_again_each_working_day(rules: Rulebook) -> None:
    since = _local(2026, 12, 24, 10)
    review = review_escalation(rules, since)  # due Tuesday 29 Dec 10:00
    d = decide_due(_review_ticket(since), review, rules, review.due_at, AGENTS)
    assert d is not None
    # The plan keeps the first escalation (done; the store does not repeat it) and adds
    # the next one a working day later, at the same hour.
    assert _kinds(d.reminders) == [
        (K.REVIEW_OVERDUE, _local(2026, 12, 29, 10)),
        (K.REVIEW_OVERDUE, _local(2026, 12, 30, 10)),
    ]
    again = decide_due(
        _review_ticket(since), d.reminders[-1], rules, d.reminders[-1].due_at, AGENTS
    )
    assert again is not None and len(again.replies) == 2
    # The third on Thursday 31 Dec.
    assert again.reminders[-1].due_at == _local(2026, 12, 31, 10)


def test_after_an_outage_missed_repeats_do_not_all_come_at_once(rules: Rulebook) -> None:
    since = _local(2026, 12, 24, 10)
    review = review_escalation(rules, since)
    late = _local(2027, 1, 7, 15)  # the service was down for over a week
    d = decide_due(_review_ticket(since), review, rules, late, AGENTS)
    assert d is not None and d.reminders[-1].due_at == _local(2027, 1, 8, 15)


def test_repeats_can_be_switched_off(rules: Rulebook) -> None:
    once = replace(rules, reminders=replace(rules.reminders, escalation_repeat_working_days=0))
    since = _local(2026, 12, 24, 10)
    review = review_escalation(once, since)
    d = decide_due(_review_ticket(since), review, once, review.due_at, AGENTS)
    assert d is not None and _kinds(d.reminders) == [(K.REVIEW_OVERDUE, review.due_at)]


def test_refund_not_issued_after_inspection_is_escalated(rules: Rulebook) -> None:
    since = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday
    refund = review_escalation(rules, since, state=TicketState.INSPECTED)
    assert (refund.kind, refund.due_at) == (K.REFUND_OVERDUE, _local(2026, 12, 1, 10))


def test_terminal_states_have_no_reminders(rules: Rulebook) -> None:
    for state in (TicketState.SHIPPED, TicketState.REJECTED, TicketState.CLOSED):
        assert (
            plan_reminders(
                state, anchor=NOW, ship_by=None, complex_case=False, rules=rules, context={}
            )
            == ()
        )


def test_reminder_rules_are_validated(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    _edit(rules / "reminders.toml", "close_days = 14", "close_days = 2")
    _edit(rules / "reminders.toml", "send_hour = 9", "send_hour = 25")
    _edit(
        rules / "reminders.toml",
        "escalation_repeat_working_days = 1",
        "escalation_repeat_working_days = -1",
    )
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    assert sorted(p.key for p in caught.value.problems) == [
        "reminders.close_days",
        "reminders.escalation_repeat_working_days",
        "reminders.send_hour",
    ]
    assert all(p.path.endswith("reminders.toml") and p.line for p in caught.value.problems)


def test_rule_files_without_the_repeat_setting_still_load(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    _edit(rules / "reminders.toml", "escalation_repeat_working_days = 1", "")
    assert load_rulebook(rules).reminders.escalation_repeat_working_days == 1


def test_holidays_come_from_the_library(rules: Rulebook) -> None:
    assert date(2026, 12, 25) in rules.holidays and date(2026, 12, 24) not in rules.holidays
