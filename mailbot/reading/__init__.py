"""The reading step, between parse and decide: what a customer's mail says.

Pure like the core (no I/O, no clock, no network), but outside mailbot/core because
it uses a stemmer (PyStemmer). `read` takes the subject and the body text and returns
a `Reading` (mailbot/core/reading.py) that the decision core weighs:

- own words: the newest text without quoted history, signature or disclaimer
  (core/ownwords.py);
- language: of the own words (language.py);
- cues: the cue pack of that language (rules/cues/<lang>.toml) found in the own words,
  the subject and the quoted history, each scoped by negation and contrast (cues.py)
  and weighed by where it stands: the customer's words count fully, the subject less
  (unless the words say nothing of what happened), the history least
  (rules/reading.toml);
- scores per scenario, the winner by the rules' margin, and the mail's kind (weigh.py).
"""

from __future__ import annotations

from mailbot.core.cuebook import CuePack, ReadingRules
from mailbot.core.model import Cue, Reading
from mailbot.core.ownwords import own_words
from mailbot.core.rulebook import Rulebook
from mailbot.reading.cues import Found, find_cues
from mailbot.reading.language import detect_language
from mailbot.reading.tokens import tokenize
from mailbot.reading.weigh import SCENARIOS, kind_of, scores, winner

__all__ = ["read"]

# How much of each part is read: enough for any customer's message, bounded for a pasted
# log or a long history.
_TEXT_CHARS = 8000
_QUOTED_CHARS = 3000


def _cue(found: Found, text: str, starts: list[int], ends: list[int], weight: float,
         rules: ReadingRules, where: str) -> Cue:  # fmt: skip
    if found.contrasted:
        weight *= rules.contrast_weight
    if found.negated:
        weight *= -rules.negated_weight
    start = starts[found.start]
    if start > 1 and text[start - 1] in "'’":
        # A cue that starts in a contraction shows the whole word: "don't", not "t".
        start = starts[found.start - 1] if found.start else start
    return Cue(
        about=found.cue.about,
        cue=found.cue.text,
        words=text[start : ends[found.end]],
        weight=round(found.cue.weight * weight, 3),
        negated=found.negated,
        contrasted=found.contrasted,
        where=where,
    )


def _cues_in(text: str, pack: CuePack, rules: ReadingRules, where: str, weight: float) -> list[Cue]:
    if not text or weight == 0:
        return []
    tokens = tokenize(text, pack)
    return [
        _cue(found, text, tokens.starts, tokens.ends, weight, rules, where)
        for found in find_cues(tokens, pack)
    ]


def read(subject: str, text: str, rules: Rulebook) -> Reading:
    """Read a mail from its subject and decoded body text."""
    reading_rules = rules.reading
    split = own_words(text)
    own = split.text[:_TEXT_CHARS]
    packs = {p.language: p for p in rules.cue_packs}
    language = detect_language(own or subject, rules.cue_packs, reading_rules.default_language)
    # A language without a pack (told by its script) is read with the default pack.
    pack = packs.get(language) or packs[reading_rules.default_language]
    said = _cues_in(own, pack, reading_rules, "text", 1.0)
    # The subject weighs less than what the customer says happened, unless the text says
    # nothing of it ("Broken board" and an empty body, or "see photos").
    about = {c.about for c in said}
    subject_weight = (
        reading_rules.subject_weight if about.intersection(s.value for s in SCENARIOS) else 1.0
    )
    cues = [
        *said,
        *_cues_in(subject, pack, reading_rules, "subject", subject_weight),
        *_cues_in(split.quoted[:_QUOTED_CHARS], pack, reading_rules, "quoted",
                  reading_rules.quoted_weight),
    ]  # fmt: skip
    total = scores(cues)
    scenario, margin = winner(total, reading_rules)
    # The kind of mail comes from what it says itself, not from the history it quotes.
    fresh = [c for c in cues if c.where != "quoted"]
    kind = kind_of(scores(fresh), fresh, asks=any(mark in own for mark in "?？"))
    return Reading(
        own_words=split.text,
        language=language,
        cues=tuple(cues),
        scores=tuple((s, round(total.get(s.value, 0.0), 3)) for s in SCENARIOS),
        scenario=scenario,
        margin=round(margin, 3),
        kind=kind,
    )
