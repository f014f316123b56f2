"""Agent commands: parse them from a reply, apply them to a ticket. Pure.

An agent's mail may hold several commands, one per line at the start of the line,
outside quoted text and the signature. They apply in order to the ticket, all or
nothing: one unknown command, missing argument or transition the lifecycle refuses
and nothing changes, and the agent gets the errors instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from mailbot.core.approval import approval
from mailbot.core.decide import run_checks
from mailbot.core.lifecycle import IllegalTransition, check_transition
from mailbot.core.model import (
    AttachmentFacts,
    CommandName,
    Decision,
    InboundMessage,
    Money,
    Order,
    Reply,
    Scenario,
    Ticket,
    TicketState,
)
from mailbot.core.ownwords import own_words
from mailbot.core.reminders import with_plan
from mailbot.core.request import Request, decision
from mailbot.core.rulebook import Rulebook
from mailbot.core.usage import command_help
from mailbot.core.wording import format_day, format_money, local

C = CommandName
S = TicketState
_MAX_EXTEND_DAYS = 60
# Commands that only read: harmless to repeat, and allowed on DKIM proof alone without
# the ticket named in the subject.
READ_ONLY = frozenset({C.STATUS, C.HELP})


@dataclass(frozen=True)
class Command:
    """One command line of an agent's mail."""

    name: CommandName
    arg: str
    line: str


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
        problem = _check_argument(name, arg.strip(), rules)
        if problem:
            errors.append(f"{line}: {problem}")
            continue
        commands.append(Command(name, arg.strip(), line))
    return commands, errors


def _check_argument(name: CommandName, arg: str, rules: Rulebook) -> str | None:
    needs_text = {C.REJECT: "a reason", C.REQUEST: "what to ask for", C.NOTE: "the note"}
    if name in needs_text and not arg:
        return f"needs {needs_text[name]}"
    if name is C.SCENARIO and arg.lower() not in rules.scenario_words:
        return f"needs one of: {', '.join(sorted(rules.scenario_words))}"
    if name is C.EXTEND and not (arg.isdigit() and 0 < int(arg) <= _MAX_EXTEND_DAYS):
        return f"needs a number of days from 1 to {_MAX_EXTEND_DAYS}"
    if name is C.INSPECTED:
        verdict, _, percent = arg.lower().partition(" ")
        if verdict in ("pass", "fail") and not percent:
            return None
        digits = percent.rstrip("%")
        if verdict == "reduced" and digits.isdigit() and 0 < int(digits) < 100:
            return None
        return "needs pass, fail or reduced <percent from 1 to 99>"
    if name is C.REFUND and arg and _amount(arg) is None:
        return "the amount must be a positive number, e.g. /refund 42.50"
    return None


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ".").split()[0])
    except (InvalidOperation, IndexError):
        return None
    return value if value > 0 and value.is_finite() else None


@dataclass
class _Run:
    """The ticket as the commands so far left it, and what they produced."""

    ticket: Ticket
    order: Order | None
    evidence: tuple[AttachmentFacts, ...]
    rules: Rulebook
    now: datetime
    agent: str
    message_id: str
    replies: list[Reply] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    issue_rma: bool = False
    ship_by: datetime | None = None
    refund: Decimal | None = None
    complex: bool | None = None
    changed: bool = False

    def request(self, scenario: Scenario | None = None) -> Request:
        """A request in the customer's name, so replies go to the customer."""
        customer = InboundMessage(self.message_id, self.ticket.customer_email, "", "")
        req = Request(
            customer,
            self.ticket.order_id,
            self.order,
            self.rules,
            self.now,
            self.ticket,
            self.evidence,
        )
        req.scenario_read = scenario or self.ticket.scenario
        return req

    def move(self, to: S, outcome: Decision | None, what: str) -> None:
        check_transition(self.ticket.state, to)
        if outcome is not None:
            self.replies.extend(outcome.replies)
            self.issue_rma = self.issue_rma or outcome.issue_rma
            self.ship_by = outcome.ship_by or self.ship_by
            self.refund = outcome.refund if outcome.refund is not None else self.refund
            scenario = outcome.scenario
        else:
            scenario = self.ticket.scenario
        self.ticket = replace(self.ticket, state=to, scenario=scenario, ship_by=self.ship_by)
        self.done.append(what)
        self.changed = True

    def tell(self, template: str, reason: str, **context: object) -> Decision:
        """A decision in the ticket's current state with one customer mail."""
        return decision(self.request(), self.ticket.state, template, reason, context)


def _approve(run: _Run, cmd: Command) -> None:
    if run.order is None:
        raise IllegalTransition("the ticket has no known order, so no RMA can be issued")
    outcome = approval(run.request(), f"approved by {run.agent}")
    run.move(
        S.APPROVED,
        outcome,
        f"approved; the customer gets the RMA (ship by {format_day(outcome.ship_by, run.rules)})"
        if outcome.ship_by
        else "approved; the customer gets the RMA",
    )


def _reject(run: _Run, cmd: Command) -> None:
    outcome = decision(run.request(), S.REJECTED, "refused", cmd.arg, {"rule": "agent"})
    run.move(S.REJECTED, outcome, f"rejected; the customer is told: {cmd.arg}")


