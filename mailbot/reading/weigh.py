"""From the cues found to scores per scenario, the winner by its margin, and the mail's kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from mailbot.core.cuebook import ReadingRules
from mailbot.core.model import DOUBT, GIVE_BACK, KEEP, RETURN_INTENT, Cue, MailKind, Scenario
from mailbot.reading.intent import changed_mind

SCENARIOS = (Scenario.QUALITY_DEFECT, Scenario.WRONG_ITEM, Scenario.DEMAND_CHANGE)
_CHOICE = (KEEP, GIVE_BACK)
_THANKS_OR_WISH = (MailKind.THANKS.value, RETURN_INTENT)


def scores(cues: list[Cue]) -> dict[str, float]:
    """The sum of the cues' signed weights, per what they speak for."""
    total: dict[str, float] = defaultdict(float)
    for cue in cues:
        total[cue.about] += cue.weight
    return total


def winner(total: dict[str, float], rules: ReadingRules, doubt: float) -> tuple[Scenario, float]:
    """The scenario that leads the next by the margin (and scores the minimum), else
    UNKNOWN; with the lead it has (0 when nothing scored). A customer who says they
    cannot tell (`doubt` at the rules' level) gets no scenario: a person would ask."""
    ranked = sorted(SCENARIOS, key=lambda s: -total.get(s.value, 0.0))
    first, second = (total.get(s.value, 0.0) for s in ranked[:2])
    lead = first - max(second, 0.0)
    doubted = rules.doubt > 0 and doubt >= rules.doubt
    if first >= rules.minimum and lead >= rules.margin and not doubted:
        return ranked[0], lead
    return Scenario.UNKNOWN, lead


def kind_of(cues: list[Cue], asks: bool) -> MailKind:
    """A return request unless another kind outweighs everything that says return.

    What says return is what the mail says for its likeliest case plus its wish to
    return (its strongest word for it), counting only the cues that speak for them: a
    tax number in a signature or "the invoice I got" does not outweigh a described
    fault, and "works great" in a question does not make the question less of one. A
    wrong-item choice answers the return case. Thanks count only when nothing else was
    said or `asks`ed: "thanks, the board is broken" and "thanks, what now?" are not
    thanks-only.
    """
    said: dict[str, float] = defaultdict(float)
    for cue in cues:
        if cue.weight > 0:
            said[cue.about] += cue.weight
    if any(said[about] > 0 for about in _CHOICE):
        return MailKind.RETURN
    # The wish to return is one wish, however often "return", "RMA" and "refund" come
    # up: a question about a refund under way names them all. Not telling whether the
    # product is faulty ("is this normal?") speaks of a product received, as the wish does.
    wish = max((c.weight for c in cues if c.about in (RETURN_INTENT, DOUBT)), default=0.0)
    said_return = max(said[s.value] for s in SCENARIOS) + max(wish, 0.0)
    others = [k for k in MailKind if k not in (MailKind.RETURN, MailKind.THANKS)]
    best = max(others, key=lambda k: said[k.value])
    if said[best.value] > said_return:
        return best
    # The subject of a reply is often ours ("Your return request …"): thanks-only is
    # judged on the customer's words.
    text = [c for c in cues if c.where == "text"]
    # The wish to return counts by what the customer leaves of it: "I feared a problem
    # …, no return needed" wishes nothing.
    wished = sum(c.weight for c in text if c.about == RETURN_INTENT)
    if (
        not asks
        and wished <= 0
        and any(c.about == MailKind.THANKS.value for c in text)
        and all(c.about in _THANKS_OR_WISH or c.weight <= 0 for c in text)
    ):
        return MailKind.THANKS
    return MailKind.RETURN


@dataclass(frozen=True)
class Weighed:
    """What a mail's cues add up to: the fields of a Reading they decide."""

    scores: tuple[tuple[Scenario, float], ...]
    scenario: Scenario
    margin: float
    decided_by: str
    kind: MailKind


def weigh(cues: Sequence[Cue], own: str, rules: ReadingRules) -> Weighed:
    """The scores, the winner (or a change of mind read from a wish to return and a
    denial), and the kind of mail. Doubt counts in the customer's own words only, and
    the kind comes from what the mail says itself, not from the history it quotes."""
    found = list(cues)
    total = scores(found)
    doubt = sum(c.weight for c in found if c.about == DOUBT and c.where == "text" and c.weight > 0)
    scenario, margin = winner(total, rules, doubt)
    decided_by = ""
    if scenario is Scenario.UNKNOWN:
        doubted = rules.doubt > 0 and doubt >= rules.doubt
        decided_by = changed_mind(found, total, rules, doubted)
        scenario = Scenario.DEMAND_CHANGE if decided_by else scenario
    fresh = [c for c in found if c.where != "quoted"]
    return Weighed(
        scores=tuple((s, round(total.get(s.value, 0.0), 3)) for s in SCENARIOS),
        scenario=scenario,
        margin=round(margin, 3),
        decided_by=decided_by,
        kind=kind_of(fresh, asks=any(mark in own for mark in "?？")),
    )
