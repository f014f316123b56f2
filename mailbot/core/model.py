"""Domain data of the decision core: plain frozen dataclasses, no I/O.

Everything the pure core reads or returns is defined here, so the shell (IMAP,
SMTP, database, files) and the core agree on one vocabulary: ticket, scenario,
evidence, order, decision (see docs/architecture.md). The named values (scenarios,
states, kinds) are in vocabulary.py and a mail as read in mailreading.py; this module
exports them too, as one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from mailbot.core.mailreading import (
    CONDITION,
    DOUBT,
    GIVE_BACK,
    KEEP,
    NOT_RETURN,
    RETURN_INTENT,
    Cue,
    MailKind,
    Reading,
)
from mailbot.core.vocabulary import CommandName, EvidenceKind, ReminderKind, Scenario, TicketState

__all__ = [
    "CONDITION",
    "DOUBT",
    "GIVE_BACK",
    "KEEP",
    "NOT_RETURN",
    "RETURN_INTENT",
    "AttachmentFacts",
    "CommandName",
    "Cue",
    "Decision",
    "EvidenceKind",
    "InboundMessage",
    "MailKind",
    "Money",
    "Order",
    "Reading",
    "Reminder",
    "ReminderKind",
    "Reply",
    "Scenario",
    "Ticket",
    "TicketState",
]

if TYPE_CHECKING:
    from mailbot.core.evidencereport import EvidenceReport


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
    # What the reading step (mailbot/reading/) found; empty until the shell reads it.
    reading: Reading = field(default_factory=Reading)

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
