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
- scores per scenario, the winner by the rules' margin, and the mail's kind (weigh.py);
  a wish to return a product the customer says is neither faulty nor wrong is a change
  of mind (intent.py);
- a short answer ("the second one") to the list of cases the reply quotes (answer.py);
- the order numbers it writes and the numbers standing alone (core/ordernumber.py), and
  the place it picks in a list of ours ("the second one", pick.py).
"""

from __future__ import annotations

from mailbot.core.cuebook import CuePack, ReadingRules
from mailbot.core.model import DOUBT, Cue, Reading
from mailbot.core.ordernumber import find_numbers
from mailbot.core.ownwords import own_words
from mailbot.core.rulebook import Rulebook
from mailbot.reading.alternatives import offered
from mailbot.reading.answer import answered_case, listed_cases
from mailbot.reading.cues import Found, find_cues
from mailbot.reading.frames import frames_failure
from mailbot.reading.language import detect_language, weigh_language
from mailbot.reading.pick import picked_place
from mailbot.reading.tokens import STOP, Tokens, tokenize
from mailbot.reading.weigh import SCENARIOS, weigh

__all__ = ["read"]

# How much of each part is read: enough for any customer's message, bounded for a pasted
# log or a long history.
_TEXT_CHARS = 8000
_QUOTED_CHARS = 3000
# The cue a short answer to the list of cases we asked about counts as (reading/answer.py).
_ANSWER = "a place in the quoted list of cases"
# The cue two cases offered as alternatives count as (reading/alternatives.py).
_ALTERNATIVES = "two cases offered as alternatives"


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


# A doubt in a sentence that names no case ("not sure if it is covered") counts this share;
# a case is named by a cue that says it clearly (weight 2 or more, for or against), not
# by a hint.
_DOUBT_ALONE = 0.5
_NAMES_A_CASE = 2.0
_CASES = frozenset(s.value for s in SCENARIOS)


def _cues_in(
    text: str, tokens: Tokens, pack: CuePack, rules: ReadingRules, where: str, weight: float
) -> list[Cue]:
    if not text or weight == 0:
        return []
    found = find_cues(tokens, pack)
    # A time of normal use before a failure says when it failed, not that the part was
    # changed ("used it for a week and then it stopped"): no condition.
    spans = [(f.cue.about, f.start, f.end, f.cue.weight, f.negated) for f in found]
    framing = frames_failure(tokens, pack, spans)
    found = [f for n, f in enumerate(found) if n not in framing]
    sentence, count = [], 0
    for kind in tokens.kinds:
        count += kind == STOP
        sentence.append(count)
    named = {
        sentence[f.start]
        for f in found
        if f.cue.about in _CASES and abs(f.cue.weight) >= _NAMES_A_CASE
    }

    def share(f: Found) -> float:
        alone = f.cue.about == DOUBT and sentence[f.start] not in named
        return weight * (_DOUBT_ALONE if alone else 1.0)

    cues = [_cue(f, text, tokens.starts, tokens.ends, share(f), rules, where) for f in found]
    # Two cases offered as alternatives in the customer's words: they cannot tell.
    span = offered(tokens, pack, spans) if where == "text" and rules.doubt else None
    if span is not None:
        words = text[tokens.starts[span[0]] : tokens.ends[span[1]]]
        cues.append(Cue(DOUBT, _ALTERNATIVES, words, rules.doubt))
    return cues


def _quoted_cues(quoted: str, pack: CuePack, rules: Rulebook) -> list[Cue]:
    if not quoted or rules.reading.quoted_weight == 0:
        return []
    return _cues_in(
        quoted, tokenize(quoted, pack), pack, rules.reading, "quoted", rules.reading.quoted_weight
    )


def read(subject: str, text: str, rules: Rulebook) -> Reading:
    """Read a mail from its subject and decoded body text."""
    reading_rules = rules.reading
    split = own_words(text)
    own = split.text[:_TEXT_CHARS]
    packs = {p.language: p for p in rules.cue_packs}
    # "" when no word tells ("410233", "2"): the reply keeps the ticket's language.
    language, clear = weigh_language(own or subject, rules.cue_packs, "")
    # A language without a pack (told by its script), or none, is read with the default pack.
    pack = packs.get(language) or packs[reading_rules.default_language]
    # Not in the quoted history: a list of orders we sent would name them all.
    written, alone = find_numbers(f"{subject}\n{own}", rules.order_numbers)
    quoted = split.quoted[:_QUOTED_CHARS]
    quoted_pack = packs[detect_language(quoted, rules.cue_packs, pack.language)] if quoted else pack
    cases = listed_cases(quoted, quoted_pack) if quoted else ()
    own_tokens = tokenize(own, pack)
    said = _cues_in(own, own_tokens, pack, reading_rules, "text", 1.0)
    # The subject weighs less than what the customer says happened, unless the text says
    # nothing of it ("Broken board" and an empty body, or "see photos").
    about = {c.about for c in said}
    subject_weight = (
        reading_rules.subject_weight if about.intersection(s.value for s in SCENARIOS) else 1.0
    )
    # A subject that repeats what the text says ("Not what I expected" over "… it's not
    # what I expected") says it once.
    repeated = {(c.about, c.cue) for c in said}
    cues = [
        *said,
        *(
            c
            for c in _cues_in(
                subject, tokenize(subject, pack), pack, reading_rules, "subject", subject_weight
            )
            if (c.about, c.cue) not in repeated
        ),
        # The history is read in its own language: a reply often quotes our mail, or a
        # colleague's, in another. A quoted list of the cases (our question which one it
        # is) names them all and says nothing of this one.
        *(() if cases else _quoted_cues(quoted, quoted_pack, rules)),
    ]
    # "The second one" under our question which case it is names that case.
    answer = answered_case(own, pack, cases, rules.cue_packs)
    if answer is not None and reading_rules.answer:
        case, words = answer
        cues.append(Cue(case.value, _ANSWER, words, reading_rules.answer))
    weighed = weigh(cues, own, reading_rules)
    return Reading(
        own_words=split.text,
        language=language,
        language_clear=clear,
        cues=tuple(cues),
        scores=weighed.scores,
        scenario=weighed.scenario,
        margin=weighed.margin,
        decided_by=weighed.decided_by,
        kind=weighed.kind,
        order_numbers=written,
        numbers=alone,
        pick=picked_place(own, own_tokens, pack, rules.cue_packs),
    )
