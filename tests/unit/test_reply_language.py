"""Mails the customer did not just write get the ticket's language: reminders and the
mails an agent's command sends. Agents' own mail has none (the desk's language)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from mailbot.core.commands import apply_commands
from mailbot.core.decide import decide
from mailbot.core.model import InboundMessage, TicketState
from mailbot.core.reminders import decide_due
from mailbot.core.rulebook import Rulebook
from mailbot.outbound.render import Renderer
from tests.core.conftest import NOW, hd_photos, message, order, videos
from tests.core.conftest import rules as rules  # the fixture
from tests.core.test_commands import _ticket
from tests.core.test_reminders import _ticket_after

REPO = Path(__file__).resolve().parents[2]
AGENT = "agent@shop.example"


def test_a_shipping_reminder_is_in_the_tickets_language(rules: Rulebook) -> None:
    change = message("I changed my mind, order 100201, unused.", hd_photos(2))
    change = replace(change, reading=replace(change.reading, language="de"))
    d = decide(None, change, "100201", order(), rules, NOW)
    assert d.outcome == "rma_issued" and d.replies[0].language == "de"
    ticket = _ticket_after(d, language="ru")
    [reminder, *_] = d.reminders
    due = decide_due(ticket, reminder, rules, reminder.due_at, (AGENT,))
    assert due is not None and due.outcome == "ship_reminder"
    [mail] = due.replies
    assert mail.language == "ru"
    rendered = Renderer(REPO / "templates").render(mail.template, {**mail.context,
        "ticket": {"reference": ticket.reference, "rma": ticket.rma}}, mail.language)  # fmt: skip
    assert rendered.language == "ru" and rendered.subject.startswith("Ваш возврат RMA123456780")


def test_an_agents_command_mails_the_customer_in_the_tickets_language(rules: Rulebook) -> None:
    ticket = _ticket(TicketState.UNDER_REVIEW, language="es")
    command = InboundMessage("<c1@shop.example>", AGENT, "Re: T-000012", "/approve\n")
    result = apply_commands(ticket, command, AGENT, order(), tuple(videos(3)), rules, NOW)
    customer, answer = result.decision.replies
    assert (customer.template, customer.language) == ("customer/rma_issued", "es")
    assert (answer.template, answer.language) == ("agent/command_answer", "")
    rendered = Renderer(REPO / "templates").render(customer.template, {**customer.context,
        "ticket": {"reference": "T-000012", "rma": "RMA123456780"}}, customer.language)  # fmt: skip
    assert rendered.subject == "Devolución autorizada para el pedido 100201: RMA123456780"


def test_a_reply_to_a_ticket_in_another_language_follows_the_new_mail(rules: Rulebook) -> None:
    ticket = replace(_ticket(TicketState.NEEDS_INFO, language="de"), state_since=NOW)
    later = message("Here are the videos.", videos(3))
    later = replace(later, reading=replace(later.reading, language="fr"))
    d = decide(ticket, later, "100201", order(), rules, NOW + timedelta(hours=1))
    assert {r.language for r in d.replies if r.to == "ana@example.com"} == {"fr"}
