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


@dataclass(frozen=True)
class Requirement:
    """One evidence requirement and how far the attachments meet it."""

    key: str
    label: str
    needed: int
    counted: int
    # Attachments of the right kind that did not count, with the reason each was refused.
    refused: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        """True when enough distinct, qualifying items arrived."""
        return self.counted >= self.needed

    @property
    def missing(self) -> int:
        """How many more qualifying items are needed."""
        return max(0, self.needed - self.counted)


class Verdict(StrEnum):
    """What became of one attachment."""

    COUNTED = "counted"
    DUPLICATE = "duplicate"  # the same file, or one that looks the same, came before
    REFUSED = "refused"  # of a needed kind but not good enough (not HD)
    IGNORED = "ignored"  # not a kind this request needs, or not what its name promises


@dataclass(frozen=True)
class AttachmentVerdict:
    """One attachment as judged: its kind, what became of it and why, in one line."""

    filename: str
    kind: EvidenceKind
    verdict: Verdict
    line: str
    # A photo taken before the delivery scan (by more than the rules' tolerance).
    before_delivery: bool = False


@dataclass(frozen=True)
class EvidenceReport:
    """Evidence checked against one scenario's requirements."""

    scenario: Scenario
    requirements: tuple[Requirement, ...]
    # Attachments that counted for nothing (e.g. a text file named .mp4), with why.
    ignored: tuple[str, ...] = ()
    duplicates: int = 0
    # Every attachment, oldest first, with its verdict.
    verdicts: tuple[AttachmentVerdict, ...] = ()
    # Attachments that look like an earlier one (resized, saved again), named.
    lookalikes: tuple[str, ...] = ()
    # Photos taken before the delivery scan: one line each, with the date.
    before_delivery: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every requirement is met."""
        return all(r.met for r in self.requirements)


@dataclass(frozen=True)
class Reply:
    """One email to send: the template (``<audience>/<event>``) and its context.

    The RMA number is not known to the pure core (it is drawn at store time), so
    templates read it from the ticket the renderer is given.
    """

    template: str
    to: str
    context: dict[str, object] = field(default_factory=dict)


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

    ``context`` holds what its mail quotes (JSON-safe: strings, numbers, lists, dicts).
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
