"""Mail to the agents when a ticket needs a person. Pure: the agents' addresses are data."""

from __future__ import annotations

from dataclasses import replace

from mailbot.core.model import Decision, InboundMessage, Reply, Ticket
from mailbot.core.text import own_text
from mailbot.core.wording import evidence_lines

_EXCERPT_CHARS = 1500


def stranger_notice(referenced: Ticket | None, sender: str | None) -> str:
    """Why agents must know about a mail quoting someone else's ticket ("" if it does not)."""
    if referenced is None or (sender or "").lower() == referenced.customer_email.lower():
        return ""
    return (
        f"{sender or 'a sender without a valid address'} quoted ticket {referenced.reference}"
        f" of {referenced.customer_email}; the mail was kept out of that ticket"
    )


def with_agent_notices(
    decision: Decision, message: InboundMessage, agents: tuple[str, ...], *extra: str
) -> Decision:
    """`decision` plus one notice to each agent when it, or `extra`, says a person must look."""
    why = "; ".join(w for w in (decision.agent_notice, *extra) if w)
    if not why or not agents:
        return decision if why == decision.agent_notice else _with(decision, why, ())
    text = own_text(message.text).strip()
    context: dict[str, object] = {
        "why": why,
        "state": decision.state.value,
        "scenario": decision.scenario.value,
        "order_id": decision.order_id,
        "customer": message.sender,
        "subject": message.subject,
        "excerpt": text[:_EXCERPT_CHARS] + ("…" if len(text) > _EXCERPT_CHARS else ""),
        "evidence": evidence_lines(decision.evidence) if decision.evidence else None,
        "links": list(decision.links),
        "reasons": list(decision.reasons),
    }
    notices = tuple(Reply("agent/notice", agent, context) for agent in agents)
    return _with(decision, why, notices)


def _with(decision: Decision, why: str, notices: tuple[Reply, ...]) -> Decision:
    return replace(decision, agent_notice=why, replies=(*decision.replies, *notices))
