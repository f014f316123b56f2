"""A short answer to the list of cases a reply quotes: "the second one", "la prima", "2",
"第一个" under our question which case it is.

The answer is read against the list the reply itself quotes, so it holds without the
ticket (a client that drops the thread headers, a forwarded reply). The list is found by
its shape: lines of the quoted text that each name one case, at least two cases in all,
in the order they first appear. Our question is such a list; a customer's own quoted
mail rarely is, and only a short first sentence with a place in it answers it.
"""

from __future__ import annotations

from mailbot.core.cuebook import CuePack
from mailbot.core.model import Scenario
from mailbot.reading.cues import find_cues
from mailbot.reading.pick import picked_place
from mailbot.reading.tokens import STOP, WORD, tokenize
from mailbot.reading.weigh import SCENARIOS

# The answer is the first sentence of the customer's words, at most this many words
# ("It's the second one", "Die zweite, bitte"); a place in a longer sentence is
# something else ("the first time I used it").
_SHORT = 6
# Lines of the quoted text read for the list: our question is short.
_LINES = 60


def _first_sentence(text: str, pack: CuePack) -> str:
    tokens = tokenize(text, pack)
    for i, kind in enumerate(tokens.kinds):
        if kind == STOP and any(k == WORD for k in tokens.kinds[:i]):
            return text[: tokens.starts[i]]
    return text


def listed_cases(quoted: str, pack: CuePack) -> tuple[Scenario, ...]:
    """The cases the lines of `quoted` name one by one, in the order they first appear;
    empty when fewer than two (no list of cases)."""
    cases: list[Scenario] = []
    for line in quoted.splitlines()[:_LINES]:
        line = line.lstrip("> \t")
        if not line:
            continue
        total = dict.fromkeys(SCENARIOS, 0.0)
        for found in find_cues(tokenize(line, pack), pack):
            for scenario in SCENARIOS:
                if found.cue.about == scenario.value:
                    sign = -1.0 if found.negated else 1.0
                    total[scenario] += sign * found.cue.weight
        named = [s for s, score in total.items() if score > 0]
        if len(named) == 1 and named[0] not in cases:
            cases.append(named[0])
    return tuple(cases) if len(cases) > 1 else ()


def answered_case(
    own: str, pack: CuePack, cases: tuple[Scenario, ...], packs: tuple[CuePack, ...]
) -> tuple[Scenario, str] | None:
    """The case a short first sentence of `own` picks by its place in `cases` (the list
    the reply quotes), with that sentence; None when there is no such answer."""
    if not cases:
        return None
    sentence = _first_sentence(own, pack).strip()
    tokens = tokenize(sentence, pack)
    if not 0 < sum(k == WORD for k in tokens.kinds) <= _SHORT:
        return None
    place = picked_place(sentence, tokens, pack, packs)
    return (cases[place - 1], sentence) if 0 < place <= len(cases) else None
