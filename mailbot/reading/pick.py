"""The place a customer picks in a list of ours: "the second one", "die zweite", "la
deuxième", "第二个", or a lone "2" in a short answer.

Only the decision knows whether a list was asked about (a ticket waiting for the
customer to say which order); the reading only says which place the words name.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from mailbot.core.cuebook import CuePack
from mailbot.reading.tokens import EXACT, WORD, Tokens, cue_forms, fits, tokenize

# A lone digit names a place only in an answer this short ("2", "Nr. 2", "the 2 please"):
# in a longer mail "2" is a count ("2 boards") or a date.
_SHORT_ANSWER = 6
_MAX_PLACE = 9


@lru_cache(maxsize=64)
def _places(pack: CuePack) -> dict[str, tuple[tuple[int, tuple[str, ...]], ...]]:
    """Each word of the pack's ordinals as forms with its place (1 for the first),
    indexed by its first form."""
    index: dict[str, list[tuple[int, tuple[str, ...]]]] = defaultdict(list)
    for place, words in enumerate(pack.ordinals, start=1):
        for word in words:
            if forms := cue_forms(word, pack)[0]:
                index[forms[0]].append((place, forms))
    return {first: tuple(found) for first, found in index.items()}


def _at(tokens: Tokens, i: int, forms: tuple[str, ...]) -> bool:
    end = i + len(forms)
    return end <= len(tokens.kinds) and all(
        tokens.kinds[j] == WORD and fits(tokens, j, form)
        for j, form in zip(range(i, end), forms, strict=True)
    )


def _ordinal(tokens: Tokens, pack: CuePack) -> int:
    places = _places(pack)
    for i, kind in enumerate(tokens.kinds):
        if kind == WORD:
            exact = places.get(EXACT + tokens.lowers[i], ())
            for place, forms in (*places.get(tokens.forms[i], ()), *exact):
                if _at(tokens, i, forms):
                    return place
    return 0


def picked_place(text: str, tokens: Tokens, pack: CuePack, packs: tuple[CuePack, ...]) -> int:
    """The place the first ordinal of `text` (as `tokens` of `pack`) names in its
    language, else a lone digit's in a short answer, else 0. A short answer's language
    is a guess ("La seconda." has no word the language lists know), so its ordinals are
    looked for in every pack."""
    place = _ordinal(tokens, pack)
    words = [lower for kind, lower in zip(tokens.kinds, tokens.lowers, strict=True) if kind == WORD]
    if place or len(words) > _SHORT_ANSWER:
        return place
    for other in packs:
        if other is not pack and (place := _ordinal(tokenize(text, other), other)):
            return place
    digits = [w for w in words if w.isdigit() and 1 <= int(w) <= _MAX_PLACE and len(w) == 1]
    return int(digits[0]) if len(digits) == 1 else 0
