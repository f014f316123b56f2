"""Agent commands and their proof, as plain calls."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.core.commands import apply_commands, parse_commands
from mailbot.core.commandset import command_help
from mailbot.core.model import InboundMessage, Money, Scenario, Ticket, TicketState
from mailbot.core.rulebook import Rulebook
from tests.core.conftest import NOW, hd_photos, order, videos

AGENT = "agent@shop.example"
S = TicketState


def _ticket(state: TicketState = S.NEEDS_INFO, **kw: object) -> Ticket:
    base = Ticket(
        12,
        "T-000012",
        state,
        Scenario.QUALITY_DEFECT,
        "ana@example.com",
        "100201",
        created_at=NOW - timedelta(days=1),
        state_since=NOW - timedelta(days=1),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _mail(
    text: str, subject: str = "Re: Needs a person [T-000012]", **kw: object
) -> InboundMessage:
    return InboundMessage("<agent-1@shop.example>", AGENT, subject, text, **kw)  # type: ignore[arg-type]


def _apply(ticket: Ticket, text: str, rules: Rulebook):  # type: ignore[no-untyped-def]
    return apply_commands(ticket, _mail(text), AGENT, order(), tuple(videos(2)), rules, NOW)


def test_commands_are_read_from_line_starts_outside_quotes_and_signature(rules: Rulebook) -> None:
    text = (
        "Looked at it.\n/note photos are fine\n  /COMPLEX\nplease /approve later\n"
        "> /reject quoted\n-- \n/close in the signature\n"
    )
    commands, errors = parse_commands(text, rules)
    assert [(c.name.value, c.arg) for c in commands] == [
        ("note", "photos are fine"),
        ("complex", ""),
    ]
    assert errors == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("/frobnicate", "unknown command /frobnicate"),
        ("/reject", "needs a reason"),
        ("/scenario banana", "needs one of"),
        ("/extend soon", "needs a number of days"),
        ("/inspected maybe", "needs pass, fail or reduced"),
        ("/inspected reduced 120", "needs pass, fail or reduced"),
        ("/refund -5", "positive number"),
    ],
)
def test_bad_commands_are_named(rules: Rulebook, line: str, problem: str) -> None:
    _commands, errors = parse_commands(line, rules)
    assert len(errors) == 1 and errors[0].startswith(line) and problem in errors[0]


def test_approve_with_missing_evidence_issues_the_rma(rules: Rulebook) -> None:
    result = _apply(_ticket(), "/approve", rules)
    d = result.decision
    assert (d.state, d.issue_rma, result.changed) == (S.APPROVED, True, True)
    customer, answer = d.replies
    assert (customer.template, customer.to) == ("customer/rma_issued", "ana@example.com")
    assert (answer.template, answer.to) == ("agent/command_answer", AGENT)
    assert d.reasons[0] == f"{AGENT}: /approve"
    assert [r.kind.value for r in d.reminders] == ["ship_reminder", "ship_reminder", "ship_expired"]
    assert d.ship_by is not None and d.ship_by > NOW + timedelta(days=7)


def test_reject_tells_the_customer_the_reason(rules: Rulebook) -> None:
    d = _apply(_ticket(S.UNDER_REVIEW), "/reject The photos show water damage.", rules).decision
    assert d.state is S.REJECTED and d.reminders == ()
    assert d.replies[0].template == "customer/refused"
    assert d.replies[0].context["reason"] == "The photos show water damage."
    assert d.replies[0].context["rule"] == "agent"


def test_an_impossible_transition_changes_nothing(rules: Rulebook) -> None:
    result = _apply(_ticket(S.SHIPPED), "/note ok\n/approve", rules)
    assert not result.changed and result.decision.keep_plan
    [answer] = result.decision.replies
    assert answer.template == "agent/command_answer"
    assert (
        "/approve: a ticket that is shipped cannot become approved" in answer.context["errors"][0]
    )
    assert result.decision.state is S.SHIPPED


def test_one_unknown_command_stops_the_whole_mail(rules: Rulebook) -> None:
    result = _apply(_ticket(S.UNDER_REVIEW), "/reject no\n/frobnicate", rules)
    assert not result.changed and result.decision.state is S.UNDER_REVIEW
    assert [r.template for r in result.decision.replies] == ["agent/command_answer"]


def test_the_return_to_its_end_received_inspected_refunded(rules: Rulebook) -> None:
    shipped = _ticket(S.SHIPPED, rma="RMA123456780")
    d = _apply(shipped, "/received\n/inspected reduced 20", rules).decision
    assert d.state is S.INSPECTED
    assert [r.template for r in d.replies] == [
        "customer/received",
        "customer/inspected",
        "agent/command_answer",
    ]
    assert d.replies[1].context["reduced_percent"] == 20
    assert [r.kind.value for r in d.reminders] == ["refund_overdue"]
    refunded = _apply(replace(shipped, state=S.INSPECTED), "/refund 42,50", rules).decision
    assert refunded.state is S.REFUNDED and refunded.replies[0].context["amount"] == Money(
        Decimal("42.50"), "EUR"
    )
    failed = _apply(replace(shipped, state=S.RECEIVED), "/inspected fail", rules).decision
    assert failed.state is S.REJECTED and failed.replies[0].context["rule"] == "inspection"


def test_extend_moves_the_deadline_and_the_reminders(rules: Rulebook) -> None:
    ship_by = NOW + timedelta(days=6)
    d = _apply(_ticket(S.APPROVED, ship_by=ship_by), "/extend 5", rules).decision
    assert d.ship_by == ship_by + timedelta(days=5) and d.state is S.APPROVED
    assert d.reminders[-1].due_at == ship_by + timedelta(days=5, seconds=1)
    assert d.replies[0].template == "customer/deadline_extended"
    assert _apply(_ticket(S.NEEDS_INFO), "/extend 5", rules).errors


def test_scenario_correction_checks_the_request_again(rules: Rulebook) -> None:
    ticket = _ticket(S.UNDER_REVIEW, scenario=Scenario.QUALITY_DEFECT)
    d = apply_commands(
        ticket, _mail("/scenario change"), AGENT, order(), tuple(hd_photos(2)), rules, NOW
    ).decision
    assert d.scenario is Scenario.DEMAND_CHANGE and d.state is S.APPROVED and d.refund is not None


def test_complex_keeps_the_state_and_lengthens_the_review(rules: Rulebook) -> None:
    ticket = _ticket(S.UNDER_REVIEW)
    d = _apply(ticket, "/complex", rules).decision
    assert (d.state, d.complex, d.keep_plan, d.clock_from) == (S.UNDER_REVIEW, True, False, None)
    [review] = d.reminders
    assert review.context["working_days"] == 5


def test_status_help_and_note_change_no_state(rules: Rulebook) -> None:
    result = _apply(_ticket(), "/status\n/help", rules)
    assert not result.changed and result.decision.keep_plan
    commands = result.decision.replies[0].context["commands"]
    assert commands == command_help(rules)
    assert (
        "/reject <reason> - refuse the return; the customer gets the reason (also /refuse, /deny)"
        in commands
    )
    noted = _apply(_ticket(), "/note called the customer", rules).decision
    assert noted.keep_plan and "note: called the customer" in noted.reasons


def test_reopen_only_closed_tickets(rules: Rulebook) -> None:
    assert _apply(_ticket(S.CLOSED), "/reopen", rules).decision.state is S.UNDER_REVIEW
    assert _apply(_ticket(S.APPROVED), "/reopen", rules).errors


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_command_parser_never_raises(rules: Rulebook, text: str) -> None:
    commands, errors = parse_commands(text, rules)
    assert all(c.line.startswith("/") for c in commands)
    assert len(commands) + len(errors) <= text.count("/")
