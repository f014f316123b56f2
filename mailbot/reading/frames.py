"""Use that frames a failure, and "if" that asks whether: two readings a careful person
makes from the structure of a sentence, not from its words alone.

A defect shows in use: "I used it for a week and then it stopped", "nach zwei Tagen
Betrieb ausgefallen", "après une semaine d'utilisation il ne s'allume plus" say when it
failed, not that the customer changed the part. A condition cue made of a word of
normal use (the pack's [grammar] `in_use`) is no condition when a failure the mail
affirms comes after it: a sequel word ("then", "after", "nach") stands between the use
and the failure, or just before the use ("after a week of use") with the failure in the
same sentence. Programming, soldering, installing are conditions wherever they stand:
they change the part, and an agent looks at the claim. So is use the sentence says was
hard or regular (the pack's `wear`: "two weeks of daily use in the workshop"): how the
part was worked is for an agent to weigh, however the failure followed.

A conditional after a verb of checking or knowing ("check if it is defective",
"comprobar si está defectuosa") opens the question the customer asks, not a supposition.
"""

from __future__ import annotations

from functools import lru_cache

from mailbot.core.cuebook import CuePack
from mailbot.core.model import CONDITION, Scenario
from mailbot.reading.tokens import STOP, WORD, Tokens, cue_forms, fits

# A sequel word this many words before the use puts the use first ("after a week of use").
_BEFORE = 4
# A conditional asks whether when a verb of `whether_after` is at most this many words
# before it ("check if", "tell me if", "check for me if").
_WHETHER_REACH = 3

_FAILURE = Scenario.QUALITY_DEFECT.value

Words = tuple[tuple[str, ...], ...]


def forms_of(words: tuple[str, ...], pack: CuePack) -> Words:
    return tuple(forms for word in words if (forms := cue_forms(word, pack)[0]))


@lru_cache(maxsize=64)
def _words(pack: CuePack) -> tuple[Words, Words, Words, Words]:
    """The pack's `in_use`, `sequels`, `whether_after` and `wear` words as token forms."""
    return (
        forms_of(pack.in_use, pack),
        forms_of(pack.sequels, pack),
        forms_of(pack.whether_after, pack),
        forms_of(pack.wear, pack),
    )


def _at(tokens: Tokens, i: int, forms: tuple[str, ...]) -> bool:
    end = i + len(forms)
    return end <= len(tokens.kinds) and all(
        tokens.kinds[j] == WORD and fits(tokens, j, form)
        for j, form in zip(range(i, end), forms, strict=True)
    )


def any_at(tokens: Tokens, start: int, end: int, words: Words) -> bool:
    """True when one of `words` starts at a token from `start` to `end` (inclusive)."""
    return any(_at(tokens, i, forms) for i in range(max(start, 0), end + 1) for forms in words)


def _sentences(tokens: Tokens) -> list[int]:
    count, sentence = 0, []
    for kind in tokens.kinds:
        count += kind == STOP
        sentence.append(count)
    return sentence


def frames_failure(
    tokens: Tokens,
    pack: CuePack,
    spans: list[tuple[str, int, int, float, bool]],
) -> set[int]:
    """The indexes in `spans` (about, start, end, weight, negated) of the condition cues
    of normal use that frame a failure (see the module's docstring)."""
    in_use, sequels, _, wear = _words(pack)
    if not in_use or not sequels:
        return set()
    sentence = _sentences(tokens)
    failures = [
        start
        for about, start, _, weight, negated in spans
        if about == _FAILURE and weight > 0 and not negated
    ]
    framing: set[int] = set()
    for n, (about, start, end, weight, negated) in enumerate(spans):
        if about != CONDITION or weight <= 0 or negated:
            continue
        here = [j for j, s in enumerate(sentence) if s == sentence[start]]
        if not any_at(tokens, start, end, in_use) or any(any_at(tokens, j, j, wear) for j in here):
            continue
        # "after a week of use": the sequel just before the use, in its sentence.
        after = any(any_at(tokens, k, k, sequels) for k in here if start - _BEFORE <= k < start)
        if any(
            (after and sentence[failure] == sentence[start])
            or (
                failure > end
                and sentence[failure] - sentence[start] <= 1
                and any_at(tokens, end + 1, failure - 1, sequels)
            )
            for failure in failures
        ):
            framing.add(n)
    return framing


def asks_whether(tokens: Tokens, i: int, pack: CuePack) -> bool:
    """True when the conditional at token i follows a verb of checking or knowing in
    its clause ("could you check if", "mi sapete dire se"): it asks whether."""
    whether = _words(pack)[2]
    for j in range(i - 1, max(i - 1 - _WHETHER_REACH, -1), -1):
        if tokens.kinds[j] != WORD:
            return False
        if any(_at(tokens, j, forms) for forms in whether):
            return True
    return False
