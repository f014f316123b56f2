"""One line of the run log: what happened to one inbound message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Handled:
    """What happened to one inbound message: its decision (outcome) and why."""

    key: str
    message_id: str
    ticket: str
    outcome: str
    reasons: tuple[str, ...]
