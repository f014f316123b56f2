"""Text to tokens for one language: words as Snowball stems, Chinese by character, and the
punctuation that ends a clause or a sentence.

Snowball (PyStemmer, the C build of the Snowball algorithms: 2.6 MB, about 0.3 µs a
word) rather than simplemma: simplemma's lemma tables for nine of our languages took
10 s to load and 950 MB of memory, where a mail must be read in milliseconds by a
process that handles a 300 MB video in 60 MiB. Stems are enough because cues and mail
are stemmed alike ("defective", "defects" → "defect"; "kaputte" → "kaputt"); the few
irregular forms a stem misses ("sent", "geschickt") are listed in the cue packs.

Stems are compared without their accents: customers on phones and foreign keyboards
write "non mi serve piu", "nao funciona", "zwrocic", "ещё"/"еще", and the packs write
the accents: words are folded before they are stemmed, in the packs and in the mail
alike. A word keeps its accents where folding would make it a grammar word of the
language: Italian "è" (is) is not "e" (and), nor Portuguese "é", nor Spanish "sí" "si".
Chinese written in traditional characters ("壞了", "沒反應") is read in simplified ones,
as the pack is written (hanfold.txt).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import Stemmer

from mailbot.core.cuebook import CuePack

WORD, STOP, COMMA = 0, 1, 2
NEG = "¬"  # every negation word of a pack reads as this one token

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(
    rf"(?P<han>[{_HAN}])"
    rf"|(?P<word>(?:(?![{_HAN}])[^\W_])+)"
    # A full stop right before a letter ends no sentence: it is an abbreviation's
    # ("i.p.v.", "z.B.", "e.g."), whose letters read as words ("i p v").
    r"|(?P<stop>(?:[!?;:…()\[\]\n。！？；：（）]|\.(?![^\W\d_]))+)"
    r"|(?P<comma>[,，、]+|\s[-–—]\s)"
)


def _folding() -> dict[int, str]:
    """Each accented Latin letter to its base letter ("à" → "a", "ą" → "a"), "ł" → "l",
    and Russian "ё" → "е" (which most Russian text writes without its dots)."""
    table = {ord("ł"): "l", ord("ё"): "е"}
    for code in range(0xC0, 0x250):
        decomposed = unicodedata.normalize("NFD", chr(code))
        if len(decomposed) > 1 and decomposed[0].isascii():
            table[code] = decomposed[0]
    return table


_FOLD = _folding()


def _han_folding() -> dict[int, str]:
    """Each traditional Chinese character to its simplified one (hanfold.txt)."""
    lines = (Path(__file__).parent / "hanfold.txt").read_text(encoding="utf-8").splitlines()
    return {ord(line[0]): line[1] for line in lines if len(line) == 2}


# One character for one: a text keeps its length, so every span still points into it.
_HAN_FOLD = _han_folding()
_HAN_WORD = re.compile(rf"[{_HAN}]+")
_local = threading.local()  # PyStemmer's stemmers are not to be shared between threads


def _stemmer(name: str) -> Stemmer.Stemmer:
    stemmers: dict[str, Stemmer.Stemmer] = _local.__dict__.setdefault("stemmers", {})
    if name not in stemmers:
        stemmers[name] = Stemmer.Stemmer(name)
    return stemmers[name]


@dataclass(frozen=True)
class Grammar:
    """A pack's grammar words as sets of lower-case surface forms."""

    negations: frozenset[str]
    coordinations: frozenset[str]
    contrasts: frozenset[str]
    boundaries: frozenset[str]
    # "if", "falls", "如果": what the clause they open says is not said to have happened;
    # those of several words ("in case", "au cas où") as their words.
    conditionals: frozenset[str]
    conditional_phrases: tuple[tuple[str, ...], ...]
    # All of them: a stem never folds its accents into one of these.
    words: frozenset[str]
    # Those of two or more Chinese characters, longest first: each reads as one token
    # ("但是", "没有", "因为"), where single characters would never match them and "不过"
    # (but) would read as the negation "不".
    han_words: tuple[str, ...]
    # The first characters of those.
    han_starts: frozenset[str]
    # The first words of the conditionals of several words.
    phrase_starts: frozenset[str]


@lru_cache(maxsize=64)
def grammar_of(pack: CuePack) -> Grammar:
    """The pack's grammar as sets (one per pack, built once)."""
    negations, coordinations = frozenset(pack.negations), frozenset(pack.coordinations)
    contrasts, boundaries = frozenset(pack.contrasts), frozenset(pack.boundaries)
    conditionals = frozenset(w for w in pack.conditionals if " " not in w)
    phrases = tuple(tuple(w.split()) for w in pack.conditionals if " " in w)
    every = negations | coordinations | contrasts | boundaries | conditionals
    han = sorted((w for w in every if len(w) > 1 and _HAN_WORD.fullmatch(w)), key=len, reverse=True)
    return Grammar(
        negations, coordinations, contrasts, boundaries, conditionals, phrases, every, tuple(han),
        frozenset(w[0] for w in han), frozenset(p[0] for p in phrases),
    )  # fmt: skip


