"""Reading customer text: the customer's own words, phrases, order numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from mailbot.core.pattern import Pattern

# A reply's quoted history starts at an attribution line ("On Mon, X wrote:") or the
# Outlook separator; everything from there on is not the customer's new text.
_QUOTE_START = re.compile(
    r"^(?:On .{0,200}wrote:\s*$|Am .{0,200}schrieb .{0,200}:\s*$|-{2,}\s*Original Message\s*-{2,}"
    r"|_{10,}\s*$|From:\s.+$)",
    re.IGNORECASE,
)


def own_text(text: str) -> str:
    """The customer's new words: quoted lines (`>`) and quoted history removed."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept)


@lru_cache(maxsize=4096)  # the rule phrases, asked for with every message
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<![\w'])" + r"\s+".join(words) + r"(?![\w'])", re.IGNORECASE)


def find_phrases(text: str, phrases: Iterable[str], negations: Iterable[str] = ()) -> list[str]:
    """Phrases that occur in `text` as whole words and are not negated just before."""
    negators = set(negations)
    found: list[str] = []
    for phrase in phrases:
        for match in _phrase_pattern(phrase).finditer(text):
            before = re.findall(r"[\w']+", text[max(0, match.start() - 40) : match.start()].lower())
            if not negators.intersection(before[-2:]):
                found.append(phrase)
                break
    return found


def find_order_number(subject: str, text: str, pattern: Pattern) -> str | None:
    """The first order number in the subject, else in the text, else None."""
    for source in (subject, text):
        match = pattern.search(source)
        number = match.group(1) if match else None
        if number:
            return number.upper()
    return None


_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)


def find_links(text: str, hosts: Iterable[str]) -> tuple[str, ...]:
    """Distinct http(s) links in `text` whose host is one of `hosts` or a subdomain."""
    wanted = tuple(hosts)
    found: dict[str, None] = {}  # distinct, in order; a list's `in` made 5,000 links slow
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
        host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()  # drop user info and port
        if url not in found and any(host == h or host.endswith("." + h) for h in wanted):
            found[url] = None
    return tuple(found)
