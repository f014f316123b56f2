"""One labelled mail through `handle`, the path `mailbot run` and `simulate` take, over
a read-only unit of work (shell/work.DryRun): the loop guard, threading, the reading and
the decision on the set's orders at the set's clock; nothing written, nothing sent.

The store behind the dry run is an empty one in memory, so threading finds no earlier
mail: a labelled mail is judged as the first mail of its case.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from mailbot.core.model import Order, Reading
from mailbot.core.rulebook import Rulebook
from mailbot.inbound.source import FetchedMessage
from mailbot.mail.parse import ParsedMessage
from mailbot.outbound.render import Renderer
from mailbot.shell.handle import handle
from mailbot.shell.service import Service
from mailbot.shell.work import DryRun
from mailbot.store import Store

SKIPPED = "skipped"


@dataclass(frozen=True)
class Result:
    """What the bot did with one mail: the outcome (`skipped` for mail the guard stops),
    the order it decided on, whether an RMA was issued, and why."""

    outcome: str
    order: str | None
    rma: bool
    scenario: str
    language: str
    reasons: tuple[str, ...]
    reading: Reading


class _NoMail:
    """The inbox and the sender of an evaluation: the labelled mails are handed to
    `handle` one by one, and a dry run never sends."""

    def pending(self) -> list[str]:
        return []

    def fetch(self, keys: Iterable[str]) -> Iterator[FetchedMessage]:
        return iter(())

    def fetch_raw(self, key: str, limit: int) -> bytes | None:
        return None

    def mark_processed(self, key: str) -> None:
        pass

    def quarantine(self, key: str) -> None:
        pass

    def mark_processed_many(self, keys: Sequence[str]) -> None:
        pass

    def wait_for_mail(self, timeout: float) -> bool:
        return False

    def close(self) -> None:
        pass

    def send(self, raw: bytes, to_addr: str, from_addr: str) -> None:
        raise AssertionError("an evaluation sends nothing")


@dataclass
class Judge:
    """The bot as `mailbot run` wires it, on a dry run at a fixed clock."""

    service: Service
    work: DryRun

    @classmethod
    def of(cls, rules: Rulebook, renderer: Renderer, orders: Iterable[Order],
           now: datetime, address: str) -> Judge:  # fmt: skip
        store = Store("sqlite:///:memory:")
        store.create_tables()  # in memory: nothing is written anywhere
        store.orders.import_orders(orders)
        nothing = _NoMail()
        service = Service(
            inbox=nothing, store=store, sender=nothing, renderer=renderer, rules=rules,
            from_addr=address, instance="eval", agents=(), clock=lambda: now,
        )  # fmt: skip
        return cls(service, DryRun(store))

    def __call__(self, key: str, parsed: ParsedMessage, size: int) -> Result:
        """The bot's answer to one mail of `size` bytes."""
        outcome = handle(self.service, self.work, FetchedMessage(key, None, size, parsed))
        decision, reading = outcome.decision, outcome.message.reading
        return Result(
            outcome.handled.outcome,
            decision.order_id if decision else None,
            bool(decision and decision.issue_rma),
            decision.scenario.value if decision else "",
            reading.language,
            outcome.handled.reasons,
            reading,
        )
