"""Agent commands: parse them from a reply, apply them to a ticket. Pure.

Each command (usage, argument check, effect) is declared in core/commandset.py.

An agent's mail may hold several commands, one per line at the start of the line,
outside quoted text and the signature. They apply in order to the ticket, all or
nothing: one unknown command, missing argument or transition the lifecycle refuses
and nothing changes, and the agent gets the errors instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from mailbot.core.commandrun import SPECS, Command, Run
from mailbot.core.commandset import check_argument, command_help
from mailbot.core.decide import run_checks
from mailbot.core.lifecycle import IllegalTransition
from mailbot.core.model import (
    AttachmentFacts,
    CommandName,
    Decision,
    InboundMessage,
    Order,
    Reply,
    Ticket,
)
from mailbot.core.ownwords import own_words
from mailbot.core.reminders import with_plan
from mailbot.core.rulebook import Rulebook
from mailbot.core.wording import format_day

C = CommandName


@dataclass(frozen=True)
class CommandResult:
    """What an agent's mail does: a decision to record, and the agent's answer."""

    decision: Decision
    changed: bool
    errors: tuple[str, ...] = ()


def parse_commands(text: str, rules: Rulebook) -> tuple[list[Command], list[str]]:
    """The commands in the agent's own text (quotes and signature left out), and errors."""
    by_word = {w: name for name, words in rules.command_words.items() for w in words}
    commands: list[Command] = []
    errors: list[str] = []
    for raw in own_words(text).text.splitlines():
        line = raw.strip()
        if not line.startswith("/"):
            continue
        word, _, arg = line[1:].partition(" ")
        name = by_word.get(word.lower())
        if name is None:
            errors.append(f"{line}: unknown command /{word} (send /help for the list)")
            continue
        problem = check_argument(name, arg.strip(), rules)
        if problem:
            errors.append(f"{line}: {problem}")
            continue
        commands.append(Command(name, arg.strip(), line))
    return commands, errors


def apply_commands(
    ticket: Ticket,
    message: InboundMessage,
    agent: str,
    order: Order | None,
    evidence: tuple[AttachmentFacts, ...],
    rules: Rulebook,
    now: datetime,
) -> CommandResult:
    """The decision an authenticated agent's mail makes on `ticket` (all or nothing)."""
    commands, errors = parse_commands(message.text, rules)
    if not commands and not errors:
        errors = ["no command found: write each command at the start of a line, e.g. /status"]
    run = Run(ticket, order, evidence, rules, now, agent, message.message_id, run_checks)
    for cmd in commands if not errors else []:
        try:
            SPECS[cmd.name].effect(run, cmd)
        except IllegalTransition as exc:
            errors.append(f"{cmd.line}: {exc}")
            break
    if errors:
        return command_refusal(ticket, agent, errors, rules, now)
    notes = [c.arg for c in commands if c.name is C.NOTE]
    result = Decision(
        state=run.ticket.state,
        scenario=run.ticket.scenario,
        outcome="agent_command",
        reasons=tuple(f"{agent}: {c.line}" for c in commands) + tuple(f"note: {n}" for n in notes),
        replies=tuple(run.replies),
        issue_rma=run.issue_rma,
        ship_by=run.ship_by,
        refund=run.refund,
        order_id=ticket.order_id,
        complex=run.complex,
        keep_plan=not run.changed,
    )
    if run.changed:
        same_state = run.ticket.state is ticket.state
        result = with_plan(
            replace(result, replies=()),
            run.ticket,
            rules,
            now,
            anchor=ticket.state_since if same_state and ticket.state_since else None,
        )
        result = replace(result, replies=tuple(run.replies))
    answer = _answer(ticket, run.ticket, run.done, [], agent, rules, now, run.changed)
    return CommandResult(replace(result, replies=(*result.replies, *answer.replies)), run.changed)


def command_refusal(
    ticket: Ticket,
    agent: str,
    errors: list[str],
    rules: Rulebook,
    now: datetime,
    headline: str = "",
) -> CommandResult:
    """Nothing changes on `ticket`; the agent is told why (`headline`: the answer's
    subject, instead of the number of problems)."""
    answer = _answer(ticket, ticket, [], errors, agent, rules, now, False, headline)
    return CommandResult(answer, False, tuple(errors))


def _answer(
    before: Ticket,
    after: Ticket,
    done: list[str],
    errors: list[str],
    agent: str,
    rules: Rulebook,
    now: datetime,
    changed: bool,
    headline: str = "",
) -> Decision:
    """The confirmation (or the errors) for the agent; alone it changes nothing."""
    context: dict[str, object] = {
        "done": done,
        "errors": errors,
        "state": after.state.value,
        "state_before": before.state.value,
        "scenario": after.scenario.value,
        "order_id": after.order_id,
        "customer": after.customer_email,
        "ship_by": format_day(after.ship_by, rules) if after.ship_by else None,
        "complex": after.complex,
        "commands": command_help(rules),
        "headline": headline,
    }
    reason = "; ".join(errors) if errors else "; ".join(done) or "status sent"
    return Decision(
        state=before.state if errors else after.state,
        scenario=before.scenario,
        outcome="command_error" if errors else "agent_command",
        reasons=(reason,),
        replies=(Reply("agent/command_answer", agent, context),),
        order_id=before.order_id,
        keep_plan=True,
    )
