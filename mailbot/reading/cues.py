"""Finding a pack's cues in a text, each scoped like a careful reader would.

A cue is a word pattern: its words' stems in order, up to the pack's `gap` other words
between them (its `separable_gap` where the cue writes "…", none inside one written
word), never across "and", "but", "that" or the end of a sentence, nor a comma but the
one before a subordinating word the cue names ("nicht sicher, ob"), and never over the
words of another cue. Negation words in a cue
are part of it ("does not work", "funktioniert nicht"). A negation word outside every
cue negates the cues that follow it in its clause: up to a few words on, and on across
"or", "and" and commas to the next cue of the same kind ("I have not installed or
programmed it"), but never past "that", "because", "but" or the end of the sentence. A
list goes on with things of one kind: "no return needed, it works fine" negates the
return, not the "works fine" after the comma. What a sentence says
against something before a contrast ("works fine, but …", "not broken, but …") is
conceded: it counts less. What it says for something keeps its weight ("my mistake, I
ordered the 5V one but needed 12V"). A cue in a clause that a conditional opens ("if it
breaks", "falls es kaputt geht") is not said to have happened: it is not counted,
unless a verb of checking or knowing comes just before it ("check if it is defective"
asks whether; reading/frames.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from mailbot.core.cuebook import CuePack
from mailbot.reading.frames import asks_whether
from mailbot.reading.tokens import (
    COMMA,
    EXACT,
    NEG,
    STOP,
    WORD,
    Grammar,
    Tokens,
    cue_forms,
    fits,
    grammar_of,
)

# A negation reaches this many words ahead (and as far again past each cue it negates).
_REACH = 4
# Past "or", "and" or a comma, the next cue must start within this many words to share it.
_CHAIN = 2


@dataclass(frozen=True)
class CompiledCue:
    """One cue of a pack, as forms to find."""

    about: str
    text: str
    forms: tuple[str, ...]
    # The most words allowed before each form (the first's is 0).
    gaps: tuple[int, ...]
    weight: float
    # A negation word is one of its words ("does not work"): found, it is affirmed.
    negates: bool
    # The stems (and NEG) and the "=exact" words of its forms after the first: a text
    # without all of them cannot hold the cue, which is then not tried word by word.
    stems: frozenset[str]
    words: frozenset[str]


@dataclass(frozen=True)
class CompiledPack:
    """A pack's cues indexed by their first form: a stem (or NEG), or an "=exact" word
    (by the word), longest cue first."""

    by_form: dict[str, tuple[CompiledCue, ...]]
    by_word: dict[str, tuple[CompiledCue, ...]]


@dataclass
class Found:
    """A cue found in a text: the token span it covers and how it is scoped."""

    cue: CompiledCue
    start: int
    end: int  # index of its last token
    negated: bool = False
    contrasted: bool = False
    # In a clause that a conditional opens ("if it breaks"): not said to have happened.
    supposed: bool = False


@lru_cache(maxsize=64)
def compile_pack(pack: CuePack) -> CompiledPack:
    """The pack's cues indexed by their first form (built once per pack)."""
    index: dict[str, list[CompiledCue]] = defaultdict(list)
    negations = {EXACT + word for word in pack.negations}
    for about, cues in pack.cues:
        for text, weight in cues:
            forms, gaps = cue_forms(text, pack)
            if forms and any(f != NEG for f in forms):
                negates = any(f == NEG or f in negations for f in forms)
                rest = forms[1:]
                stems = frozenset(f for f in rest if not f.startswith(EXACT))
                words = frozenset(f[1:] for f in rest if f.startswith(EXACT))
                index[forms[0]].append(
                    CompiledCue(about, text, forms, gaps, weight, negates, stems, words)
                )
    ordered = {first: tuple(sorted(c, key=lambda c: -len(c.forms))) for first, c in index.items()}
    return CompiledPack(
        {first: c for first, c in ordered.items() if not first.startswith(EXACT)},
        {first[1:]: c for first, c in ordered.items() if first.startswith(EXACT)},
    )


