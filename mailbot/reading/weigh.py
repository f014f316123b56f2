"""From the cues found to scores per scenario, the winner by its margin, and the mail's kind."""

from __future__ import annotations

from collections import defaultdict

from mailbot.core.cuebook import ReadingRules
from mailbot.core.model import CONDITION, GIVE_BACK, KEEP, RETURN_INTENT, Cue, MailKind, Scenario

SCENARIOS = (Scenario.QUALITY_DEFECT, Scenario.WRONG_ITEM, Scenario.DEMAND_CHANGE)
_CHOICE_OR_USE = (CONDITION, KEEP, GIVE_BACK)


def scores(cues: list[Cue]) -> dict[str, float]:
    """The sum of the cues' signed weights, per what they speak for."""
    total: dict[str, float] = defaultdict(float)
    for cue in cues:
        total[cue.about] += cue.weight
    return total


def winner(total: dict[str, float], rules: ReadingRules) -> tuple[Scenario, float]:
    """The scenario that leads the next by the margin (and scores the minimum), else
    UNKNOWN; with the lead it has (0 when nothing scored)."""
    ranked = sorted(SCENARIOS, key=lambda s: -total.get(s.value, 0.0))
    first, second = (total.get(s.value, 0.0) for s in ranked[:2])
    lead = first - max(second, 0.0)
    if first >= rules.minimum and lead >= rules.margin:
        return ranked[0], lead
    return Scenario.UNKNOWN, lead


def kind_of(total: dict[str, float], cues: list[Cue], asks: bool) -> MailKind:
    """A return request unless another kind outweighs everything that says return.

    Thanks count only when nothing else was said or `asks`ed: "thanks, the board is
    broken" and "thanks, what now?" are not thanks-only. A wrong-item choice or a word
    about use answers the return case.
    """
    said_return = max(
        [total.get(s.value, 0.0) for s in SCENARIOS] + [total.get(RETURN_INTENT, 0.0), 0.0]
    )
    if any(total.get(about, 0.0) > 0 for about in _CHOICE_OR_USE):
        return MailKind.RETURN
    others = [k for k in MailKind if k not in (MailKind.RETURN, MailKind.THANKS)]
    best = max(others, key=lambda k: total.get(k.value, 0.0))
    if total.get(best.value, 0.0) > said_return and total.get(best.value, 0.0) > 0:
        return best
    # The subject of a reply is often ours ("Your return request …"): thanks-only is
    # judged on the customer's words.
    said = [c for c in cues if c.where == "text"]
    if not asks and any(c.about == MailKind.THANKS.value for c in said) and all(
        c.about == MailKind.THANKS.value or c.weight <= 0 for c in said
    ):
        return MailKind.THANKS
    return MailKind.RETURN
