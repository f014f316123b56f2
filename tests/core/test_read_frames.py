"""Use that frames a failure is no condition; programming, soldering, installing and hard
use are; a conditional after a verb of checking asks whether (mailbot/reading/frames.py)."""

from __future__ import annotations

import pytest

from mailbot.core.model import CONDITION, Scenario
from mailbot.core.rulebook import Rulebook
from mailbot.reading import read


@pytest.mark.parametrize(
    "text",
    [
        "I used it for about a week and then it just stopped.",
        "Lo usé normalmente unos días y después dejó de cargar.",
        "Usei o teclado durante uma semana e depois deixou de funcionar.",
        "Po tygodniu używania przestał się ładować.",
        "Na twee weken gebruik wordt het soldeerstation niet meer warm.",
        "Здравствуйте!\n\nПосле недели использования паяльная станция перестала греться.",
    ],
)
def test_a_time_of_use_before_a_failure_is_no_condition(rules: Rulebook, text: str) -> None:
    reading = read("", text, rules)
    assert reading.score(Scenario.QUALITY_DEFECT) > 0
    assert reading.condition == ()


@pytest.mark.parametrize(
    "text",
    [
        # The part was changed: an agent looks, whatever came after.
        "I programmed it and then it stopped working.",
        "焊上排针，烧录了自己写的固件，然后就一直无法启动。",
        # Hard or regular use is for an agent to weigh.
        "El soldador dejó de calentar después de dos semanas de uso diario en el taller.",
        "Паяльник перестал греть после двух недель ежедневной работы в мастерской.",
        # No failure follows: the use is the product's condition.
        "I used it for a week, I just don't need it any more.",
    ],
)
def test_change_and_hard_use_stay_conditions(rules: Rulebook, text: str) -> None:
    reading = read("", text, rules)
    assert [c.about for c in reading.condition] != []
    assert all(c.about == CONDITION for c in reading.condition)


@pytest.mark.parametrize(
    "text",
    [
        "Could you check if it is defective?",
        "¿Podrían comprobar si está defectuosa?",
        "Buongiorno, mi sapete dire se il router è difettoso? Grazie",
    ],
)
def test_a_conditional_after_a_verb_of_checking_asks_whether(rules: Rulebook, text: str) -> None:
    assert read("", text, rules).scenario is Scenario.QUALITY_DEFECT


@pytest.mark.parametrize(
    "text",
    [
        "I'll let you know if it breaks again.",
        "Volevo solo sapere: se si rompe entro un anno, cosa devo fare?",
    ],
)
def test_a_conditional_elsewhere_still_supposes(rules: Rulebook, text: str) -> None:
    assert read("", text, rules).score(Scenario.QUALITY_DEFECT) == 0


@pytest.mark.parametrize(
    "text",
    [
        "不知道，坏了还是发错了型号？想退货。",
        "No sé, es un defecto o me mandaron otro modelo.",
        "Is it faulty or did you send the wrong model?",
    ],
)
def test_two_cases_offered_as_alternatives_are_a_doubt(rules: Rulebook, text: str) -> None:
    reading = read("", text, rules)
    assert reading.doubts != ()
    assert reading.scenario is Scenario.UNKNOWN


@pytest.mark.parametrize(
    "text",
    [
        # One case, its alternatives negated or in another sentence.
        "It is not damaged or defective, I simply ordered the wrong size by mistake.",
        "You sent the wrong model. It is also broken.",
    ],
)
def test_cases_not_offered_as_alternatives_are_no_doubt(rules: Rulebook, text: str) -> None:
    assert read("", text, rules).doubts == ()
