"""An RMA (or the wrong-item options) only when the customer's own new words make the
case clear: never on what a mail sends, its subject alone, a cue that happens to weigh
a little more than another case's, or a customer who sounds unsure."""

from __future__ import annotations

from mailbot.core.decide import decide
from mailbot.core.model import AttachmentFacts, Decision
from mailbot.core.rulebook import Rulebook
from tests.core.conftest import NOW, STATEMENT, hd_photos, message, order, videos

COMPLETE_DEFECT = [*videos(3), *hd_photos(10), STATEMENT]
DEFECT = "The board is defective and does not power on."


def _decided(
    rules: Rulebook, text: str, attachments: list[AttachmentFacts], subject: str = "Order 100201"
) -> Decision:
    return decide(None, message(text, attachments, subject=subject), "100201", order(), rules, NOW)


def test_a_clear_defect_in_the_customer_s_words_with_its_evidence_gets_its_rma(
    rules: Rulebook,
) -> None:
    d = _decided(rules, DEFECT, COMPLETE_DEFECT)
    assert (d.outcome, d.issue_rma) == ("rma_issued", True)


def test_the_evidence_sent_never_decides_the_case(rules: Rulebook) -> None:
    # The videos, photos and statement a defect claim needs, and words no pack knows.
    text = "The lidar always reports a distance of 0, whatever is in front of it."
    d = _decided(rules, text, COMPLETE_DEFECT)
    assert (d.outcome, d.issue_rma) == ("ask_scenario", False)


def test_a_case_said_only_in_the_subject_is_asked(rules: Rulebook) -> None:
    d = _decided(rules, "Please see the attached files.", COMPLETE_DEFECT, "Defective board")
    assert (d.outcome, d.issue_rma) == ("ask_scenario", False)
    assert "the customer's own words lead for quality_defect by 0.0 only" in d.reasons[-1]
    # The subject still tells which evidence is missing: asking for it commits nothing.
    missing = _decided(rules, "Please see the attached photos.", hd_photos(10), "Defective board")
    assert missing.outcome == "evidence_missing"


def test_a_clear_cue_for_another_case_stops_an_rma_that_only_leads_by_a_little(
    rules: Rulebook,
) -> None:
    # A fault (5) and the customer's own mistake (3): the fault leads by the margin, but
    # a person would ask which it is before paying for the return.
    text = "The board is broken, it does not power on. Sorry, I ordered it by mistake anyway."
    d = _decided(rules, text, COMPLETE_DEFECT)
    assert (d.outcome, d.issue_rma) == ("ask_scenario", False)
    assert "also speak for demand_change" in d.reasons[-1]
    assert d.agent_notice


def test_a_case_that_weighs_twice_another_carries_the_mail(rules: Rulebook) -> None:
    text = f"{DEFECT} It also gets very hot. Sorry, I ordered it by mistake anyway."
    d = _decided(rules, text, COMPLETE_DEFECT)
    assert (d.outcome, d.issue_rma) == ("rma_issued", True)


def test_a_customer_who_sounds_unsure_is_asked_before_an_rma(rules: Rulebook) -> None:
    text = "The board is defective and does not power on, or maybe I am doing something wrong."
    d = _decided(rules, text, COMPLETE_DEFECT)
    assert (d.outcome, d.issue_rma) == ("ask_scenario", False)
    assert "not sure which case it is" in d.reasons[-1]
