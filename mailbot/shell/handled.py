"""What happened to one inbound message: the run log's line, and for a dry run the whole
decision and the mail it would send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailbot.core.model import Decision, InboundMessage
    from mailbot.outbound.letters import Letter


@dataclass(frozen=True)
class Handled:
    """What happened to one inbound message: its decision (outcome) and why."""

    key: str
    message_id: str
    ticket: str
    outcome: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """The result of handling one message: the log line, the message as the core saw it,
    the decision (None when it was skipped) and the mail written."""

    handled: Handled
    message: InboundMessage
    decision: Decision | None = None
    letters: tuple[Letter, ...] = ()
