"""The domain's named values: scenarios, ticket states, evidence kinds, agent commands
and reminder kinds (the core's other data is in model.py and mailreading.py)."""

from __future__ import annotations

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