def _match_at(
    tokens: Tokens, i: int, cue: CompiledCue, joints: frozenset[str], subordinators: frozenset[str]
) -> tuple[int, tuple[int, ...]] | None:
    """The index of the cue's last token and the indexes of the words it skipped, if the
    cue starts at token i; else None. A gap never skips a word in `joints` ("and",
    "but", "that"): the cue's words must stand in one clause; nor a negation, which
    would turn the cue around ("maar ik heb niets gekregen" is not "but I got"). The cue
    goes on past a comma only to the subordinating word it names next: German, Polish
    and Russian write a comma before "ob", "czy", "что" ("nicht sicher, ob")."""
    j = i
    gaps: list[int] = []
    for form, gap in zip(cue.forms[1:], cue.gaps[1:], strict=True):
        skipped = 0
        j += 1
        while j < len(tokens.kinds) and not fits(tokens, j, form):
            if tokens.kinds[j] == COMMA and _subordinate(tokens, j + 1, form, subordinators):
                j += 1
                break
            if tokens.kinds[j] != WORD:
                break
            skipped += 1
            if skipped > gap or tokens.lowers[j] in joints or tokens.forms[j] == NEG:
                return None
            gaps.append(j)
            j += 1
        if j >= len(tokens.kinds) or tokens.kinds[j] != WORD:
            return None
    return j, tuple(gaps)


def _subordinate(tokens: Tokens, j: int, form: str, subordinators: frozenset[str]) -> bool:
    """True when token j is the subordinating word `form` ("ob" after "nicht sicher,")."""
    return j < len(tokens.kinds) and tokens.lowers[j] in subordinators and fits(tokens, j, form)


def find_cues(tokens: Tokens, pack: CuePack) -> list[Found]:
    """The cues of `pack` in `tokens`, scoped; where two overlap, the longer wins."""
    compiled = compile_pack(pack)
    grammar = grammar_of(pack)
    joints = grammar.coordinations | grammar.contrasts | grammar.boundaries | grammar.conditionals
    # Most cues a word starts need a word the text does not have: only the others are
    # tried where they start.
    stems, words = set(tokens.forms), set(tokens.lowers)
    by_form = _viable(compiled.by_form, stems, stems, words)
    by_word = _viable(compiled.by_word, words, stems, words)
    candidates: list[Found] = []
    skips: dict[int, tuple[int, ...]] = {}  # id of a candidate -> the words its gaps skip
    for i, (kind, form) in enumerate(zip(tokens.kinds, tokens.forms, strict=True)):
        if kind != WORD:
            continue
        for cue in (*by_form.get(form, ()), *by_word.get(tokens.lowers[i], ())):
            matched = _match_at(tokens, i, cue, joints, grammar.boundaries)
            if matched is not None:
                candidates.append(Found(cue, i, matched[0]))
                skips[id(candidates[-1])] = matched[1]
    # A gap is for words that say nothing ("does really not work"): a cue whose gap
    # skips the whole of another cue ("want to [return] order") is not that cue.
    spans = [(f.start, f.end) for f in candidates]
    candidates = [
        f
        for f in candidates
        if not (gaps := set(skips[id(f)]))
        or not any(gaps.issuperset(range(a, b + 1)) for a, b in spans)
    ]
    # Longest cue first; of two as long, the tighter (fewer words skipped), the weightier,
    # then the first.
    candidates.sort(key=lambda f: (-len(f.cue.forms), f.end - f.start, -abs(f.cue.weight), f.start))
    taken: set[int] = set()
    found: list[Found] = []
    for candidate in candidates:
        span = range(candidate.start, candidate.end + 1)
        if not taken.intersection(span):
            taken.update(span)
            found.append(candidate)
    found.sort(key=lambda f: f.start)
    _scope(tokens, pack, found, taken)
    if pack.negation_follows:
        _negations_after(tokens, pack, found, taken)
    return [f for f in found if not f.supposed]


