"""Domain data of the decision core: plain frozen dataclasses, no I/O.

Everything the pure core reads or returns is defined here, so the shell (IMAP,
SMTP, database, files) and the core agree on one vocabulary: ticket, scenario,
evidence, order, decision (see docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailbot.core.evidencereport import EvidenceReport


class Scenario(StrEnum):
    """Which return process a request follows."""

    QUALITY_DEFECT = "quality_defect"
    WRONG_ITEM = "wrong_item"
    DEMAND_CHANGE = "demand_change"
    UNKNOWN = "unknown"


class TicketState(StrEnum):
    """Where a return case stands."""

    NEW = "new"
    NEEDS_INFO = "needs_info"
    UNDER_REVIEW = "under_review"
    OPTIONS_OFFERED = "options_offered"
    APPROVED = "approved"
    SHIPPED = "shipped"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    WAIVED = "waived"
    CLOSED = "closed"


class EvidenceKind(StrEnum):
    """What an attachment counts as, judged from its real content."""

    VIDEO = "video"
    PHOTO = "photo"
    SCREENSHOT = "screenshot"
    DOCUMENT = "document"
    OTHER = "other"


@dataclass(frozen=True)
class AttachmentFacts:
    """What sniffing an attachment's bytes established (never its name or declared type).

    ``fingerprint`` identifies the content: two attachments with the same fingerprint
    are the same file sent twice and count once. The fields after ``description`` are
    what a photo's or video's own metadata says, each empty when the file does not say
    it or the part read of it does not hold it.
    """

    filename: str
    declared_type: str
    mime_type: str
    size: int
    fingerprint: str
    width: int | None = None
    height: int | None = None
    description: str = ""
    # Perceptual hash (hex) of the picture's embedded thumbnail: close hashes are the
    # same picture resized or saved again. "" when no thumbnail was reachable.
    phash: str = ""
    # When the photo was taken (EXIF DateTimeOriginal); naive when it gives no offset.
    taken_at: datetime | None = None
    # The camera that took it (EXIF make and model, or exposure data): "" for none.
    camera: str = ""
    # The image's metadata calls it a screenshot (XMP or EXIF UserComment, Software).
    screenshot_mark: bool = False
    # A video's duration (its movie header) and a fingerprint of its first frames' bytes
    # (found through an index at the file's start); None and "" when not found.
    duration_ms: int | None = None
    frames: str = ""


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
    where: str = "text"  # "text", "subject" or "quoted"

    def describe(self) -> str:
        """E.g. `"not installed" (negated)`."""
        how = [h for h, on in (("negated", self.negated), ("before a but", self.contrasted),
                               (f"in the {self.where}", self.where != "text")) if on]  # fmt: skip
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


@dataclass(frozen=True)
class InboundMessage:
    """One email as the core sees it: decoded, sanitised, attachments sniffed."""

    message_id: str
    sender: str | None
    subject: str
    text: str
    attachments: tuple[AttachmentFacts, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    sender_name: str = ""
    received_at: datetime | None = None
    # Lower-cased header names with their decoded values, for the guard checks.
    headers: tuple[tuple[str, str], ...] = ()
    # MIME problems the parser worked around (recorded, never fatal).
    defects: tuple[str, ...] = ()
    # What the reading step (mailbot/reading/) found; empty until the shell reads it.
    reading: Reading = Reading()

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None


@dataclass(frozen=True)
class Order:
    """One order line from the shop's order data."""

    order_id: str
    customer_email: str
    product: str
    sku: str
    quantity: int
    payment_price: Decimal
    purchase_cost: Decimal
    export_postage: Decimal
    currency: str
    delivered_at: datetime
    tracking_number: str = ""
    carrier: str = ""


