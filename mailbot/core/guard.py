"""Mail that must never be answered: auto-replies, bounces, lists, ourselves.

Each check is a small predicate returning the reason it matched (Mailman's rule shape);
`skip_reason` runs them in order. Such mail is recorded, never answered, so two robots
cannot talk to each other forever.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from mailbot.core.model import InboundMessage, MailKind

_NOREPLY = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?)(?:[+@-]|$)", re.I
)


def _no_sender(msg: InboundMessage) -> str | None:
    return None if msg.sender else "no single valid sender address"


def _auto_submitted(msg: InboundMessage) -> str | None:
    # RFC 3834: anything but "no" is machine-sent.
    value = (msg.header("auto-submitted") or "no").strip().lower()
    return None if value.startswith("no") else f"Auto-Submitted: {value}"


def _autoreply_headers(msg: InboundMessage) -> str | None:
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if msg.header(name) is not None:
            return f"{name} header (auto-reply)"
    return None


def _bulk(msg: InboundMessage) -> str | None:
    precedence = (msg.header("precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("list-id", "list-unsubscribe"):
        if msg.header(name) is not None:
            return f"{name} header (mailing list or bulk mail)"
    return None


def _bounce(msg: InboundMessage) -> str | None:
    content_type = (msg.header("content-type") or "").lower()
    if content_type.startswith("multipart/report"):
        return "delivery or disposition report"
    if (msg.header("return-path") or "").strip() in ("<>", ""):
        return None if msg.header("return-path") is None else "null Return-Path (bounce)"
    return None


def _noreply_sender(msg: InboundMessage) -> str | None:
    if msg.sender and _NOREPLY.match(msg.sender.split("@", 1)[0]):
        return f"machine sender {msg.sender}"
    return None


def _automatic_text(msg: InboundMessage) -> str | None:
    # An out-of-office or a helpdesk's acknowledgement sent without the headers that
    # say so: the reading step knows it by its words.
    if msg.reading.kind is not MailKind.AUTOMATIC:
        return None
    cues = ", ".join(c.describe() for c in msg.reading.affirmed(MailKind.AUTOMATIC.value))
    return f"automatic reply by its text: {cues}"


_CHECKS: tuple[Callable[[InboundMessage], str | None], ...] = (
    _no_sender,
    _auto_submitted,
    _autoreply_headers,
    _bulk,
    _bounce,
    _noreply_sender,
    _automatic_text,
)


def skip_reason(msg: InboundMessage, own_addresses: Collection[str]) -> str | None:
    """Why this message must get no answer, or None when it may be answered."""
    for check in _CHECKS:
        reason = check(msg)
        if reason:
            return reason
    if msg.sender and msg.sender.lower() in {a.lower() for a in own_addresses}:
        return f"sent by this bot's own address {msg.sender}"
    return None


def is_bounce(msg: InboundMessage) -> bool:
    """A delivery report or a mail from a mailer daemon: it may be about one of our mails."""
    local = (msg.sender or "").split("@", 1)[0].lower()
    return _bounce(msg) is not None or local in ("mailer-daemon", "postmaster")


def reply_limit(sender: str | None, replies_last_hour: int, per_hour: int) -> str | None:
    """Why `sender` gets no more mail this hour (a loop that got past the auto-reply
    headers, or a flood), or None."""
    if sender and replies_last_hour >= per_hour:
        return f"reply limit: {replies_last_hour} replies to {sender} in the last hour"
    return None


class Route(StrEnum):
    """Where a message goes after the loop guard."""

    CUSTOMER = "customer"  # a request or a reply: decided on
    AGENT = "agent"  # an agent's mail: its commands
    BOUNCE = "bounce"  # not answered, but it may report one of our mails undelivered
    SKIP = "skip"  # recorded, never answered


@dataclass(frozen=True)
class Seen:
    """What the shell found in the store about a message before it is judged."""

    key: str
    # The inbound key already recorded with this Message-ID, if any.
    recorded_as: str | None
    # Mails queued to the sender in the last hour.
    replies_last_hour: int


@dataclass(frozen=True)
class Screened:
    """The loop guard's verdict: the route, and why a message gets no answer."""

    route: Route
    reason: str = ""


def screen(
    msg: InboundMessage,
    seen: Seen,
    own_addresses: Collection[str],
    agents: Collection[str],
    replies_per_sender_hour: int,
) -> Screened:
    """Every loop-guard check, in order: the mail itself (skip_reason), a Message-ID
    recorded under another key (the same mail delivered twice, or met again under a new
    UIDVALIDITY), an agent's address, and the reply rate limit (a loop that got past
    the auto-reply headers, or a flood). Mail that must get no answer but may be a
    bounce goes to the bounce route."""
    reason = skip_reason(msg, own_addresses)
    if reason is None and seen.recorded_as is not None and seen.recorded_as != seen.key:
        reason = f"already handled: same Message-ID as {seen.recorded_as}"
    if reason is None and msg.sender in agents:
        return Screened(Route.AGENT)
    if reason is None:
        reason = reply_limit(msg.sender, seen.replies_last_hour, replies_per_sender_hour)
    if reason is None:
        return Screened(Route.CUSTOMER)
    return Screened(Route.BOUNCE if is_bounce(msg) else Route.SKIP, reason)
