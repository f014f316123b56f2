"""The reading held against the order: once the order a mail is about is known, what the
mail says of the product that is not the ordered product ("the label says LRS-150-12"
on an order of the LRS-150-24) is a wrong-item cue like the words' own
(core/product.py), and the mail is weighed again with it: its scenario, its lead and
its kind (a mail that only said "the parcel came" is a return once it says the wrong
model came).
"""

from __future__ import annotations

from dataclasses import replace

from mailbot.core.model import Order, Reading, Scenario
from mailbot.core.product import arrived_otherwise
from mailbot.core.rulebook import Rulebook
from mailbot.reading.weigh import weigh


def with_order(reading: Reading, subject: str, order: Order, rules: Rulebook) -> Reading:
    """`reading` with the cues of the product it names against `order`'s, weighed again;
    the same reading when there are none."""
    fault = any(c.where != "quoted" for c in reading.affirmed(Scenario.QUALITY_DEFECT.value))
    found = arrived_otherwise(subject, reading.own_words, order.product, rules.products, fault)
    if not found:
        return reading
    cues = (*reading.cues, *found)
    weighed = weigh(cues, reading.own_words, rules.reading)
    return replace(
        reading,
        cues=cues,
        scores=weighed.scores,
        scenario=weighed.scenario,
        margin=weighed.margin,
        decided_by=weighed.decided_by,
        kind=weighed.kind,
    )
