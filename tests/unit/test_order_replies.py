"""The replies about which order a mail means, rendered from the shipped templates: the
list a customer answers in one line, its reminder, and the line naming an order taken
from the sender's orders."""

from __future__ import annotations

from pathlib import Path

from mailbot.core.decide import decide
from mailbot.core.model import Decision, Order, Ticket
from mailbot.core.reminders import decide_due
from mailbot.core.rulebook import Rulebook
from mailbot.outbound.render import RenderedMail, Renderer
from tests.core.conftest import NOW, message, order, shipped_rules

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TWO = (
    order(days_ago=3, order_id="410295", product="ESP32-S3-DevKitC-1"),
    order(days_ago=20, order_id="410277", product="Arduino Uno R4 Minima"),
)


def _render(decision: Decision) -> RenderedMail:
    reply = decision.replies[0]
    context = {**reply.context, "ticket": {"reference": "T-000007", "rma": "RMA123456789"}}
    return Renderer(TEMPLATES).render(reply.template, context)


def _ticket(d: Decision) -> Ticket:
    return Ticket(7, "T-000007", d.state, d.scenario, "ana@example.com", d.order_id,
                  created_at=NOW, state_since=NOW)  # fmt: skip


def _decide(rules: Rulebook, text: str, mine: tuple[Order, ...]) -> Decision:
    return decide(None, message(text, subject="Board dead"), None, None, rules, NOW, (), mine)


def test_the_list_of_orders_and_its_reminder() -> None:
    rules = shipped_rules()
    d = _decide(rules, "One of the boards does not power on.", TWO)
    mail = _render(d)
    assert mail.subject == "Your return request: which order is it?"
    assert "  1. Order 410295: ESP32-S3-DevKitC-1, delivered Monday 23 November 2026" in mail.text
    assert "  2. Order 410277: Arduino Uno R4 Minima, delivered Friday 6 November 2026" in mail.text
    follow_up = d.reminders[0]
    assert follow_up.context["asked"] == "choose_order"
    ticket_reply = decide_due(_ticket(d), follow_up, rules, follow_up.due_at, ())
    assert ticket_reply is not None
    reminder = _render(ticket_reply)
    assert "which of these orders it is" in reminder.text
    assert "  2. Order 410277: Arduino Uno R4 Minima" in reminder.text


def test_an_order_taken_from_the_senders_orders_is_named() -> None:
    d = _decide(shipped_rules(), "The board does not power on.", TWO[:1])
    text = " ".join(_render(d).text.split())
    assert (
        "You did not write an order number, so we took order 410295 (ESP32-S3-DevKitC-1):"
        " the only order delivered to this address within the return window."
    ) in text