@dataclass
class Tokens:
    """A text as parallel lists: kind (WORD, STOP, COMMA), form (stem, NEG or the lower-case
    grammar word) and the span of the customer's words."""

    kinds: list[int]
    forms: list[str]
    starts: list[int]
    ends: list[int]
    lowers: list[str]


# Words already read, per pack: a mail's words repeat, and most were met in earlier mail
# (bounded: a few MB at most over the ten packs).
_KNOWN_WORDS = 8_000


@lru_cache(maxsize=64)
def _known(pack: CuePack) -> dict[str, str]:
    # Keyed by the word alone: a Chinese character is never a word of the other scripts.
    return {}


def _form(lower: str, han: bool, pack: CuePack, grammar: Grammar) -> str:
    """The form a word reads as: NEG, or its folded stem (see the module's docstring)."""
    if lower in grammar.negations:
        return NEG
    folded = lower.translate(_FOLD)
    form = lower if folded in grammar.words else folded
    if pack.stemmer and not han:
        form = _stemmer(pack.stemmer).stemWord(form)
    return form


def tokenize(text: str, pack: CuePack) -> Tokens:
    """Tokens of `text` as `pack`'s language reads them."""
    grammar = grammar_of(pack)
    known = _known(pack)
    if pack.script == "han":
        text = text.translate(_HAN_FOLD)
    # One row per token, turned into the parallel lists at the end (one append a token).
    rows: list[tuple[int, str, int, int, str]] = []
    joined = 0  # the end of a grammar word of several characters read as one token
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        start, end = match.span()
        if start < joined:
            continue
        if group == "word" or group == "han":
            lower = match.group().lower()
            if group == "han" and lower in grammar.han_starts:
                word = next((w for w in grammar.han_words if text.startswith(w, start)), "")
                if word:
                    lower, end = word, start + len(word)
                    joined = end
            form = known.get(lower)
            if form is None:
                form = _form(lower, group == "han", pack, grammar)
                if len(known) >= _KNOWN_WORDS:
                    known.clear()
                known[lower] = form
            rows.append((WORD, form, start, end, lower))
        elif group == "comma":
            rows.append((COMMA, "", start, end, ""))
        elif not _wrapped(text, match):
            rows.append((STOP, "", start, end, ""))
    if not rows:
        return Tokens([], [], [], [], [])
    kinds, forms, starts, ends, lowers = map(list, zip(*rows, strict=True))
    return Tokens(kinds, forms, starts, ends, lowers)


def _wrapped(text: str, match: re.Match[str]) -> bool:
    """True for a line break inside a sentence: plain-text mail is wrapped at about 72
    characters ("No está\ndañada"), and the next line goes on in lower case."""
    if match.group() != "\n":
        return False
    rest = text[match.end() : match.end() + 8].lstrip(" \t")
    return bool(rest) and rest[0].islower()


EXACT = "="  # a cue word written "=soldered" matches that word only, not its stem


# Written between two words of a cue ("schaltet … ab"), it lets the pack's
# `separable_gap` words stand there: the middle of a separable verb.
SEPARATED = ("…", "...")


def cue_forms(cue: str, pack: CuePack) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A cue as the forms its words take in a tokenized text (stems, NEG, and "=word"
    for a word the pack wants exactly: "=soldered" must not find "soldering station";
    "=不 开机", "does not start", must not find "没开机", "I did not start it"), with the
    most words allowed before each: the pack's gap between the cue's written words, its
    `separable_gap` after "…", none inside one written word ("装上" is not "装袋上",
    "don't" not "don ... t")."""
    forms: list[str] = []
    gaps: list[int] = []
    gap = 0
    for part in cue.split():
        if part in SEPARATED:
            gap = pack.separable_gap
            continue
        tokens = tokenize(part, pack)
        words = [f for k, f in zip(tokens.kinds, tokens.forms, strict=True) if k == WORD]
        if part.startswith(EXACT) and len(words) == 1:
            words = [EXACT + tokens.lowers[tokens.kinds.index(WORD)]]
        # Chinese writes no spaces: a cue of more characters than one word ("读数一直")
        # is a phrase whose words may stand apart like written ones ("读数都一直").
        inner = pack.gap if pack.script == "han" and len(words) > 2 else 0
        for n, word in enumerate(words):
            forms.append(word)
            gaps.append(gap if n == 0 else inner)
        gap = pack.gap
    return tuple(forms), tuple(gaps)


def fits(tokens: Tokens, i: int, form: str) -> bool:
    """True when token i is a word of `form` (a stem, NEG or an "=exact" word)."""
    if form.startswith(EXACT):
        return tokens.lowers[i] == form[1:]
    return tokens.forms[i] == form
