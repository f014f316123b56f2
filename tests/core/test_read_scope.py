"""How far a cue and its scope reach: commas before subordinate clauses, conditionals,
negations after their verb, separable verbs and words written as one."""

from __future__ import annotations

import pytest

from mailbot.core.model import Scenario
from mailbot.core.rulebook import Rulebook
from mailbot.reading import read


def _found(reading_text: str, rules: Rulebook) -> list[tuple[str, str, bool]]:
    return [(c.about, c.words, c.negated) for c in read("", reading_text, rules).cues]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Ich bin nicht sicher, ob es defekt ist oder das falsche Modell.", "nicht sicher, ob"),
        ("Ich bin nicht sicher ob es defekt ist oder das falsche Modell.", "nicht sicher ob"),
        ("Nie wiem, czy jest wadliwy, czy to zły model.", "nie wiem, czy"),
    ],
)
def test_a_cue_goes_on_past_the_comma_before_the_subordinating_word_it_names(
    rules: Rulebook, text: str, words: str
) -> None:
    reading = read("", text, rules)
    assert words in [c.words.lower() for c in reading.cues if c.about == "doubt"]
    assert reading.scenario is Scenario.UNKNOWN


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Das ist nicht das, was ich bestellt habe.", "nicht das, was ich bestellt habe"),
        ("To nie to, co zamówiłem.", "nie to, co zamówiłem"),
    ],
)
def test_a_cue_goes_on_past_the_comma_before_a_relative_pronoun(
    rules: Rulebook, text: str, words: str
) -> None:
    reading = read("", text, rules)
    assert reading.scenario is Scenario.WRONG_ITEM
    assert [c.words for c in reading.cues] == [words]


@pytest.mark.parametrize(
    "text",
    [
        "If it breaks again I will let you know. Thanks for the quick delivery.",
        "Falls es kaputt geht, melde ich mich. Danke für die schnelle Lieferung.",
        "Si se rompe, les escribo. Gracias por el envío rápido.",
        "如果坏了，我再联系你们。谢谢快速发货。",
        "I'll keep the box in case it breaks. Thanks for the quick delivery.",
        "Je garde le carton au cas où il tombe en panne. Merci pour la livraison rapide.",
    ],
)
def test_what_a_conditional_clause_supposes_did_not_happen(rules: Rulebook, text: str) -> None:
    reading = read("", text, rules)
    assert not reading.found(Scenario.QUALITY_DEFECT.value)


def test_the_clause_after_a_conditional_is_said_again(rules: Rulebook) -> None:
    reading = read("", "If you need photos, I can send them: the board is broken.", rules)
    assert [c.words for c in reading.found(Scenario.QUALITY_DEFECT.value)] == ["broken"]


def test_a_negation_after_its_verb_reaches_to_the_end_of_its_clause(rules: Rulebook) -> None:
    assert ("condition", "Benutzt", True) in _found("Benutzt habe ich es nie.", rules)
    # …but not past its clause.
    found = _found("Benutzt habe ich es, aber es geht nicht.", rules)
    assert ("condition", "Benutzt", False) in found


def test_a_separable_verb_may_have_a_long_middle(rules: Rulebook) -> None:
    reading = read("", "Das Netzteil schaltet sich nach zwei Minuten wieder ab.", rules)
    assert reading.scenario is Scenario.QUALITY_DEFECT


def test_words_written_as_one_stand_together(rules: Rulebook) -> None:
    # "装上" (fitted) is not "装" … "上" with a character between ("装袋上", on the bag).
    reading = read("", "标签贴在装袋上，型号不对。", rules)
    assert not [c for c in reading.cues if c.about == "condition"]
    # A longer cue is a phrase, written without spaces as Chinese is: its words may
    # stand apart ("读数一直" finds "读数都一直").
    reading = read("", "读数都一直是错的。", rules)
    assert [c.words for c in reading.found(Scenario.QUALITY_DEFECT.value)] == ["读数都一直"]


def test_use_that_ends_in_a_break_is_the_story_of_the_defect(rules: Rulebook) -> None:
    # "用了两天就坏了": used for two days, then it broke: a defect, not use that bars it.
    reading = read("", "用了两天就坏了，开不了机。", rules)
    assert reading.scenario is Scenario.QUALITY_DEFECT
    assert not [c for c in reading.cues if c.about == "condition"]
    # Use alone is still use: "用了" after a change of mind.
    reading = read("", "我用了一下，不想要了，想退货。", rules)
    assert [c.about for c in reading.cues if c.about == "condition"] == ["condition"]
