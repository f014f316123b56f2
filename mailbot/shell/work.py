"""The unit of work `handle` runs over: the store's repositories it reads to gather the
facts, and the writes that apply a decision.

`mailbot run` hands it the Store; `simulate` a DryRun, which reads through the same
repositories but keeps its writes to itself, so a dry run takes exactly the steps a
real run takes and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from mailbot.core.correlate import ticket_reference
from mailbot.core.model import Decision, InboundMessage, Order, Ticket
from mailbot.store import OutboxMail, Store
from mailbot.store.audit import AuditReads
from mailbot.store.db import Database
from mailbot.store.inbound import InboundReads
from mailbot.store.orders import OrderReads, Orders
from mailbot.store.outbox import OutboxReads
from mailbot.store.tickets import TicketReads


class Work(Protocol):
    """The repositories' read side that gathers facts about one message, and the writes
    that apply a decision."""

    @property
    def tickets(self) -> TicketReads: ...
    @property
    def inbound(self) -> InboundReads: ...
    @property
    def outbox(self) -> OutboxReads: ...
    @property
    def orders(self) -> OrderReads: ...
    @property
    def audit(self) -> AuditReads: ...

    def next_ticket_id(self) -> int: ...
    def draw_rma(self) -> str: ...

    def record(
        self,
        key: str,
        message: InboundMessage,
        ticket: Ticket | None,
        decision: Decision,
        mails: Sequence[OutboxMail],
        rules_version: str,
        now: datetime,
        actor: str = "bot",
        applied: str | None = None,
        new_id: int | None = None,
        rma: str | None = None,
    ) -> Ticket: ...

    def record_skip(
        self,
        key: str,
        message: InboundMessage,
        reason: str,
        now: datetime,
        mails: Sequence[OutboxMail] = (),
        actor: str = "bot",
    ) -> None: ...

    def suppress(self, address: str, until: datetime, reason: str, now: datetime) -> None: ...


# Shown for the RMA number a dry run would draw.
DRAWN_WHEN_STORED = "RMA(drawn when stored)"


@dataclass
class DryRun:
    """A read-only unit of work: reads through `store`'s repositories (the orders
    through `orders`, when given: those of the orders CSV, which a dry run does not
    import into the store), and writes nothing."""

    store: Store
    orders_read: Orders | None = None

    @property
    def tickets(self) -> TicketReads:
        return self.store.tickets

    @property
    def inbound(self) -> InboundReads:
        return self.store.inbound

    @property
    def outbox(self) -> OutboxReads:
        return self.store.outbox

    @property
    def orders(self) -> OrderReads:
        return self.orders_read or self.store.orders

    @property
    def audit(self) -> AuditReads:
        return self.store.audit

    def next_ticket_id(self) -> int:
        return self.store.tickets.next_id(reserve=False)

    def draw_rma(self) -> str:
        return DRAWN_WHEN_STORED

    def record(
        self,
        key: str,
        message: InboundMessage,
        ticket: Ticket | None,
        decision: Decision,
        mails: Sequence[OutboxMail],
        rules_version: str,
        now: datetime,
        actor: str = "bot",
        applied: str | None = None,
        new_id: int | None = None,
        rma: str | None = None,
    ) -> Ticket:
        """The ticket as `record` would leave it (nothing is written)."""
        if ticket is None:
            ticket = Ticket(
                id=new_id,
                reference=ticket_reference(new_id or 0),
                state=decision.state,
                scenario=decision.scenario,
                customer_email=message.sender or "",
                order_id=decision.order_id,
            )
        issued = rma if decision.issue_rma and ticket.rma is None else ticket.rma
        return replace(ticket, state=decision.state, scenario=decision.scenario, rma=issued)

    def record_skip(
        self,
        key: str,
        message: InboundMessage,
        reason: str,
        now: datetime,
        mails: Sequence[OutboxMail] = (),
        actor: str = "bot",
    ) -> None:
        """Nothing is written."""

    def suppress(self, address: str, until: datetime, reason: str, now: datetime) -> None:
        """Nothing is written."""


def csv_orders(orders: Sequence[Order]) -> Orders:
    """The orders of a CSV file, readable as the store's are (a database in memory that
    only this thread sees: nothing is written anywhere)."""
    held = Orders(Database("sqlite:///:memory:"))
    held.db.create_tables()
    held.import_orders(orders)
    return held
