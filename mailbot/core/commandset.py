"""The agent commands, each in one place: how it is written (its usage line for /help and
the notices), what its argument must be, and what it does to the ticket. Their words
are in rules/commands.toml. Pure; core/commands.py parses and applies them.

A new command is a CommandName, its words in rules/commands.toml and one function here
under ``@command``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from mailbot.core.approval import approval, formula_refund
from mailbot.core.commandrun import SPECS, Command, Run, command, needs
from mailbot.core.lifecycle import IllegalTransition
from mailbot.core.model import (
    CommandName,
    Money,
    TicketState,
)
from mailbot.core.request import reply_decision
from mailbot.core.rulebook import Rulebook
from mailbot.core.wording import format_day, format_money, local

C = CommandName
S = TicketState
_MAX_EXTEND_DAYS = 60


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
    outcome = reply_decision(run.request(), S.REJECTED, "refused", cmd.arg, {"rule": "agent"})
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
    outcome = reply_decision(
        run.request(), S.NEEDS_INFO, "agent_request", cmd.arg, {"asked": cmd.arg}
    )
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
    outcome = reply_decision(run.request(), S.RECEIVED, "received", "parcel received")
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
        outcome = reply_decision(
            run.request(), S.REJECTED, "refused", reason, {"rule": "inspection"}
        )
        run.move(S.REJECTED, outcome, "inspection failed: rejected; the customer is told")
        return
    reduced = int(percent.rstrip("%")) if verdict == "reduced" else 0
    # A change of mind whose formula gives nothing: no refund to promise or to chase.
    no_refund = (amount := formula_refund(run.request())) is not None and amount <= 0
    outcome = reply_decision(
        run.request(),
        S.INSPECTED,
        "inspected",
        "inspection passed"
        + (f", refund reduced by {reduced}%" if reduced else "")
        + ("; no refund is due by the refund formula (/close when done)" if no_refund else ""),
        {
            "reduced_percent": reduced,
            "refund_issue_days": rules.refund_issue_business_days,
            "no_refund": no_refund,
        },
        refund=Decimal("0.00") if no_refund else None,
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
    outcome = reply_decision(
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