def _scenario(run: _Run, cmd: Command) -> None:
    scenario = run.rules.scenario_words[cmd.arg.lower()]
    run.ticket = replace(run.ticket, scenario=scenario)
    # The time windows are judged as of the customer's request, not of the correction.
    checked = run.request(scenario)
    checked.now = run.ticket.created_at or run.now
    outcome = run_checks(checked)
    if outcome.issue_rma:  # the deadline to ship runs from now
        outcome = approval(run.request(scenario), outcome.reasons[-1])
    run.move(
        outcome.state,
        outcome,
        f"scenario set to {scenario.value}; checked again: {outcome.reasons[-1]}",
    )


def _request(run: _Run, cmd: Command) -> None:
    outcome = decision(run.request(), S.NEEDS_INFO, "agent_request", cmd.arg, {"asked": cmd.arg})
    run.move(S.NEEDS_INFO, outcome, f"asked the customer: {cmd.arg}")


def _complex(run: _Run, cmd: Command) -> None:
    run.complex = True
    run.ticket = replace(run.ticket, complex=True)
    run.done.append("marked complex")
    run.changed = True


def _extend(run: _Run, cmd: Command) -> None:
    if run.ticket.state is not S.APPROVED or run.ticket.ship_by is None:
        raise IllegalTransition(
            f"only an approved ticket has a deadline to extend (this one is {run.ticket.state})"
        )
    ship_by = run.ticket.ship_by + timedelta(days=int(cmd.arg))
    run.ship_by = ship_by
    run.ticket = replace(run.ticket, ship_by=ship_by)
    day = format_day(ship_by, run.rules)
    outcome = run.tell(
        "deadline_extended",
        f"shipping deadline extended by {cmd.arg} days",
        ship_by=local(ship_by, run.rules),
        carriers=list(run.rules.accepted_carriers),
        carriers_note=run.rules.refused_carriers_note,
    )
    run.move(S.APPROVED, outcome, f"ship-by date moved to {day}; the customer is told")


def _received(run: _Run, cmd: Command) -> None:
    outcome = decision(run.request(), S.RECEIVED, "received", "parcel received")
    run.move(S.RECEIVED, outcome, "parcel received; the customer is told")


def _inspected(run: _Run, cmd: Command) -> None:
    verdict, _, percent = cmd.arg.lower().partition(" ")
    rules = run.rules
    if verdict == "fail":
        reason = "the inspection did not confirm the claim"
        outcome = decision(run.request(), S.REJECTED, "refused", reason, {"rule": "inspection"})
        run.move(S.REJECTED, outcome, "inspection failed: rejected; the customer is told")
        return
    reduced = int(percent.rstrip("%")) if verdict == "reduced" else 0
    outcome = decision(
        run.request(),
        S.INSPECTED,
        "inspected",
        "inspection passed" + (f", refund reduced by {reduced}%" if reduced else ""),
        {"reduced_percent": reduced, "refund_issue_days": rules.refund_issue_business_days},
    )
    run.move(S.INSPECTED, outcome, outcome.reasons[-1] + "; the customer is told")


def _refund(run: _Run, cmd: Command) -> None:
    amount = _amount(cmd.arg) if cmd.arg else None
    currency = run.order.currency if run.order else ""
    text = format_money(amount, currency).strip() if amount is not None else None
    outcome = decision(
        run.request(),
        S.REFUNDED,
        "refunded",
        f"refund of {text} issued" if text else "refund issued",
        {
            "amount": Money(amount, currency) if amount is not None and currency else None,
            "funds_days": list(run.rules.funds_arrive_business_days),
        },
    )
    run.refund = amount
    run.move(S.REFUNDED, outcome, (outcome.reasons[-1]) + "; the customer is told")


def _close(run: _Run, cmd: Command) -> None:
    run.move(S.CLOSED, None, "closed")


def _reopen(run: _Run, cmd: Command) -> None:
    if run.ticket.state not in (S.CLOSED, S.REJECTED, S.WAIVED):
        raise IllegalTransition(f"a ticket that is {run.ticket.state} is not closed")
    run.move(S.UNDER_REVIEW, None, "reopened for review")


def _note(run: _Run, cmd: Command) -> None:
    run.done.append(f"note added: {cmd.arg}")


def _nothing(run: _Run, cmd: Command) -> None:
    """/status and /help change nothing; the answer always shows the state and the help."""


_APPLY: dict[CommandName, Callable[[_Run, Command], None]] = {
    C.APPROVE: _approve,
    C.REJECT: _reject,
    C.SCENARIO: _scenario,
    C.REQUEST: _request,
    C.COMPLEX: _complex,
    C.EXTEND: _extend,
    C.RECEIVED: _received,
    C.INSPECTED: _inspected,
    C.REFUND: _refund,
    C.CLOSE: _close,
    C.REOPEN: _reopen,
    C.NOTE: _note,
    C.STATUS: _nothing,
    C.HELP: _nothing,
}


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
    run = _Run(ticket, order, evidence, rules, now, agent, message.message_id)
    for cmd in commands if not errors else []:
        try:
            _APPLY[cmd.name](run, cmd)
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
