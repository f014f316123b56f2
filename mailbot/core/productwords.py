"""How a product is written, in a product name or a customer's mail: its models, its
sizes and ratings, its own names (core/product.py compares them).

Nothing here knows a language. A model is Latin letters and digits together, wherever
it stands: a Chinese or Cyrillic word next to one ends it ("UT89X万用表"). A value is a
number and a unit the admin lists with the ways customers write it (rules/classify.toml
[products] units). A name is a word the product name capitalises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Unit:
    """A unit a product's name states a size or rating in, e.g. volts."""

    name: str  # as the reasons show it: "V"
    # How customers write it after a number ("V", "v", "volt", "В"); one letter counts
    # only in the case written, longer spellings in any.
    written: tuple[str, ...]
    weight: float  # how much another value than the ordered one speaks for a wrong item


@dataclass(frozen=True)
class ProductRules:
    """rules/classify.toml [products]."""

    # A model of the ordered one's family that is not the ordered one, for a wrong item…
    model_mismatch: float = 0.0
    # …and the share of it that counts when the mail writes the ordered model too.
    beside_ordered: float = 0.0
    # Capitalised words of product names that name no one product ("Every", "Starter").
    common_words: frozenset[str] = frozenset()
    units: tuple[Unit, ...] = ()


@dataclass(frozen=True)
class Model:
    """A model as a text writes it: "LRS-150-24", "ESP32-S3", "DHT22"."""

    words: str
    # Its parts that are models themselves, as written ("ESP32", "S3" of "ESP32-S3");
    # a model written without hyphens or dots is its own one part.
    parts: tuple[str, ...]

    @property
    def key(self) -> str:
        """As compared: lower case."""
        return self.words.lower()

    @property
    def keys(self) -> dict[str, str]:
        """The model and its parts, each as compared with its words."""
        return {self.key: self.words} | {p.lower(): p for p in self.parts}

    @property
    def joined(self) -> bool:
        return self.parts != (self.words,)


@dataclass(frozen=True)
class Value:
    """A size or rating: "12 V", or a range the product covers, "0-30 V"."""

    unit: Unit
    low: float
    high: float
    words: str

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


# Letters and digits, maybe joined by hyphens or dots ("LRS-150-24", "v1.3").
_COMPOUND = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")
_JOINS = re.compile(r"[-.]")
# A letter or digit of a word that goes on (not a Chinese character: those stand
# next to a name or model without joining it, "Weller烙铁").
_JOINED = r"[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
# A word of letters that stands alone ("Pinecil", not the "Pine" of "Pine64").
_WORD = re.compile(rf"(?<!{_JOINED})[^\W\d_]+(?!{_JOINED})")
_NUMBER = r"\d+(?:[.,]\d+)?"
# The low end of a range before a value: "0-30 V", "5 – 24 V".
_RANGE_START = re.compile(rf"({_NUMBER})\s?[-–~]\s?$")
# A name is a capitalised word this long ("Fluke", "Weller"); shorter ones ("Pi", "Pro")
# are too often something else.
_NAME_LENGTH = 4
_SENTENCE_END = ".!?:;…。！？"


def _model_shaped(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


@lru_cache(maxsize=8)
def _value_pattern(units: tuple[Unit, ...]) -> re.Pattern[str] | None:
    spellings = sorted((w for u in units for w in u.written), key=lambda w: -len(w))
    if not spellings:
        return None
    alternatives = "|".join(
        re.escape(w) if len(w) == 1 else f"(?i:{re.escape(w)})" for w in spellings
    )
    # A unit ends where its word does ("12 V", not "12 Vorgänge" or "2 A4988"); a Chinese
    # character does not go on with it ("12V的电源").
    return re.compile(rf"(?<![A-Za-z0-9.,])({_NUMBER})[ \u00a0-]?({alternatives})(?!{_JOINED})")


def _number(written: str) -> float:
    return float(written.replace(",", "."))


def _unit_of(spelled: str, units: tuple[Unit, ...]) -> Unit:
    return next(
        u
        for u in units
        for w in u.written
        if (w == spelled if len(w) == 1 else w.lower() == spelled.lower())
    )


def values(text: str, units: tuple[Unit, ...]) -> list[Value]:
    """The sizes and ratings `text` writes in `units`, a range as one."""
    pattern = _value_pattern(units)
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text):
        value = _number(match.group(1))
        start = _RANGE_START.search(text[max(0, match.start() - 12) : match.start()])
        low = _number(start.group(1)) if start else value
        unit = _unit_of(match.group(2), units)
        found.append(Value(unit, min(low, value), value, match.group()))
    return found


def models(text: str, units: tuple[Unit, ...]) -> list[Model]:
    """The models `text` writes, each with its parts; a size or rating ("12V", "8-GB")
    is no model."""
    pattern = _value_pattern(units)

    def model(token: str) -> bool:
        return _model_shaped(token) and not (pattern and pattern.fullmatch(token))

    found = []
    for match in _COMPOUND.finditer(text):
        whole = match.group()
        if model(whole):
            found.append(Model(whole, tuple(p for p in _JOINS.split(whole) if model(p))))
    return found


def words(text: str) -> set[str]:
    """The words of letters `text` writes, lower case."""
    return {w.group().lower() for w in _WORD.finditer(text)}


def names(product: str, common: frozenset[str]) -> set[str]:
    """The product's own names, as written: capitalised words (not all capitals: "USB",
    "LED" are kinds of things) that are not common words; the first word only when a
    name or model follows it ("Pinecil V2", "Fluke 117", "Saleae Logic", not "Digital
    multimeter", whose capital only starts the name)."""
    found: set[str] = set()
    for match in _WORD.finditer(product):
        word = match.group()
        if len(word) < _NAME_LENGTH or not word[0].isupper() or word.isupper():
            continue
        follows = product[match.end() :].split()[:1]
        named_after = bool(follows) and (follows[0][:1].isupper() or follows[0][:1].isdigit())
        if word.lower() in common or (match.start() == 0 and not named_after):
            continue
        found.add(word)
    return found


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in _SENTENCE_END or "\n\n" in text[len(before) : start]


def written_name(text: str, name: str) -> str | None:
    """`name` as `text` writes it, capitalised as the product writes it and not opening
    a sentence (where any word is capitalised); None when it does not."""
    for match in re.finditer(rf"(?<!{_JOINED}){re.escape(name)}(?!{_JOINED})", text):
        if not _sentence_start(text, match.start()):
            return match.group()
    return None
