"""The wish to return as a signal of its own, beside the case words.

The words for a wish to return are few in every language (return, send back, refund,
exchange, take back…: the packs' [return_intent] and [give_back]); the words for the
reasons are open-ended. A careful person who reads "I'd like to send it back, there is
nothing wrong with it" knows it is a change of mind without any word for the reason:
the customer wants to return a product they say is neither faulty nor wrong.
"""

from __future__ import annotations

from collections.abc import Iterable

from mailbot.core.cuebook import ReadingRules
from mailbot.core.model import GIVE_BACK, RETURN_INTENT, Cue, Scenario

# What says the customer wants to give the product back.
WISH = frozenset({RETURN_INTENT, GIVE_BACK})
# A wish said clearly: a hint ("what do I do?") is no wish to return.
_CLEAR = 2.0
# The cases a customer can deny: "works fine", "nothing wrong with it", "exactly what I
# ordered". A change of mind is what remains.
_DENIABLE = (Scenario.QUALITY_DEFECT.value, Scenario.WRONG_ITEM.value)


def _wishes(cues: Iterable[Cue]) -> list[Cue]:
    """The customer's own words (or subject) that say clearly they want to return it."""
    return [c for c in cues if c.about in WISH and c.weight >= _CLEAR and c.where != "quoted"]


def _denials(cues: Iterable[Cue]) -> list[Cue]:
    """The customer's own words against a fault or a wrong item ("works fine" before a
    "but" weighs its conceded share)."""
    return [c for c in cues if c.about in _DENIABLE and c.weight < 0 and c.where != "quoted"]


def changed_mind(
    cues: list[Cue], total: dict[str, float], rules: ReadingRules, doubted: bool
) -> str:
    """Why the customer changed their mind, "" when they did not say so: a wish to
    return, a denial of a fault or a wrong item (at least the rules' `denial`), nothing
    that speaks for either and nothing against a change of mind. Off when
    `denial` is 0, and never when the customer says they cannot tell which case it is."""
    if rules.denial <= 0 or doubted:
        return ""
    # A fault or a wrong item named at all, even outweighed ("the DHT11 was fine, this one
    # reads NaN"), is not denied.
    if any(total.get(s, 0.0) > 0 for s in _DENIABLE) or any(
        c.about in _DENIABLE and c.weight > 0 and c.where != "quoted" for c in cues
    ):
        return ""
    if total.get(Scenario.DEMAND_CHANGE.value, 0.0) < 0:
        return ""
    wishes, denials = _wishes(cues), _denials(cues)
    if not wishes or -sum(c.weight for c in denials) < rules.denial:
        return ""
    return (
        f"a change of mind: the customer wants to return it ({wishes[0].describe()}) and says"
        f" it is neither faulty nor wrong ({', '.join(c.describe() for c in denials)})"
    )
