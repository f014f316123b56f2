"""The reading rules: cue packs per language (rules/cues/<lang>.toml) and how cues weigh
(rules/reading.toml), validated from plain data with every problem named by its key.

The core only checks their shape; turning cues into stems is the reading step's
(mailbot/reading/), which may use a stemmer the core must not import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from mailbot.core.model import (
    CONDITION,
    DOUBT,
    GIVE_BACK,
    KEEP,
    RETURN_INTENT,
    MailKind,
    Scenario,
)

# What a cue pack's weighted sections may speak for.
CUE_SECTIONS: tuple[str, ...] = (
    *(s.value for s in Scenario if s is not Scenario.UNKNOWN),
    CONDITION,
    KEEP,
    GIVE_BACK,
    RETURN_INTENT,
    DOUBT,
    *(k.value for k in MailKind if k is not MailKind.RETURN),
)
SCRIPTS = ("latin", "cyrillic", "han")
# The Snowball stemmers PyStemmer ships for our languages ("" : no stemming, e.g. Chinese,
# whose words do not inflect and are matched character by character).
STEMMERS = frozenset(
    {"", "english", "german", "french", "spanish", "italian", "portuguese", "dutch",
     "polish", "russian", "danish", "swedish", "norwegian", "finnish", "czech", "romanian",
     "hungarian", "turkish", "greek", "catalan"}
)  # fmt: skip
_MAX_WEIGHT = 10.0


@dataclass(frozen=True)
class CuePack:
    """How customers write in one language: the words that tell the language, the grammar
    that scopes a cue, and the weighted cues per scenario, condition, choice and kind."""

    language: str
    script: str
    stemmer: str
    # Frequent words of the language, lower case: they tell which language a mail is in.
    words: frozenset[str]
    # Letters only this language uses among the packs (ą, ß, ñ…): a hint for short mails.
    letters: str
    negations: tuple[str, ...]
    # "or", "and", "nor": a negation goes on across them to the next cue.
    coordinations: tuple[str, ...]
    # "but", "aber": what the sentence said against something before it is conceded.
    contrasts: tuple[str, ...]
    # "that", "because", "dass": a new clause starts; a negation ends there.
    boundaries: tuple[str, ...]
    # "if", "falls", "如果": the cues of the clause they open are not said to have happened.
    conditionals: tuple[str, ...]
    # Most words allowed between the words of one cue ("funktioniert leider nicht").
    gap: int
    # Most words allowed where a cue writes "…": the middle of a separable verb
    # ("schaltet … ab" finds "schaltet sich nach zwei Minuten wieder ab").
    separable_gap: int
    # Negation words that may also follow the verb they negate ("ich benutzte es nicht",
    # "ik gebruikte het niet"): German and Dutch main clauses put "nicht", "niet" there,
    # where "ohne Last" negates only its noun.
    negation_follows: tuple[str, ...]
    # The words for a place in a list ("first", "1st"; "second", "2nd"; …), one list per
    # place: "the second one" picks the second order of the list we asked about.
    ordinals: tuple[tuple[str, ...], ...]
    # Words of running the product in normal use ("used", "Betrieb", "utilisation"): a
    # condition cue with one of them is no condition when it frames a failure ("used it
    # for a week and then it stopped"); programming, soldering, installing always is.
    in_use: tuple[str, ...]
    # Words that put a failure after a time of use: "then", "after", "nach", "après".
    sequels: tuple[str, ...]
    # Words of hard or regular use ("daily", "in the workshop"): a use said with one is a
    # condition wherever it stands.
    wear: tuple[str, ...]
    # Verbs after which a conditional asks whether ("check if it is defective", "comprobar
    # si"): the clause it opens is what the customer asks about, not a supposition.
    whether_after: tuple[str, ...]
    # "or", "oder", "还是": two cases joined by one in a sentence are offered as
    # alternatives ("broken or the wrong model?"): the customer cannot tell.
    alternatives: tuple[str, ...]
    # (section, ((cue, weight), …)) for each of CUE_SECTIONS the pack fills.
    cues: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]

    def __hash__(self) -> int:
        # The reading's caches look a pack up several times for every mail; hashing its
        # thousand cues each time cost a quarter of a millisecond.
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash(tuple(getattr(self, f.name) for f in fields(self)))


@dataclass(frozen=True)
class ReadingRules:
    """How the scores are weighed and when a scenario wins."""

    # A scenario wins when it leads the next by this much…
    margin: float
    # …and scores at least this.
    minimum: float
    subject_weight: float
    quoted_weight: float
    # A cue against something ("works fine", "not broken") said before a "but" counts
    # this share.
    contrast_weight: float
    # A negated cue counts against what it speaks for, by this share of its weight.
    negated_weight: float
    # A customer whose own words say they cannot tell which case it is (doubt cues
    # weighing at least this) is asked, whatever the other cues say.
    doubt: float
    # A customer who wants to return a product their own words say is neither faulty nor
    # wrong (cues against those cases weighing at least this) has changed their mind;
    # 0 turns it off (reading/intent.py).
    denial: float
    # The language of a mail that gives no sign of one (and of cues no pack covers).
    default_language: str
    # What a short answer naming a place in the quoted list of cases ("the second one")
    # counts for that case; 0 turns it off.
    answer: float


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, key: str, problem: str) -> None:
        self.found.append((key, problem))


def _strings(table: Mapping[str, Any], name: str, key: str, problems: _Problems) -> list[str]:
    values = table.get(name, [])
    if not isinstance(values, list) or any(not isinstance(v, str) or not v.strip() for v in values):
        problems.add(f"{key}.{name}", "must be a list of non-empty strings")
        return []
    return [v.strip().lower() for v in values]


def _section(data: Any, key: str, problems: _Problems) -> tuple[tuple[str, float], ...]:
    if not isinstance(data, Mapping):
        problems.add(key, 'must be a table of "cue" = weight')
        return ()
    cues: list[tuple[str, float]] = []
    for cue, weight in data.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            problems.add(f'{key}."{cue}"', f"the weight must be a number, not {weight!r}")
        elif not 0 < abs(weight) <= _MAX_WEIGHT:
            problems.add(f'{key}."{cue}"', f"the weight must be -10 to 10, not 0: {weight}")
        elif not cue.strip():
            problems.add(key, "a cue must not be empty")
        else:
            cues.append((cue.strip().lower(), float(weight)))
    return tuple(cues)


def build_cue_pack(code: str, data: Mapping[str, Any], problems: _Problems) -> CuePack | None:
    """One language's pack from its file's data (`code` is the file's name)."""
    base = f"cues.{code}"
    language = data.get("language", {})
    grammar = data.get("grammar", {})
    if not isinstance(language, Mapping) or not isinstance(grammar, Mapping):
        problems.add(base, "needs the tables [language] and [grammar]")
        return None
    for name in data:
        if name not in ("language", "grammar", *CUE_SECTIONS):
            problems.add(f"{base}.{name}", f"unknown section (use {', '.join(CUE_SECTIONS)})")
    script = language.get("script", "latin")
    if script not in SCRIPTS:
        problems.add(f"{base}.language.script", f"must be one of {', '.join(SCRIPTS)}")
    stemmer = language.get("stemmer", "")
    if stemmer not in STEMMERS:
        problems.add(f"{base}.language.stemmer", f"unknown Snowball stemmer {stemmer!r}")
    gap = grammar.get("gap", 3)
    if isinstance(gap, bool) or not isinstance(gap, int) or not 0 <= gap <= 6:
        problems.add(f"{base}.grammar.gap", f"must be a whole number from 0 to 6, not {gap!r}")
        gap = 3
    separable = grammar.get("separable_gap", gap)
    if isinstance(separable, bool) or not isinstance(separable, int) or not 0 <= separable <= 8:
        problems.add(f"{base}.grammar.separable_gap", f"must be 0 to 8, not {separable!r}")
        separable = gap
    follows = _strings(grammar, "negation_follows", f"{base}.grammar", problems)
    boundaries = _strings(grammar, "boundaries", f"{base}.grammar", problems)
    cues = tuple(
        (name, _section(data[name], f"{base}.{name}", problems))
        for name in CUE_SECTIONS
        if name in data
    )
    _commas(cues, set(boundaries), base, problems)
    ordinals = grammar.get("ordinals", [])
    if not isinstance(ordinals, list) or any(
        not isinstance(words, list) or not words
        or any(not isinstance(w, str) or not w.strip() for w in words)
        for words in ordinals
    ):  # fmt: skip
        problems.add(f"{base}.grammar.ordinals", "must be a list of lists of words, one per place")
        ordinals = []
    letters = language.get("letters", "")
    if not isinstance(letters, str):
        problems.add(f"{base}.language.letters", "must be a string of letters")
        letters = ""
    return CuePack(
        language=code,
        script=str(script),
        stemmer=str(stemmer),
        words=frozenset(_strings(language, "words", f"{base}.language", problems)),
        letters=letters.lower(),
        negations=tuple(_strings(grammar, "negations", f"{base}.grammar", problems)),
        coordinations=tuple(_strings(grammar, "coordinations", f"{base}.grammar", problems)),
        contrasts=tuple(_strings(grammar, "contrasts", f"{base}.grammar", problems)),
        boundaries=tuple(boundaries),
        conditionals=tuple(_strings(grammar, "conditionals", f"{base}.grammar", problems)),
        gap=gap,
        separable_gap=separable,
        negation_follows=tuple(follows),
        ordinals=tuple(tuple(w.strip().lower() for w in words) for words in ordinals),
        in_use=tuple(_strings(grammar, "in_use", f"{base}.grammar", problems)),
        sequels=tuple(_strings(grammar, "sequels", f"{base}.grammar", problems)),
        wear=tuple(_strings(grammar, "wear", f"{base}.grammar", problems)),
        whether_after=tuple(_strings(grammar, "whether_after", f"{base}.grammar", problems)),
        alternatives=tuple(_strings(grammar, "alternatives", f"{base}.grammar", problems)),
        cues=cues,
    )


_COMMA = re.compile(r"[,，、]\s*(\S*)")


def _commas(
    cues: tuple[tuple[str, tuple[tuple[str, float], ...]], ...],
    boundaries: set[str],
    base: str,
    problems: _Problems,
) -> None:
    """A cue is read across a comma only before a subordinating word of the pack's
    boundaries ("nicht sicher, ob"); any other comma in a cue would never match."""
    for name, section in cues:
        for cue, _ in section:
            for after in _COMMA.findall(cue):
                if after not in boundaries:
                    problems.add(
                        f'{base}.{name}."{cue}"',
                        "a comma in a cue must be followed by a word of [grammar] boundaries"
                        f' ("nicht sicher, ob"); {after or "nothing"!r} is not one',
                    )


def _number(table: Mapping[str, Any], name: str, low: float, high: float, p: _Problems) -> float:
    value = table.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        p.add(f"reading.{name}", f"must be a number from {low:g} to {high:g}, not {value!r}")
        return low
    return float(value)


def build_reading_rules(
    data: Mapping[str, Any],
) -> tuple[ReadingRules, tuple[CuePack, ...], list[tuple[str, str]]]:
    """The reading rules and the cue packs from the merged rule data (`reading` and
    `cues.<lang>`), with the (key, problem) of everything wrong."""
    problems = _Problems()
    table = data.get("reading")
    if not isinstance(table, Mapping):
        problems.add("reading", "missing")
        table = {}
    packs_data = data.get("cues", {})
    packs = tuple(
        pack
        for code, pack_data in sorted(packs_data.items())
        if (pack := build_cue_pack(code, pack_data, problems)) is not None
    )
    default = table.get("default_language")
    if default not in {p.language for p in packs}:
        problems.add("reading.default_language", f"no cue pack for {default!r} in rules/cues/")
    rules = ReadingRules(
        margin=_number(table, "margin", 0, 100, problems),
        minimum=_number(table, "minimum", 0, 100, problems),
        subject_weight=_number(table, "subject_weight", 0, 1, problems),
        quoted_weight=_number(table, "quoted_weight", 0, 1, problems),
        contrast_weight=_number(table, "contrast_weight", 0, 1, problems),
        negated_weight=_number(table, "negated_weight", 0, 1, problems),
        doubt=_number(table, "doubt", 0, 100, problems),
        denial=_number(table, "denial", 0, 100, problems),
        default_language=str(default),
        answer=_number(table, "answer", 0, 100, problems),
    )
    return rules, packs, problems.found
