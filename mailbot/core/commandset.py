"""The agent commands, each in one place: how it is written (its usage line for /help and
the notices), what its argument must be, and what it does to the ticket. Their words
are in rules/commands.toml. Pure; core/commands.py parses and applies them.

A new command is a CommandName, its words in rules/commands.toml and one function here
under ``@command``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from mailbot.core.approval import approval
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
from mailbot.core.request import Request, decision
from mailbot.core.rulebook import Rulebook
from mailbot.core.wording import format_day, format_money, local

C = CommandName
S = TicketState
_MAX_EXTEND_DAYS = 60


@dataclass(frozen=True)
class Command:
    """One command line of an agent's mail."""

    name: CommandName
    arg: str
    line: str


@dataclass
class Run:
    """The ticket as the commands so far left it, and what they produced."""

    ticket: Ticket
    order: Order | None
    evidence: tuple[AttachmentFacts, ...]
    rules: Rulebook
    now: datetime
    agent: str
    message_id: str
    # The request checks of the core's decide (core/decide.run_checks), for /scenario.
    recheck: Callable[[Request], Decision]
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


Effect = Callable[[Run, Command], None]
Check = Callable[[str, Rulebook], "str | None"]


@dataclass(frozen=True)
class Spec:
    """One command: its usage line, its argument check and its effect on a Run.
    `read_only` commands are harmless to repeat, and allowed on DKIM proof alone without
    the ticket named in the subject."""

    args: str
    does: str
    effect: Effect
    check: Check | None = None
    read_only: bool = False


# Every command, in the order /help lists them (declared below with @command).
SPECS: dict[CommandName, Spec] = {}


def command(
    name: CommandName, args: str, does: str, check: Check | None = None, read_only: bool = False
) -> Callable[[Effect], Effect]:
    """Declare the command `name`: written `/word <args>`, it `does` what the function
    under it does to the run (after `check` accepted its argument)."""

    def declare(effect: Effect) -> Effect:
        SPECS[name] = Spec(args, does, effect, check, read_only)
        return effect

    return declare


def needs(what: str) -> Check:
    """The check of a command whose argument is free text that must be there."""

    def check(arg: str, rules: Rulebook) -> str | None:
        return None if arg else f"needs {what}"

    return check


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ".").split()[0])
    except (InvalidOperation, IndexError):
        return None
    return value if value > 0 and value.is_finite() else None


@command(C.APPROVE, "", "approve the return and send the RMA number (even with evidence missing)")
def _approve(run: Run, cmd: Command) -> None:
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


@command(
    C.REJECT,
    "<reason>",
    "refuse the return; the customer gets the reason",
    check=needs("a reason"),
)
def _reject(run: Run, cmd: Command) -> None:
    outcome = decision(run.request(), S.REJECTED, "refused", cmd.arg, {"rule": "agent"})
    run.move(S.REJECTED, outcome, f"rejected; the customer is told: {cmd.arg}")


def _scenario_named(arg: str, rules: Rulebook) -> str | None:
    if arg.lower() not in rules.scenario_words:
        return f"needs one of: {', '.join(sorted(rules.scenario_words))}"
    return None


@command(
    C.SCENARIO,
    "<defect|wrong|change>",
    "correct the scenario and check the request again",
    check=_scenario_named,
)
def _scenario(run: Run, cmd: Command) -> None:
    scenario = run.rules.scenario_words[cmd.arg.lower()]
    run.ticket = replace(run.ticket, scenario=scenario)
    # The time windows are judged as of the customer's request, not of the correction.
    checked = run.request(scenario)
    checked.now = run.ticket.created_at or run.now
    outcome = run.recheck(checked)
    if outcome.issue_rma:  # the deadline to ship runs from now
        outcome = approval(run.request(scenario), outcome.reasons[-1])
    run.move(
        outcome.state,
        outcome,
        f"scenario set to {scenario.value}; checked again: {outcome.reasons[-1]}",
    )


