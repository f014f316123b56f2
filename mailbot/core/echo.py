"""What of a stranger's words our mail may repeat. Pure.

Our replies come from the shop's real address, so whatever they echo carries the
shop's authority: a display name such as "Your account is locked, verify at http://…"
greeted back ("Dear Your account is locked, …") is phishing sent by the shop. And a
reply listing every link of a mail can be made as large as the mail.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from itertools import pairwise

# A display name is greeted only if it is shaped like a personal name: 1 to NAME_WORDS
# words of letters, at most NAME_CHARS characters.
NAME_WORDS = 4
NAME_CHARS = 40
# Inside a word of a name: "O'Brien", "Jean-Luc", "D’Arc".
_JOINERS = frozenset("'’-")
# A lower-case word this short may be a name particle ("de", "van", "al"); longer
# lower-case words are prose, which names are not.
_PARTICLE_CHARS = 3


def greeting_name(display_name: str) -> str:
    """The display name to greet, or "" to greet neutrally.

    Greeted only when it has the shape of a personal name: words of letters (any
    script), apostrophes and hyphens inside a word, an initial with its period ("J."),
    each word capitalised unless it is a short particle; few words, few characters.
    A link, a domain, an address, a number or a sentence cannot take that shape, so
    none of them is ever repeated in the shop's name. Words are not judged: "Verify
    Now" is greeted, but it carries nowhere to go.
    """
    name = unicodedata.normalize("NFC", " ".join(display_name.split()))
    words = name.split(" ")
    if not name or len(words) > NAME_WORDS or len(name) > NAME_CHARS:
        return ""
    return name if all(_name_word(word) for word in words) else ""


def _name_word(word: str) -> bool:
    if len(word) == 2 and word[1] == "." and word[0].isalpha():
        return word[0].isupper() or not word[0].islower()  # an initial
    inner = all(ch.isalpha() or (ch in _JOINERS and 0 < i < len(word) - 1)
                for i, ch in enumerate(word))  # fmt: skip
    if not inner or any(a in _JOINERS and b in _JOINERS for a, b in pairwise(word)):
        return False
    return not word[0].islower() or len(word) <= _PARTICLE_CHARS


def listed(links: Sequence[str], limit: int) -> dict[str, object]:
    """Template context for a list of links: the first `limit`, and how many more."""
    return {"links": list(links[:limit]), "more_links": max(0, len(links) - limit)}
