"""The ticket states and the transitions between them, in one place."""

from __future__ import annotations

from mailbot.core.model import TicketState as S

# Which state may follow which. Anything else is refused with a clear reason.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.NEEDS_INFO, S.UNDER_REVIEW, S.OPTIONS_OFFERED, S.APPROVED, S.REJECTED}),
    S.NEEDS_INFO: frozenset(
        {S.NEEDS_INFO, S.UNDER_REVIEW, S.OPTIONS_OFFERED, S.APPROVED, S.REJECTED, S.CLOSED}
    ),
    # Under review: the customer may write meanwhile; the case stays with the agents.
    S.UNDER_REVIEW: frozenset(
        {S.UNDER_REVIEW, S.NEEDS_INFO, S.OPTIONS_OFFERED, S.APPROVED, S.REJECTED, S.CLOSED}
    ),
    S.OPTIONS_OFFERED: frozenset({S.OPTIONS_OFFERED, S.APPROVED, S.CLOSED, S.REJECTED}),
    S.APPROVED: frozenset({S.APPROVED, S.SHIPPED, S.WAIVED, S.REJECTED, S.CLOSED}),
    S.SHIPPED: frozenset({S.SHIPPED, S.RECEIVED, S.CLOSED}),
    S.RECEIVED: frozenset({S.INSPECTED, S.REJECTED, S.CLOSED}),  # rejected: inspection failed
    S.INSPECTED: frozenset({S.REFUNDED, S.REJECTED, S.CLOSED}),
    S.REFUNDED: frozenset({S.CLOSED}),
    S.REJECTED: frozenset({S.UNDER_REVIEW, S.CLOSED}),
    S.WAIVED: frozenset({S.UNDER_REVIEW, S.CLOSED}),
    # Reopened: by an agent (review), or by the customer's reply to a ticket that closed
    # for silence, which runs the request checks again.
    S.CLOSED: frozenset({S.UNDER_REVIEW, S.NEEDS_INFO, S.OPTIONS_OFFERED, S.APPROVED, S.REJECTED}),
}


class IllegalTransition(ValueError):
    """A state change the lifecycle does not allow."""


def check_transition(current: S, new: S) -> None:
    """Raise IllegalTransition unless a ticket in `current` may move to `new`."""
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        raise IllegalTransition(
            f"a ticket that is {current.value} cannot become {new.value} (allowed: {allowed})"
        )
