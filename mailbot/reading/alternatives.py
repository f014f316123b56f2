"""Two cases offered as alternatives: "坏了还是发错了型号？", "es un defecto o me mandaron
otro modelo", "это брак или мне прислали другую ревизию".

A customer who writes one case or another in one sentence, joined by a word of the
pack's [grammar] `alternatives` ("or", "oder", "还是", "или"), cannot tell which it is,
with or without a "not sure if" before it, and with or without the comma and
subordinating word a doubt cue names ("不知道，坏了还是…"). A person would ask.
Only cues that name a case clearly count (weight 2 or more, affirmed), so "no damage
or defect" and a hint beside a clear case are no alternative.
"""

from __future__ import annotations

from functools import lru_cache

from mailbot.core.cuebook import CuePack
from mailbot.reading.frames import Words, any_at, forms_of
from mailbot.reading.tokens import STOP, Tokens
from mailbot.reading.weigh import SCENARIOS

_CASES = frozenset(s.value for s in SCENARIOS)
_CLEAR = 2.0


@lru_cache(maxsize=64)
def _alternatives(pack: CuePack) -> Words:
    return forms_of(pack.alternatives, pack)


def offered(
    tokens: Tokens, pack: CuePack, spans: list[tuple[str, int, int, float, bool]]
) -> tuple[int, int] | None:
    """The token span from the first to the second of two cases (`spans` as (about,
    start, end, weight, negated)) that an alternative word joins in one sentence; else
    None."""
    words = _alternatives(pack)
    if not words:
        return None
    clear = sorted(
        (start, end, about)
        for about, start, end, weight, negated in spans
        if about in _CASES and weight >= _CLEAR and not negated
    )
    for n, (start, end, about) in enumerate(clear):
        for other_start, other_end, other in clear[n + 1 :]:
            if other == about:
                continue
            between = range(end + 1, other_start)
            if any(tokens.kinds[j] == STOP for j in between):
                break
            if any_at(tokens, end + 1, other_start - 1, words):
                return start, other_end
    return None
