"""A short answer ("the second one", "Второе", "第一个") under our question which case it
is, quoted in any shipped language, names the case at that place of the quoted list
(mailbot/reading/answer.py); a place elsewhere does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.core.decide import decide
from mailbot.core.model import Scenario
from mailbot.core.rulebook import Rulebook
from mailbot.outbound.render import Renderer
from mailbot.reading import read
from tests.core.conftest import NOW, message, order
from tests.core.conftest import rules as rules  # the fixture
from tests.unit.test_languages import SHIPPED

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CASES = (Scenario.QUALITY_DEFECT, Scenario.WRONG_ITEM, Scenario.DEMAND_CHANGE)
ANSWERS = {
    "en": ("It's the first one.", "The second one.", "the third one"),
    "de": ("Der erste Fall.", "Die zweite.", "Der dritte"),
    "fr": ("Le premier.", "C'est le deuxième cas.", "Le troisième."),
    "es": ("El primero.", "La segunda.", "El tercero"),
    "it": ("La prima.", "Il secondo caso.", "La terza."),
    "pt": ("O primeiro.", "O segundo.", "O terceiro caso."),
    "nl": ("De eerste.", "De tweede.", "De derde."),
    "pl": ("Pierwszy.", "Drugi przypadek.", "Trzeci."),
    "ru": ("Первое.", "Второе.", "Третий случай."),
    "zh_Hans": ("第一个。", "第二个", "第三种情况"),
}


def _question(rules: Rulebook, language: str) -> str:
    d = decide(None, message("I want to return order 100201."), "100201", order(), rules, NOW)
    assert d.outcome == "ask_scenario"
    reply = d.replies[0]
    context = {**reply.context, "ticket": {"reference": "T-000007"}}
    text = Renderer(TEMPLATES).render(reply.template, context, language).text
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


@pytest.mark.parametrize("language", SHIPPED)
def test_a_place_in_our_quoted_question_names_that_case(rules: Rulebook, language: str) -> None:
    quoted = _question(rules, language)
    for answer, case in zip(ANSWERS[language], CASES, strict=True):
        reading = read("Re: return", f"{answer}\n\nParts Shop wrote:\n{quoted}\n", rules)
        assert reading.scenario is case, (answer, reading.reasons)


def test_a_place_in_a_longer_sentence_is_no_answer(rules: Rulebook) -> None:
    quoted = _question(rules, "en")
    text = f"The first time I plugged the board into my laptop, hmm.\n\n{quoted}\n"
    assert read("Re: return", text, rules).scenario is Scenario.UNKNOWN


def test_a_place_under_a_quote_that_lists_no_cases_is_no_answer(rules: Rulebook) -> None:
    quoted = "> Hi, I have two questions about my order.\n> Thanks, Ana"
    assert read("Re: return", f"The second one.\n\n{quoted}\n", rules).scenario is Scenario.UNKNOWN