@command(
    C.REQUEST,
    "<what is missing>",
    "ask the customer for something",
    check=needs("what to ask for"),
)
def _request(run: Run, cmd: Command) -> None:
    outcome = decision(run.request(), S.NEEDS_INFO, "agent_request", cmd.arg, {"asked": cmd.arg})
    run.move(S.NEEDS_INFO, outcome, f"asked the customer: {cmd.arg}")


@command(C.COMPLEX, "", "mark the case complex (review escalates later)")
def _complex(run: Run, cmd: Command) -> None:
    run.complex = True
    run.ticket = replace(run.ticket, complex=True)
    run.done.append("marked complex")
    run.changed = True


def _days(arg: str, rules: Rulebook) -> str | None:
    if not (arg.isdigit() and 0 < int(arg) <= _MAX_EXTEND_DAYS):
        return f"needs a number of days from 1 to {_MAX_EXTEND_DAYS}"
    return None


@command(C.EXTEND, "<days>", "give the customer more days to ship", check=_days)
def _extend(run: Run, cmd: Command) -> None:
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


@command(C.RECEIVED, "", "the parcel arrived at the warehouse")
def _received(run: Run, cmd: Command) -> None:
    outcome = decision(run.request(), S.RECEIVED, "received", "parcel received")
    run.move(S.RECEIVED, outcome, "parcel received; the customer is told")


def _verdict(arg: str, rules: Rulebook) -> str | None:
    verdict, _, percent = arg.lower().partition(" ")
    if verdict in ("pass", "fail") and not percent:
        return None
    digits = percent.rstrip("%")
    if verdict == "reduced" and digits.isdigit() and 0 < int(digits) < 100:
        return None
    return "needs pass, fail or reduced <percent from 1 to 99>"


@command(C.INSPECTED, "pass|fail|reduced <percent>", "record the inspection", check=_verdict)
def _inspected(run: Run, cmd: Command) -> None:
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


def _optional_amount(arg: str, rules: Rulebook) -> str | None:
    if arg and _amount(arg) is None:
        return "the amount must be a positive number, e.g. /refund 42.50"
    return None


@command(C.REFUND, "[amount]", "the refund was issued", check=_optional_amount)
def _refund(run: Run, cmd: Command) -> None:
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


@command(C.CLOSE, "", "close the ticket")
def _close(run: Run, cmd: Command) -> None:
    run.move(S.CLOSED, None, "closed")


@command(C.REOPEN, "", "reopen a closed, rejected or waived ticket for review")
def _reopen(run: Run, cmd: Command) -> None:
    if run.ticket.state not in (S.CLOSED, S.REJECTED, S.WAIVED):
        raise IllegalTransition(f"a ticket that is {run.ticket.state} is not closed")
    run.move(S.UNDER_REVIEW, None, "reopened for review")


@command(C.NOTE, "<text>", "add a note to the ticket's timeline", check=needs("the note"))
def _note(run: Run, cmd: Command) -> None:
    run.done.append(f"note added: {cmd.arg}")


@command(C.HELP, "", "list the commands", read_only=True)
@command(C.STATUS, "", "show the ticket's state", read_only=True)
def _nothing(run: Run, cmd: Command) -> None:
    """/status and /help change nothing; the answer always shows the state and the help."""


READ_ONLY = frozenset(name for name, spec in SPECS.items() if spec.read_only)


def check_argument(name: CommandName, arg: str, rules: Rulebook) -> str | None:
    """What is wrong with the argument of command `name`, or None."""
    check = SPECS[name].check
    return check(arg, rules) if check else None


def command_help(rules: Rulebook) -> list[str]:
    """One line per command: `/word <args> - what it does (also: aliases)`."""
    lines = []
    for name, spec in SPECS.items():
        words = rules.command_words[name]
        if not words:
            continue
        also = f" (also /{', /'.join(words[1:])})" if len(words) > 1 else ""
        lines.append(f"/{words[0]}{' ' + spec.args if spec.args else ''} - {spec.does}{also}")
    return lines
