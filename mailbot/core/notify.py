"""Mail to the agents when a ticket needs a person. Pure: the agents' addresses are data."""

from __future__ import annotations

from dataclasses import replace

from mailbot.core.bounce import BounceReport
from mailbot.core.commandset import command_help
from mailbot.core.echo import listed
from mailbot.core.guard import reply_limit
from mailbot.core.model import Decision, InboundMessage, Reply, Ticket
from mailbot.core.ownwords import own_words
from mailbot.core.rulebook import Rulebook
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
    decision: Decision,
    message: InboundMessage,
    agents: tuple[str, ...],
    rules: Rulebook,
    *extra: str,
    copy_all: bool = False,
) -> Decision:
    """`decision` plus one notice to each agent when it, or `extra`, says a person must
    look (with copy_all: for every decision, as a copy)."""
    why = "; ".join(w for w in (decision.agent_notice, *extra) if w)
    if copy_all and not why and agents:
        return _with(
            decision,
            "",
            _notices(decision, message, agents, rules, "copy: " + decision.reasons[-1]),
        )
    if not why or not agents:
        return decision if why == decision.agent_notice else _with(decision, why, ())
    return _with(decision, why, _notices(decision, message, agents, rules, why))


def _notices(
    decision: Decision,
    message: InboundMessage,
    agents: tuple[str, ...],
    rules: Rulebook,
    why: str,
) -> tuple[Reply, ...]:
    text = own_words(message.text).text
    context: dict[str, object] = {
        "why": why,
        "state": decision.state.value,
        "scenario": decision.scenario.value,
        "order_id": decision.order_id,
        "customer": message.sender,
        "language": decision.language or message.reading.language,
        "subject": message.subject,
        "excerpt": text[:_EXCERPT_CHARS] + ("…" if len(text) > _EXCERPT_CHARS else ""),
        "evidence": evidence_lines(decision.evidence) if decision.evidence else None,
        **listed(decision.links, rules.links_listed),
        "reasons": list(decision.reasons),
        "commands": command_help(rules),
    }
    return tuple(Reply("agent/notice", agent, context) for agent in agents)


def _with(decision: Decision, why: str, notices: tuple[Reply, ...]) -> Decision:
    return replace(decision, agent_notice=why, replies=(*decision.replies, *notices))


# Alerts about mail claiming an agent's address without proof, per claimed sender and
# hour: a forger sending fifteen must not send the agents fifteen alerts each.
ALERTS_PER_SENDER_HOUR = 1
UNVERIFIED = "unverified_agent_mail"


def unverified_alert(
    ticket: Ticket,
    message: InboundMessage,
    agents: tuple[str, ...],
    rules: Rulebook,
    alerts_last_hour: int,
) -> Decision:
    """A mail that claims an agent's address without proof: nothing changes, every agent is
    alerted (at most ALERTS_PER_SENDER_HOUR times an hour per sender; the rest is only
    recorded), and the sender gets no answer (it may be a forger)."""
    why = (
        f"a mail from {message.sender} on ticket {ticket.reference} had commands but no proof"
        " that an agent sent it (no valid ticket token, no valid DKIM signature); nothing was"
        " done"
    )
    if alerts_last_hour >= ALERTS_PER_SENDER_HOUR:
        return Decision(
            state=ticket.state,
            scenario=ticket.scenario,
            outcome=f"{UNVERIFIED}_recorded",
            reasons=(f"{why}; the agents were alerted about this sender within the hour",),
            order_id=ticket.order_id,
            keep_plan=True,
        )
    why += "; more such mail from this sender within the hour is only recorded"
    return _only_agents_told(ticket, UNVERIFIED, why, message, agents, rules)


def bounce_notice(
    ticket: Ticket,
    message: InboundMessage,
    report: BounceReport,
    to_addr: str,
    agents: tuple[str, ...],
    rules: Rulebook,
) -> Decision:
    """A bounce of our mail to `to_addr` about `ticket`: nothing changes, the agents are
    told what the receiving server said."""
    why = (
        f"a mail to {to_addr} about ticket {ticket.reference} bounced"
        f" ({report.diagnostic or message.subject}); the customer may not have it"
    )
    return _only_agents_told(ticket, "bounce", why, message, agents, rules)


def _only_agents_told(
    ticket: Ticket,
    outcome: str,
    why: str,
    message: InboundMessage,
    agents: tuple[str, ...],
    rules: Rulebook,
) -> Decision:
    """A decision that changes nothing on `ticket` (state, plan) and tells the agents why."""
    quiet = Decision(
        state=ticket.state,
        scenario=ticket.scenario,
        outcome=outcome,
        reasons=(why,),
        order_id=ticket.order_id,
        keep_plan=True,
        agent_notice=why,
    )
    return with_agent_notices(quiet, message, agents, rules)


# -- notices outside any ticket decision ----------------------------------------------


def rules_error_notices(
    problems: list[str], version: str, agents: tuple[str, ...]
) -> tuple[Reply, ...]:
    """An admin's edit broke the rules: the last good ones (`version`) stay in force."""
    context: dict[str, object] = {"problems": problems, "version": version}
    return tuple(Reply("agent/rules_error", agent, context) for agent in agents)


def quarantine_notices(
    key: str,
    reason: str,
    message_id: str,
    sender: str | None,
    subject: str,
    agents: tuple[str, ...],
) -> tuple[Reply, ...]:
    """A message failed too often and was set aside in the quarantine folder."""
    context: dict[str, object] = {
        "key": key,
        "reason": reason,
        "message_id": message_id,
        "sender": sender,
        "subject": subject,
        "folder": "quarantine",
    }
    return tuple(Reply("agent/quarantined", agent, context) for agent in agents)


def dead_letter_notices(
    to: str, error: str, attempts: int, message_id: str, agents: tuple[str, ...]
) -> tuple[Reply, ...]:
    """A mail of ours could not be delivered (never about a notice to an agent: a notice
    about a failed notice could go on forever)."""
    if to in agents:
        return ()
    context: dict[str, object] = {
        "to": to,
        "error": error,
        "attempts": attempts,
        "message_id": message_id,
    }
    return tuple(Reply("agent/dead_letter", agent, context) for agent in agents)


# The audit outcomes of our answers to an agent's own mail (actor: the agent's address),
# the only mail the agent's hourly reply limit counts: notices and copies of decisions
# are not answers, and a busy agent must still hear back about a command.
NO_TICKET_TOLD = "agent commands that name no ticket: nothing done, the agent is told"
AGENT_ANSWERS = ("agent_command", "command_error", NO_TICKET_TOLD)


def no_ticket_answer(
    message: InboundMessage, lines: list[str], replies_last_hour: int, per_hour: int
) -> tuple[tuple[Reply, ...], str]:
    """An agent's mail that names no ticket: (the answer, why). Commands in it are
    answered, nothing done and how to name the ticket (silence would look like success),
    within the per-address reply limit a customer has (an agent address in a mail loop
    must not make us answer without end). `replies_last_hour`: our answers to this
    agent's own mails in the last hour (AGENT_ANSWERS), not our other mail to them."""
    if not lines or not message.sender:
        return (), "agent mail that names no ticket"
    limit = reply_limit(message.sender, replies_last_hour, per_hour)
    if limit is not None:
        return (), f"agent commands that name no ticket: nothing done, not told ({limit})"
    context: dict[str, object] = {"subject": message.subject, "commands": lines}
    return (Reply("agent/no_ticket", message.sender, context),), NO_TICKET_TOLD
