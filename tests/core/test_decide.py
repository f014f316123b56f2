"""Every policy branch of `decide`, as plain calls on literal data."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from mailbot.core.decide import decide
from mailbot.core.model import (
    Decision,
    InboundMessage,
    Money,
    Order,
    Scenario,
    Ticket,
    TicketState,
)
from mailbot.core.rulebook import Rulebook
from tests.core.conftest import NOW, SCREENSHOT, STATEMENT, facts, hd_photos, message, order, videos

DEFECT = "The board arrived dead, it does not power on."
WRONG = "I received the wrong item, a F401 board instead of the F407."
CHANGE = "I changed my mind and no longer need it. It is unused in its box."


def run(
    rules: Rulebook,
    msg: InboundMessage,
    the_order: Order | None = None,
    number: str | None = "100201",
) -> Decision:
    return decide(None, msg, number, the_order if the_order is not None else order(), rules, NOW)


def test_complete_defect_issues_rma_with_ship_by_and_refund_rule(rules: Rulebook) -> None:
    d = run(rules, message(DEFECT, [*videos(3), *hd_photos(10), STATEMENT]))
    assert (d.state, d.outcome, d.issue_rma, d.scenario) == (
        TicketState.APPROVED,
        "rma_issued",
        True,
        Scenario.QUALITY_DEFECT,
    )
    assert d.ship_by is not None and d.ship_by.date() == (NOW + timedelta(days=7)).date()
    context = d.replies[0].context
    assert context["carriers"] == ["FedEx", "DHL"]
    ship_by = context["ship_by"]
    assert isinstance(ship_by, datetime) and ship_by.tzinfo == rules.timezone
    assert ship_by.date().isoformat() == "2026-12-03"
    assert (context["ship_days"], context["working_days"]) == (7, False)
    assert d.refund is None and d.replies[0].template == "customer/rma_issued"


def test_two_videos_instead_of_three_lists_what_is_missing(rules: Rulebook) -> None:
    d = run(rules, message(DEFECT, [*videos(2), *hd_photos(10), STATEMENT]))
    assert (d.state, d.outcome, d.issue_rma) == (TicketState.NEEDS_INFO, "evidence_missing", False)
    evidence = d.replies[0].context["evidence"]
    assert isinstance(evidence, dict)
    missing = [(n["key"], n["missing"], n["counted"]) for n in evidence["needs"] if n["missing"]]
    assert missing == [("videos", 1, 2)]


def test_text_file_named_mp4_is_not_a_video(rules: Rulebook) -> None:
    fake = facts("clip3.mp4", "text/plain", 99)
    d = run(rules, message(DEFECT, [*videos(2), fake, *hd_photos(10), STATEMENT]))
    assert d.outcome == "evidence_missing"
    evidence = d.replies[0].context["evidence"]
    assert isinstance(evidence, dict)
    assert {"file": "clip3.mp4", "why": "misnamed", "detail": "video"} in evidence["not_counted"]


@pytest.mark.parametrize(
    ("name", "mime", "says"),
    [
        ("winmail.dat", "application/vnd.ms-tnef", "outlook"),
        ("winmail.dat", "application/octet-stream", "outlook"),
        ("photos.zip", "application/zip", "archive"),
        ("clips.7z", "application/x-7z-compressed", "archive"),
    ],
)
def test_outlook_wrappers_and_archives_are_explained_never_silently_zero(
    rules: Rulebook, name: str, mime: str, says: str
) -> None:
    d = run(rules, message(DEFECT, [facts(name, mime, 7), *hd_photos(10), STATEMENT]))
    assert d.outcome == "evidence_missing"
    evidence = d.replies[0].context["evidence"]
    assert isinstance(evidence, dict)
    assert any(n["file"] == name and n["why"] == says for n in evidence["not_counted"])


def test_small_photos_do_not_count_and_are_named(rules: Rulebook) -> None:
    small = [facts(f"small{i}.jpg", "image/jpeg", 50 + i, 640, 480) for i in range(2)]
    d = run(rules, message(DEFECT, [*videos(3), *hd_photos(8), *small, STATEMENT]))
    assert d.outcome == "evidence_missing"
    evidence = d.replies[0].context["evidence"]
    assert isinstance(evidence, dict)
    assert {"file": "small0.jpg", "why": "not_hd", "detail": "640×480"} in evidence["not_counted"]
    missing = [(n["key"], n["missing"], n["counted"]) for n in evidence["needs"] if n["missing"]]
    assert missing == [("photos", 2, 8)]


def test_portrait_phone_photos_are_hd(rules: Rulebook) -> None:
    d = run(rules, message(DEFECT, [*videos(3), *hd_photos(10, 1080, 1920), STATEMENT]))
    assert d.outcome == "rma_issued"


def test_same_file_twice_counts_once(rules: Rulebook) -> None:
    twice = [*videos(2), videos(2)[1]]
    d = run(rules, message(DEFECT, [*twice, *hd_photos(10), STATEMENT]))
    assert d.outcome == "evidence_missing"
    assert d.evidence is not None and d.evidence.duplicates == 1


def test_delivery_40_days_ago_is_refused_naming_the_window(rules: Rulebook) -> None:
    d = run(rules, message(DEFECT, [*videos(3), *hd_photos(10), STATEMENT]), order(days_ago=40))
    assert (d.state, d.outcome, d.issue_rma) == (TicketState.REJECTED, "refused", False)
    assert d.replies[0].context["rule"] == "return_window"
    assert "30-day return window closed" in d.reasons[-1]


def test_wrong_item_within_48h_gets_two_options(rules: Rulebook) -> None:
    d = run(rules, message(WRONG, [SCREENSHOT, *hd_photos(2)]), order(days_ago=1))
    assert (d.state, d.outcome, d.issue_rma) == (
        TicketState.OPTIONS_OFFERED,
        "options_offered",
        False,
    )
    assert d.replies[0].context["compensation_percent"] == 50
    assert d.replies[0].context["return_working_days"] == 5


def test_wrong_item_after_48h_is_refused(rules: Rulebook) -> None:
    d = run(rules, message(WRONG, [SCREENSHOT, *hd_photos(2)]), order(days_ago=3))
    assert d.outcome == "refused" and d.replies[0].context["rule"] == "wrong_item_window"


def test_wrong_item_without_screenshot_asks_for_it(rules: Rulebook) -> None:
    d = run(rules, message(WRONG, hd_photos(3)), order(days_ago=1))
    assert d.outcome == "evidence_missing"
    assert d.evidence is not None
    assert [r.key for r in d.evidence.requirements if not r.met] == ["screenshot"]


def test_change_of_mind_gets_rma_with_computed_refund(rules: Rulebook) -> None:
    d = run(rules, message(CHANGE, hd_photos(2)), order(days_ago=10))
    assert d.outcome == "rma_issued" and d.scenario is Scenario.DEMAND_CHANGE
    assert d.refund == Decimal("68.00")
    assert d.replies[0].context["refund"] == Money(Decimal("68.00"), "EUR")


def test_change_of_mind_of_programmed_part_is_refused(rules: Rulebook) -> None:
    d = run(
        rules,
        message(
            CHANGE.replace("It is unused in its box.", "I already programmed it."), hd_photos(2)
        ),
    )
    assert d.outcome == "refused" and d.replies[0].context["rule"] == "unused_condition"


def test_defect_on_soldered_part_goes_to_an_agent(rules: Rulebook) -> None:
    d = run(
        rules,
        message(DEFECT + " I soldered the headers first.", [*videos(3), *hd_photos(10), STATEMENT]),
    )
    assert (d.state, d.outcome) == (TicketState.UNDER_REVIEW, "agent_review")


def test_sender_other_than_order_customer_gets_no_rma(rules: Rulebook) -> None:
    d = run(
        rules,
        message(DEFECT, [*videos(3), *hd_photos(10), STATEMENT], sender="mallory@example.net"),
    )
    assert (d.outcome, d.issue_rma) == ("order_not_matched", False)
    assert d.replies[0].to == "mallory@example.net"
    assert d.agent_notice == "sender mallory@example.net is not the customer of order 100201"
    # The stranger gets what a mail about an order that does not exist gets: nothing of
    # the order, now or in the reminders.
    unknown = decide(
        None, message(DEFECT, sender="mallory@example.net"), "100201", None, rules, NOW
    )
    assert d.replies[0].template == unknown.replies[0].template
    assert d.replies[0].context == unknown.replies[0].context
    assert d.order_id is None and d.reminders == unknown.reminders


def test_sender_match_ignores_case(rules: Rulebook) -> None:
    d = run(
        rules, message(DEFECT, [*videos(3), *hd_photos(10), STATEMENT], sender="Ana@Example.COM")
    )
    assert d.outcome == "rma_issued"


def test_no_order_number_asks_for_it(rules: Rulebook) -> None:
    d = decide(None, message(DEFECT, subject="Broken"), None, None, rules, NOW)
    assert (d.state, d.outcome) == (TicketState.NEEDS_INFO, "ask_order_number")


def test_unknown_order_number_asks_again(rules: Rulebook) -> None:
    d = decide(None, message(DEFECT), "999999", None, rules, NOW)
    assert d.outcome == "order_not_matched" and d.replies[0].context["order_number"] == "999999"


def test_ambiguous_request_asks_which_case(rules: Rulebook) -> None:
    d = run(rules, message("I want to return my order."))
    assert (d.state, d.outcome, d.agent_notice) == (TicketState.NEEDS_INFO, "ask_scenario", "")
    options = d.replies[0].context["options"]
    assert isinstance(options, list) and [o["scenario"] for o in options] == [
        "quality_defect",
        "wrong_item",
        "demand_change",
    ]


def test_two_scenarios_at_once_is_ambiguous(rules: Rulebook) -> None:
    d = run(rules, message("Wrong item, and it is broken too."))
    why = "scenario unclear: no scenario leads by the margin of 1.5 (lead 1.0)"
    assert (d.outcome, d.reasons[-1], d.agent_notice) == ("ask_scenario", why, why)
    assert 'wrong_item +3.0: "Wrong item"' in d.reasons


def test_change_of_mind_closed_by_rule_switch(rules: Rulebook) -> None:
    from dataclasses import replace

    closed = replace(rules, demand_change_accepted=False)
    d = run(closed, message(CHANGE, hd_photos(2)))
    assert d.outcome == "refused" and d.replies[0].context["rule"] == "non_quality"


def test_delivery_in_the_future_goes_to_an_agent(rules: Rulebook) -> None:
    d = run(rules, message(DEFECT), order(days_ago=-2))
    assert d.outcome == "agent_review"


def test_quoted_history_is_not_read_as_the_request(rules: Rulebook) -> None:
    text = "I changed my mind, it is unused.\n\nOn Mon, Shop wrote:\n> is it broken or defective?"
    d = run(rules, message(text, hd_photos(2)))
    assert d.scenario is Scenario.DEMAND_CHANGE


def test_every_decision_carries_its_reasons(rules: Rulebook) -> None:
    d = run(rules, message(DEFECT, [*videos(3), *hd_photos(10), STATEMENT]))
    assert d.reasons[:2] == ("order 100201 found", "sender is the order's customer")
    assert 'quality_defect +6.0: "arrived dead", "not power on"' in d.reasons
    assert "scenario quality_defect: leads by 6.0 (margin 1.5)" in d.reasons


def test_follow_up_keeps_the_ticket_scenario_and_adds_earlier_evidence(rules: Rulebook) -> None:
    ticket = Ticket(
        1, "T-000001", TicketState.NEEDS_INFO, Scenario.QUALITY_DEFECT, "ana@example.com", "100201"
    )
    earlier = (*videos(2), *hd_photos(10), STATEMENT)
    follow_up = message("Here is the third video.", [videos(3)[2]], subject="Re: evidence")
    d = decide(ticket, follow_up, "100201", order(), rules, NOW, earlier)
    assert (d.outcome, d.scenario, d.issue_rma) == ("rma_issued", Scenario.QUALITY_DEFECT, True)
    assert "scenario quality_defect from ticket T-000001" in d.reasons
    without = decide(ticket, follow_up, "100201", order(), rules, NOW)
    assert without.outcome == "evidence_missing"
