"""The wish to return as its own signal (mailbot/reading/intent.py), and the questions
whether a product's behaviour is normal ([doubt] in the packs)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mailbot.core.model import GIVE_BACK, RETURN_INTENT, Cue, MailKind, Scenario
from mailbot.core.rulebook import Rulebook
from mailbot.reading import read
from mailbot.reading.intent import changed_mind
from mailbot.reading.weigh import scores

WISH = Cue(RETURN_INTENT, "send back", "send it back", 2.0)
HINT = Cue(RETURN_INTENT, "what do i do", "what do I do", 1.0)
WORKS = Cue("quality_defect", "=works fine", "works fine", -2.0)
CONCEDED = Cue("quality_defect", "=works fine", "works fine", -1.0, contrasted=True)
BROKEN = Cue("quality_defect", "broken", "broken", 2.0)


def _on(rules: Rulebook) -> Rulebook:
    """The shipped rules with the rule turned on: it ships off (rules/reading.toml)."""
    return replace(rules, reading=replace(rules.reading, denial=0.5))


def _why(rules: Rulebook, *cues: Cue, doubted: bool = False) -> str:
    found = list(cues)
    return changed_mind(found, scores(found), _on(rules).reading, doubted)


def test_a_wish_to_return_what_works_is_a_change_of_mind(rules: Rulebook) -> None:
    why = _why(rules, WISH, WORKS)
    assert why.startswith("a change of mind")
    assert '"send it back"' in why and '"works fine"' in why
    assert _why(rules, Cue(GIVE_BACK, "retourner", "retourner", 2.0), CONCEDED)


@pytest.mark.parametrize(
    "cues",
    [
        (WORKS,),  # no wish to return: a question about a product that works
        (HINT, WORKS),  # a hint is no wish
        (WISH,),  # no reason at all: a person asks
        (WISH, WORKS, BROKEN, BROKEN),  # a fault after all
        (WISH, WORKS, Cue("demand_change", "need", "need", -2.0)),  # against a change of mind
        (replace(WISH, where="quoted"), WORKS),  # our own words, quoted back
        (WISH, replace(WORKS, where="quoted")),
    ],
)
def test_no_change_of_mind_without_both_in_the_customer_s_words(
    rules: Rulebook, cues: tuple[Cue, ...]
) -> None:
    assert _why(rules, *cues) == ""


def test_a_doubt_or_the_rule_turned_off_decides_nothing(rules: Rulebook) -> None:
    assert _why(rules, WISH, WORKS, doubted=True) == ""
    off = replace(rules, reading=replace(rules.reading, denial=0.0))
    assert changed_mind([WISH, WORKS], scores([WISH, WORKS]), off.reading, False) == ""


@pytest.mark.parametrize(
    ("subject", "text", "scenario"),
    [
        ("Return", "I'd like to send it back, there is nothing wrong with it.", "demand_change"),
        ("Return", "I'd like to send it back please.", "unknown"),
        ("Retour", "Je souhaite la renvoyer. Elle fonctionne très bien, mais on m'en a offert"
         " une entre-temps.", "demand_change"),
    ],
)  # fmt: skip
def test_read_decides_a_change_of_mind_by_denial(
    rules: Rulebook, subject: str, text: str, scenario: str
) -> None:
    reading = read(subject, text, _on(rules))
    assert reading.scenario.value == scenario
    assert bool(reading.decided_by) == (scenario == "demand_change")


@pytest.mark.parametrize(
    "text",
    [
        "The fan is quite loud after switching on. Is this normal?",
        "Die Lüfter sind ziemlich laut. Ist das normal?",
        "你好，示波器开机以后风扇声音挺大的，请问这个正常吗？",
        "Het apparaat zoemt zodra ik het aanzet. Is dat normaal bij dit model?",
    ],
)
def test_asking_whether_it_is_normal_is_a_doubt_about_a_product_received(
    rules: Rulebook, text: str
) -> None:
    reading = read("", text, rules)
    assert reading.doubts
    assert reading.scenario is Scenario.UNKNOWN
    assert reading.kind is MailKind.RETURN