def _viable(
    index: dict[str, tuple[CompiledCue, ...]], keys: set[str], stems: set[str], words: set[str]
) -> dict[str, tuple[CompiledCue, ...]]:
    """Of `index`, the cues under `keys` whose other forms all stand in the text."""
    viable = {}
    for key in keys:
        cues = index.get(key)
        if cues is not None and (
            kept := tuple(c for c in cues if c.stems <= stems and c.words <= words)
        ):
            viable[key] = kept
    return viable


def _negations_after(tokens: Tokens, pack: CuePack, found: list[Found], taken: set[int]) -> None:
    """Negate a cue that a free negation of `pack.negation_follows` follows in its clause
    ("benutzte es nicht", "Benutzt habe ich es nie"), unless another cue or negation
    comes first."""
    grammar = grammar_of(pack)
    stops = grammar.coordinations | grammar.contrasts | grammar.boundaries | grammar.conditionals
    for cue in found:
        if cue.negated or cue.cue.negates:
            continue
        for j in range(cue.end + 1, len(tokens.kinds)):
            if tokens.kinds[j] != WORD or tokens.lowers[j] in stops or j in taken:
                break
            if tokens.forms[j] == NEG:
                cue.negated = tokens.lowers[j] in pack.negation_follows
                break


def _opens(tokens: Tokens, i: int, grammar: Grammar) -> bool:
    """True when a conditional of several words starts at token i ("in case")."""
    if tokens.lowers[i] not in grammar.phrase_starts:
        return False
    phrases = grammar.conditional_phrases
    return any(tuple(tokens.lowers[i : i + len(p)]) == p for p in phrases)


def _scope(tokens: Tokens, pack: CuePack, found: list[Found], taken: set[int]) -> None:
    """Mark the found cues negated, contrasted or supposed (see the module's docstring)."""
    grammar = grammar_of(pack)
    starting = {f.start: f for f in found}
    sentence: list[Found] = []  # cues of the current sentence so far
    supposing = False  # in a clause a conditional opened ("if it breaks")
    reach = 0  # words a free negation still reaches; 0: none active
    chained = False  # the last thing seen was a negated cue (a list may go on)
    # Past "or", "and" or a comma, what the list is of (the negated cue's kind): only a
    # cue of that kind shares its negation. None: a negation word's own reach.
    listed: str | None = None
    last = ""
    i = 0
    while i < len(tokens.kinds):
        kind, lower = tokens.kinds[i], tokens.lowers[i]
        if kind != WORD or lower in grammar.contrasts or lower in grammar.boundaries:
            supposing = False
        if kind == STOP:
            sentence, reach, chained = [], 0, False
        elif (
            i not in taken
            and (lower in grammar.conditionals or _opens(tokens, i, grammar))
            and not asks_whether(tokens, i, pack)
        ):
            reach, chained, supposing = 0, False, True
        elif tokens.forms[i] == NEG and i not in taken and i not in starting:
            # "ni … ni", "weder": a negation that also joins starts its own reach.
            reach, chained, listed = _REACH, False, None
        elif kind == COMMA or lower in grammar.coordinations:
            reach = _CHAIN if chained else 0
            listed = last if chained else None
        elif lower in grammar.contrasts:
            for earlier in sentence:
                earlier.contrasted = earlier.negated or earlier.cue.weight < 0
            reach, chained = 0, False
        elif lower in grammar.boundaries:
            reach, chained = 0, False
        elif i in starting:
            cue = starting[i]
            negates_itself = cue.cue.negates
            same = listed is None or cue.cue.about == listed
            cue.negated = reach > 0 and same and not negates_itself
            cue.supposed = supposing
            chained, last, listed = cue.negated, cue.cue.about, None
            reach = _REACH if cue.negated else 0
            sentence.append(cue)
            i = cue.end + 1
            continue
        elif reach:
            reach -= 1
            chained = chained and reach > 0
        i += 1
