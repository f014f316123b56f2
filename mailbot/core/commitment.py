"""Whether the customer's own words are sure enough to commit the shop: an RMA, or the
wrong-item options (which end in one). Pure: it looks only at the reading's cues.

An RMA issued on a guess costs a shipment both ways and a refund; asking costs one
mail. So a decision that commits needs more than a scenario that wins the sum: the
customer's new text must say it, and nothing they say must pull elsewhere. Each way a
request gets misread as a clear case has its guard:

- the case shows only in a subject, the history the mail quotes, or its attachments
  (a reply's subject is often ours; an attachment says nothing of what happened):
  the new text itself must lead by the rules' margin;
- a wrong item described with the words of a fault ("it does not work: you sent the
  mini-HDMI cable"), a change of mind with a fault word, two cases at once where one
  cue happens to weigh more: another case the new text speaks for with the weight of
  a clear cue (`rival`), unless the case read weighs at least twice as much (then the
  other words are a detail of the story: "the lid says 12 V instead of 5 V");
- the customer says they are not sure which case it is: any doubt, however light.

A question that is not about a return but names a fault never comes this far: it is
not a return (weigh.kind_of), or it sends no evidence. "Works fine" said of a part of
the product ("the LED works fine but it does not heat") is no guard either: what works
is usually the half of the story the fault is not.

A follow-up on a ticket whose case was settled earlier (and confirmed by the customer
sending that case's evidence) needs no new words for it; the other guards still hold.
"""

from __future__ import annotations

from collections import defaultdict

from mailbot.core.cuebook import ReadingRules
from mailbot.core.model import DOUBT, Cue, Reading, Scenario

_CASES = tuple(s for s in Scenario if s is not Scenario.UNKNOWN)
# The case read must weigh this many times a rival's weight to carry the mail alone.
_OUTWEIGHS = 2.0


def _own(reading: Reading) -> list[Cue]:
    return [c for c in reading.cues if c.where == "text"]


def _named(cues: list[Cue]) -> str:
    return ", ".join(c.describe() for c in cues)


def commitment_doubts(
    reading: Reading, scenario: Scenario, rules: ReadingRules, settled: bool
) -> list[str]:
    """Why the new text is not sure enough to commit to `scenario` (empty: it is).
    `settled`: the case comes from the ticket, settled by an earlier mail."""
    own = _own(reading)
    score: dict[str, float] = defaultdict(float)
    for cue in own:
        score[cue.about] += cue.weight
    mine = score[scenario.value]
    others = [s for s in _CASES if s is not scenario]
    doubts: list[str] = []
    if not settled:
        lead = mine - max(0.0, *(score[s.value] for s in others))
        if lead < rules.margin:
            doubts.append(
                f"the customer's own words lead for {scenario.value} by {lead:.1f} only"
                f" (margin {rules.margin:g}); the rest is subject, quoted history or attachments"
            )
    for other in others:
        rival = score[other.value]
        if rival >= rules.rival and mine < _OUTWEIGHS * rival:
            said = [c for c in own if c.about == other.value and c.weight > 0]
            doubts.append(f"the customer's words also speak for {other.value} ({_named(said)})")
    unsure = [c for c in own if c.about == DOUBT and c.weight > 0]
    if unsure:
        doubts.append(f"the customer is not sure which case it is ({_named(unsure)})")
    return doubts
