"""Which language the customer's own words are in, told by the cue packs' own word lists.

Measured on tests/data/reading/short_mails.tsv (80 short mails, ten languages) and
tests/data/reading/tiny_mails.tsv (40 mails of one to four words: "Danke!", "Option 2
svp"): py3langid 80/80 and 39/40, but its model takes 106 MB of memory in every process
(and numpy, 75 MB installed); lingua-language-detector 80/80 and 36/40 in 300 MB, or
80/80 and 35/40 in its low-accuracy mode (33 MB). These word lists: 80/80 and 40/40 in
no memory to speak of and a few microseconds, and an admin adds a language by adding a
pack. They know the words customers use in mail ("danke", "bestellung", "parcel"), where
a general model hesitates on a word or two.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

from mailbot.core.cuebook import CuePack

_WORD = re.compile(r"[^\W\d_]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Scripts only one language writes: a mail in them is in that language even when no
# cue pack covers it (Japanese writes Han characters too, but never without kana), so
# it is answered in the desk's language instead of being taken for the pack's.
_OWN_SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # hiragana, katakana
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),  # hangul
)
_READ_CHARS = 3000  # the language shows in the first lines
_OWN_SCRIPT_CHARS = 3  # a few kana are Japanese, one may be a quoted name
# Links and addresses are in no language ("drive", "file", "d"), however many there are.
_NOT_WORDS = re.compile(r"\S*(?:://|@|www\.)\S*")
_NOT_WORD_MARKS = ("://", "@", "www.")


# A language is clear when its words outscore every other pack's by this much (two
# words' worth, or two Chinese characters): "La seconda." or "de tweede" is an answer in
# any of several languages, and keeps the language the ticket has.
_CLEAR_LEAD = 2.0


def detect_language(text: str, packs: tuple[CuePack, ...], default: str) -> str:
    """The language of the pack whose words and letters `text` uses most, else `default`;
    a language no pack covers when `text` is written in a script only it uses."""
    return weigh_language(text, packs, default)[0]


def weigh_language(text: str, packs: tuple[CuePack, ...], default: str) -> tuple[str, bool]:
    """`detect_language`, and whether the text shows it clearly (see _CLEAR_LEAD)."""
    head = text[: _READ_CHARS * 4]
    if any(mark in head for mark in _NOT_WORD_MARKS):  # the search costs more than this
        head = _NOT_WORDS.sub(" ", head)
    lower = head[:_READ_CHARS].lower()
    covered = {pack.language for pack in packs}
    for language, script in _OWN_SCRIPTS:
        if language not in covered and len(script.findall(lower)) >= _OWN_SCRIPT_CHARS:
            return language, True
    listed = _listing(packs)
    hits = [0] * len(packs)  # the words of the text each pack lists
    for word, count in Counter(_WORD.findall(lower)).items():
        for k in listed.get(word, ()):
            hits[k] += count
    letters = Counter(lower)
    han = len(_HAN.findall(lower))
    cyrillic = len(_CYRILLIC.findall(lower))
    best, best_score, second = default, 0.0, 0.0
    for pack, hit in zip(packs, hits, strict=True):
        score = float(hit)
        score += 0.5 * sum(letters[ch] for ch in pack.letters)
        if pack.script == "han":
            score += han
        elif pack.script == "cyrillic":
            score += cyrillic / 4  # about a word's worth of letters
        if score > best_score:
            best, best_score, second = pack.language, score, best_score
        else:
            second = max(second, score)
    return best, best_score - second >= _CLEAR_LEAD


@lru_cache(maxsize=8)
def _listing(packs: tuple[CuePack, ...]) -> dict[str, tuple[int, ...]]:
    """Each word of the packs' lists to the places (in `packs`) of the packs that list it:
    a text's words are looked up once, not once per pack."""
    index: dict[str, list[int]] = defaultdict(list)
    for k, pack in enumerate(packs):
        for word in pack.words:
            index[word].append(k)
    return {word: tuple(places) for word, places in index.items()}
