"""The reading held against the order (mailbot/reading/ordered.py): what the mail says
came, against the ordered product, weighs with the words and can make a mail that only
said "the parcel came" a return."""

from __future__ import annotations

from dataclasses import replace

from mailbot.core.model import MailKind, Scenario
from mailbot.core.rulebook import Rulebook
from mailbot.reading import read
from mailbot.reading.ordered import with_order
from tests.core.conftest import order

DHT22 = order(product="DHT22 / AM2302 temperature and humidity sensor, pack of 5")


def test_a_model_that_is_not_the_ordered_one_makes_it_a_wrong_item(rules: Rulebook) -> None:
    subject, text = "Zamówienie 100201", "Dziś dotarła przesyłka. W woreczku są czujniki DHT11."
    alone = read(subject, text, rules)
    assert (alone.kind, alone.scenario) == (MailKind.DELIVERY, Scenario.UNKNOWN)
    held = with_order(alone, subject, DHT22, rules)
    assert (held.kind, held.scenario) == (MailKind.RETURN, Scenario.WRONG_ITEM)
    assert held.score(Scenario.WRONG_ITEM) == 1.5
    assert held.reasons == ('wrong_item +1.5: "DHT11" (ordered: DHT22)',)


def test_the_ordered_model_named_in_a_fault_changes_nothing(rules: Rulebook) -> None:
    subject = "Sensor defect"
    text = "The DHT22 is defective, it does not work. With my old DHT11 the same wiring works."
    alone = read(subject, text, rules)
    held = with_order(alone, subject, DHT22, rules)
    assert held.scenario is alone.scenario is Scenario.QUALITY_DEFECT
    assert held.scores == alone.scores
    assert '"DHT11" (ordered: DHT22)' in held.reasons[-1]


def test_a_mail_that_names_nothing_of_the_product_is_read_as_it_was(rules: Rulebook) -> None:
    alone = read("Broken", "It stopped working after two days.", rules)
    assert with_order(alone, "Broken", DHT22, rules) is alone


def test_a_change_of_mind_read_from_a_denial_is_weighed_again_with_the_product(
    rules: Rulebook,
) -> None:
    """With `denial` on, "send it back, nothing wrong with it" is a change of mind, until
    the mail also says another model came: then no change of mind is left standing."""
    on = replace(rules, reading=replace(rules.reading, denial=0.5))
    subject, text = (
        "Return",
        "I'd like to send it back, there is nothing wrong with it. It is the DHT11.",
    )
    alone = read(subject, text, on)
    assert (alone.scenario, bool(alone.decided_by)) == (Scenario.DEMAND_CHANGE, True)
    held = with_order(alone, subject, DHT22, on)
    assert held.scenario is not Scenario.DEMAND_CHANGE
    assert held.decided_by == ""
