"""A mail as read (mailbot/reading/ fills it; the core decides on it): the Reading, the
Cues it found, and the kinds of mail that are not a return request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mailbot.core.vocabulary import Scenario


class MailKind(StrEnum):
    """A return request, or one of the mails that are not one."""

    RETURN = "return"
    DELIVERY = "delivery"  # where is my parcel, tracking stuck
    INVOICE = "invoice"  # an invoice, a VAT invoice
    PRESALES = "presales"  # a question before buying
    REFUND = "refund"  # when a refund comes, for a return under way
    THANKS = "thanks"  # thanks and nothing else
    AUTOMATIC = "automatic"  # out-of-office or a helpdesk's acknowledgement, as text


# The kinds that get an acknowledgement and an agent notice instead of a return answer.
NOT_RETURN = frozenset(
    {MailKind.DELIVERY, MailKind.INVOICE, MailKind.PRESALES, MailKind.REFUND, MailKind.THANKS}
)

# What a cue can speak for, besides the scenarios and the kinds.
CONDITION = "condition"  # the product was used, programmed, installed…
KEEP = "keep"  # a wrong-item customer keeps the item (option 1)
GIVE_BACK = "give_back"  # … or returns it (option 2)
RETURN_INTENT = "return_intent"  # "I want to return it": a return, whatever the reason
DOUBT = "doubt"  # "I'm not sure if it is faulty or the wrong one": the customer can't tell


@dataclass(frozen=True)
class Cue:
    """One cue found: what it speaks for, the cue as the pack writes it, the customer's
    words it matched, and how it counts."""

    about: str  # a Scenario value, a MailKind value, or CONDITION, KEEP, GIVE_BACK…
    cue: str
    words: str
    weight: float  # its signed contribution to `about`'s score
    negated: bool = False
    contrasted: bool = False  # said against something before a "but": conceded, weighs less
    # "text", "subject" or "quoted"; "order" for what the mail says of the product
    # against the ordered one (core/product.py; `cue` is then what the order says)
    where: str = "text"

    def describe(self) -> str:
        """E.g. `"not installed" (negated)`."""
        how = [h for h, on in (("negated", self.negated), ("before a but", self.contrasted),
                               (f"in the {self.where}", self.where not in ("text", "order")),
                               (f"ordered: {self.cue}", self.where == "order"))
               if on]  # fmt: skip
        return f'"{self.words}"' + (f" ({', '.join(how)})" if how else "")


@dataclass(frozen=True)
class Reading:
    """A mail as read. The empty Reading is a mail with no words (nothing was read)."""

    own_words: str = ""
    # "" when no word tells ("410233"): the reply keeps the ticket's language.
    language: str = ""
    # The words show the language clearly (reading/language.py); a short answer that
    # could be in several ("la seconda", "de tweede") keeps the ticket's language.
    language_clear: bool = False
    cues: tuple[Cue, ...] = ()
    scores: tuple[tuple[Scenario, float], ...] = ()
    # The scenario that wins by at least the rules' margin, else UNKNOWN.
    scenario: Scenario = Scenario.UNKNOWN
    margin: float = 0.0
    # Why the scenario was decided when not by its lead ("a change of mind: …"), else "".
    decided_by: str = ""
    kind: MailKind = MailKind.RETURN
    # Order numbers the mail writes (after a label, or in the shop's format) in its
    # subject and own words, as the order data holds them.
    order_numbers: tuple[str, ...] = ()
    # Numbers standing alone in the subject and own words: one of them is the order when
    # one of the sender's orders has it (core/ordernumber.py).
    numbers: tuple[str, ...] = ()
    # The place in a list of ours the customer picks ("the second one": 2), 0 for none.
    pick: int = 0

    def found(self, about: str) -> tuple[Cue, ...]:
        """The cues that speak for `about` (negated ones included)."""
        return tuple(c for c in self.cues if c.about == about)

    def affirmed(self, about: str) -> tuple[Cue, ...]:
        """The cues for `about` the customer affirms: not negated, counting for it."""
        return tuple(c for c in self.found(about) if not c.negated and c.weight > 0)

    @property
    def condition(self) -> tuple[Cue, ...]:
        """What the customer says now about use ("programmed", "installed"…), affirmed
        only: "I have not installed or programmed it" says nothing about use, and
        neither does quoted history."""
        return tuple(c for c in self.affirmed(CONDITION) if c.where != "quoted")

    def score(self, scenario: Scenario) -> float:
        """The scenario's score (0 when nothing spoke for or against it)."""
        return dict(self.scores).get(scenario, 0.0)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Grounds, e.g. `quality_defect 3.0: "does not power on", "defective" (in the subject)`,
        and the customer's doubt (`doubt: "not sure if"`)."""
        lines = []
        for scenario, score in self.scores:
            cues = self.found(scenario.value)
            if cues:
                lines.append(
                    f"{scenario.value} {score:+.1f}: " + ", ".join(c.describe() for c in cues)
                )
        if self.doubts:
            lines.append("doubt: " + ", ".join(c.describe() for c in self.doubts))
        return tuple(lines)

    @property
    def doubts(self) -> tuple[Cue, ...]:
        """Where the customer says, in their own words, they cannot tell which case it is."""
        return tuple(c for c in self.affirmed(DOUBT) if c.where == "text")
