"""A new mail that names no case, no wish to return and carries no evidence is not a
return request, whatever its words for what it is (core/acknowledge.py)."""

from __future__ import annotations

import pytest

from mailbot.core.decide import decide
from mailbot.core.model import MailKind, Scenario, Ticket, TicketState
from mailbot.core.rulebook import Rulebook
from tests.core.conftest import NOW, hd_photos, message, order

# Asks something no pack lists as a kind of mail: no case, no wish to return.
UNLISTED = [
    "My colleague Tom will take over our account from January; please write to him then.",
    "Könnten Sie mir bitte die Öffnungszeiten Ihres Lagers in Leipzig nennen?",
    "你们周末上班吗？我想过去看看。",
]


@pytest.mark.parametrize("text", UNLISTED)
def test_a_mail_that_asks_no_return_is_acknowledged_to_an_agent(rules: Rulebook, text: str) -> None:
    msg = message(text, subject="Order 100201")
    assert msg.reading.kind is MailKind.RETURN  # no kind of mail found in its words
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert (d.state, d.outcome, d.issue_rma) == (TicketState.CLOSED, "acknowledged", False)
    assert [r.template for r in d.replies] == ["customer/acknowledged"]
    assert d.agent_notice == (
        "not a return request: it names no return case and no wish to return,"
        " and carries no evidence"
    )


def test_with_evidence_or_on_a_ticket_it_is_no_such_mail(rules: Rulebook) -> None:
    text = UNLISTED[0]
    sent = decide(None, message(text, hd_photos(2)), "100201", order(), rules, NOW)
    assert sent.outcome == "ask_scenario"
    ticket = Ticket(
        1, "T-000001", TicketState.NEEDS_INFO, Scenario.QUALITY_DEFECT, "ana@example.com", "100201"
    )
    answer = decide(ticket, message(text), "100201", order(), rules, NOW)
    assert answer.outcome != "acknowledged"


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to return it.",  # a wish to return, no reason: a person asks
        "你好，这个可以退吗",
        "Hello, there is a problem with my order. Please advise.",  # a complaint
        "I'm not sure if it's faulty or if I wired it wrong.",  # a doubt
        "The board is damaged.",  # a case
    ],
)
def test_a_wish_a_complaint_a_doubt_or_a_case_goes_the_return_way(
    rules: Rulebook, text: str
) -> None:
    d = decide(None, message(text, subject="Order 100201"), "100201", order(), rules, NOW)
    assert d.outcome != "acknowledged"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Thank you! I feared a problem with the camera, but no return needed: it was a setting.",
         MailKind.THANKS),
        ("Thank you! There is a problem with the camera.", MailKind.RETURN),
    ],
)  # fmt: skip
def test_thanks_take_a_wish_to_return_by_what_is_left_of_it(
    rules: Rulebook, text: str, kind: MailKind
) -> None:
    assert message(text).reading.kind is kind


def test_savez_vous_is_a_question_not_the_after_sales_service(rules: Rulebook) -> None:
    """The word "SAV" (service après-vente) is a wish to return only as the word itself: by its stem
    it matched "savez-vous", and a question before buying read as a return."""
    asked = message("Bonjour, savez-vous si ce module est compatible avec le Raspberry Pi 5 ?")
    assert asked.reading.kind is MailKind.PRESALES
    assert message("Bonjour, je contacte le SAV pour un retour.").reading.kind is MailKind.RETURN
