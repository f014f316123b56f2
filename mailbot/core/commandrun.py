"""How an agent command is declared and run: one command line, the Run it changes (the
ticket as the commands so far left it, and the replies and changes they produced), and
the registry `@command` fills (core/commandset.py declares every command with it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from mailbot.core.lifecycle import check_transition
from mailbot.core.model import (
    AttachmentFacts,
    CommandName,
    Decision,
    InboundMessage,
    Order,
    Reply,
    Scenario,
    Ticket,
    TicketState,
)
from mailbot.core.request import Request, reply_decision
from mailbot.core.rulebook import Rulebook

S = TicketState


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
        return reply_decision(self.request(), self.ticket.state, template, reason, context)


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
