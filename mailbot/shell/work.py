"""The unit of work `handle` runs over: what it reads from the store to gather the facts,
and the writes that apply a decision.

`mailbot run` hands it the Store; `simulate` a DryRun, which reads the same store but
keeps its writes to itself, so a dry run takes exactly the steps a real run takes and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from mailbot.core.correlate import ticket_reference
from mailbot.core.model import AttachmentFacts, Decision, InboundMessage, Order, Ticket
from mailbot.store import OutboxMail, SentMail, Store


class Work(Protocol):
    """Reads that gather facts about one message, and the writes that apply a decision."""

    def key_of_message_id(self, message_id: str) -> str | None: ...
    def replies_to(self, address: str, since: datetime) -> int: ...
    def ticket_for_message_ids(self, message_ids: Iterable[str]) -> Ticket | None: ...
    def find_ticket(self, ref: str) -> Ticket | None: ...
    def latest_ticket(self, customer_email: str, order_id: str) -> Ticket | None: ...
    def ticket_evidence(self, ticket_id: int) -> tuple[AttachmentFacts, ...]: ...
    def get_order(self, order_id: str) -> Order | None: ...
    def orders_of(self, customer_email: str) -> tuple[Order, ...]: ...
    def sent_mail(self, message_ids: Iterable[str]) -> list[SentMail]: ...
    def agent_thread(self, ticket_id: int, agents: Collection[str]) -> tuple[str, ...]: ...
    def customer_thread(self, ticket_id: int, customer: str) -> tuple[str, ...]: ...
    def applied_command_mail(self, content: str) -> str | None: ...
    def events_of(self, actor: str, outcomes: Collection[str], since: datetime) -> int: ...
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
        mails: Iterable[OutboxMail] = (),
        actor: str = "bot",
    ) -> None: ...

    def suppress(self, address: str, until: datetime, reason: str, now: datetime) -> None: ...


# Shown for the RMA number a dry run would draw.
DRAWN_WHEN_STORED = "RMA(drawn when stored)"


@dataclass
class DryRun:
    """A read-only unit of work: reads from `store`, orders from `orders` when given (a
    dry run does not import the orders CSV), and writes nothing."""

    store: Store
    orders: tuple[Order, ...] | None = None

    def key_of_message_id(self, message_id: str) -> str | None:
        return self.store.key_of_message_id(message_id)

    def replies_to(self, address: str, since: datetime) -> int:
        return self.store.replies_to(address, since)

    def ticket_for_message_ids(self, message_ids: Iterable[str]) -> Ticket | None:
        return self.store.ticket_for_message_ids(message_ids)

    def find_ticket(self, ref: str) -> Ticket | None:
        return self.store.find_ticket(ref)

    def latest_ticket(self, customer_email: str, order_id: str) -> Ticket | None:
        return self.store.latest_ticket(customer_email, order_id)

    def ticket_evidence(self, ticket_id: int) -> tuple[AttachmentFacts, ...]:
        return self.store.ticket_evidence(ticket_id)

    def get_order(self, order_id: str) -> Order | None:
        if self.orders is None:
            return self.store.get_order(order_id)
        return next((o for o in self.orders if o.order_id == order_id), None)

    def orders_of(self, customer_email: str) -> tuple[Order, ...]:
        if self.orders is None:
            return self.store.orders_of(customer_email)
        return tuple(o for o in self.orders if o.customer_email == customer_email.lower())

    def sent_mail(self, message_ids: Iterable[str]) -> list[SentMail]:
        return self.store.sent_mail(message_ids)

    def agent_thread(self, ticket_id: int, agents: Collection[str]) -> tuple[str, ...]:
        return self.store.agent_thread(ticket_id, agents)

    def customer_thread(self, ticket_id: int, customer: str) -> tuple[str, ...]:
        return self.store.customer_thread(ticket_id, customer)

    def applied_command_mail(self, content: str) -> str | None:
        return self.store.applied_command_mail(content)

    def events_of(self, actor: str, outcomes: Collection[str], since: datetime) -> int:
        return self.store.events_of(actor, outcomes, since)

    def next_ticket_id(self) -> int:
        return self.store.next_ticket_id(reserve=False)

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
        mails: Iterable[OutboxMail] = (),
        actor: str = "bot",
    ) -> None:
        """Nothing is written."""

    def suppress(self, address: str, until: datetime, reason: str, now: datetime) -> None:
        """Nothing is written."""