@dataclass(frozen=True)
class Ticket:
    """One return case, as far as the decision core needs it."""

    id: int | None
    reference: str
    state: TicketState
    scenario: Scenario
    customer_email: str
    order_id: str | None = None
    rma: str | None = None
    created_at: datetime | None = None
    ship_by: datetime | None = None
    # When the ticket entered its current state (deadlines of a state count from here).
    state_since: datetime | None = None
    # An agent marked the case complex: it gets longer before review is escalated.
    complex: bool = False
    # Closed for the customer's silence: a reply from the customer reopens it.
    reopenable: bool = False
    # The language the customer writes in, as last read ("" until known).
    language: str = ""


@dataclass(frozen=True)
class Money:
    """An amount in a currency; a reply formats it for the reader's language."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Reply:
    """One email to send: the template (``<audience>/<event>``) and its context.

    The RMA number is not known to the pure core (it is drawn at store time), so
    templates read it from the ticket the renderer is given. The context holds facts,
    not wording: datetimes, Money, counts and keys, formatted when the reply is rendered
    in `language` (the customer's, as read; "" for the desk's own language, as agents'
    mail always is).
    """

    template: str
    to: str
    context: dict[str, object] = field(default_factory=dict)
    language: str = ""


class CommandName(StrEnum):
    """What an agent can tell the bot to do with a ticket (the words are in the rules)."""

    APPROVE = "approve"
    REJECT = "reject"
    SCENARIO = "scenario"
    REQUEST = "request"
    COMPLEX = "complex"
    EXTEND = "extend"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUND = "refund"
    CLOSE = "close"
    REOPEN = "reopen"
    NOTE = "note"
    STATUS = "status"
    HELP = "help"


class ReminderKind(StrEnum):
    """What a scheduled reminder or expiry does when it falls due."""

    SHIP_REMINDER = "ship_reminder"  # customer: the shipping deadline is near
    SHIP_EXPIRED = "ship_expired"  # the deadline passed: return right waived
    INFO_FOLLOW_UP = "info_follow_up"  # customer: we still need what we asked for
    INFO_EXPIRED = "info_expired"  # silence: the ticket closes (a reply reopens it)
    CHOICE_FOLLOW_UP = "choice_follow_up"  # customer: please choose keep or return
    CHOICE_OVERDUE = "choice_overdue"  # agents: the customer never chose
    REVIEW_OVERDUE = "review_overdue"  # agents: a review waits too long
    REFUND_OVERDUE = "refund_overdue"  # agents: refund not issued after inspection


@dataclass(frozen=True)
class Reminder:
    """One scheduled reminder or expiry of a ticket, valid while it stays in ``state``.

    ``context`` holds what its mail quotes: strings, numbers, lists, dicts, datetimes
    and Money (the store keeps them as tagged JSON).
    """

    kind: ReminderKind
    due_at: datetime
    state: TicketState
    context: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What the core decided about one message: the new ticket state and why."""

    state: TicketState
    scenario: Scenario
    outcome: str
    reasons: tuple[str, ...]
    replies: tuple[Reply, ...] = ()
    issue_rma: bool = False
    ship_by: datetime | None = None
    refund: Decimal | None = None
    evidence: EvidenceReport | None = None
    order_id: str | None = None
    # The ticket's reminders from now on: they replace every pending one.
    reminders: tuple[Reminder, ...] = ()
    # Set when silence closes the ticket: the customer's next reply reopens it.
    reopenable: bool = False
    # Cloud storage links in the message: evidence an agent must check, never counted.
    links: tuple[str, ...] = ()
    # Why a person must look at the ticket now ("" when no one needs to).
    agent_notice: str = ""
    # The clock of the ticket's state restarts here (a customer's message); None: it
    # restarts only if the state changes.
    clock_from: datetime | None = None
    # True: the ticket's pending reminders stay as they are (nothing changed).
    keep_plan: bool = False
    # An agent marked (True) or unmarked the case as complex; None: unchanged.
    complex: bool | None = None
    # The language of the customer's mail ("" when the decision is not about one).
    language: str = ""
