"""Mails the customer did not just write get the ticket's language: reminders and the
mails an agent's command sends. Agents' own mail has none (the desk's language)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from mailbot.core.commands import apply_commands
from mailbot.core.decide import decide
from mailbot.core.model import InboundMessage, Ticket, TicketState
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


MOTORS = (
    order(days_ago=3, order_id="420161", product="NEMA 17 stepper motor"),
    order(days_ago=20, order_id="420137", product="NEMA 17 stepper motor, 0.9°"),
)


def test_an_answer_in_no_language_keeps_the_tickets(rules: Rulebook) -> None:
    first = message("Bonjour, un des moteurs vibre énormément, il est défectueux. Je n'ai pas le"
                    " numéro de commande.", subject="Moteur bruyant")  # fmt: skip
    asked = decide(None, first, None, None, rules, NOW, (), MOTORS)
    assert (asked.outcome, asked.language) == ("choose_order", "fr")
    assert asked.replies[0].language == "fr"
    ticket = Ticket(7, "T-000007", asked.state, asked.scenario, "ana@example.com", None,
                    created_at=NOW, state_since=NOW, language="fr")  # fmt: skip
    renderer = Renderer(REPO / "templates")
    said = {"ticket": {"reference": "T-000007", "rma": None}}
    # The reminder of the question lists the orders again, in French.
    [reminder, *_] = asked.reminders
    due = decide_due(ticket, reminder, rules, reminder.due_at, ())
    assert due is not None and [r.language for r in due.replies] == ["fr"]
    text = renderer.render(due.replies[0].template, {**due.replies[0].context, **said},
                           due.replies[0].language).text  # fmt: skip
    line = "2. Commande 420137\u202f: NEMA 17 stepper motor, 0.9°, livrée le 6 novembre 2026"
    assert f"\n{line}\n" in text
    # Answers with no word of any language: a number, a place, a question mark. The ticket
    # keeps French (the decision names the ticket's) and so does the reply, whether it
    # asks again or goes on with the order.
    for answer, outcome in (("420137", "evidence_missing"), ("2", "evidence_missing"),
                            ("?", "choose_order")):  # fmt: skip
        later = message(answer, subject="Re: Votre demande de retour")
        assert later.reading.language == ""
        number = "420137" if answer == "420137" else None
        found = MOTORS[1] if number else None
        d = decide(ticket, later, number, found, rules, NOW + timedelta(hours=2), (), MOTORS)
        assert (d.outcome, d.language) == (outcome, "fr")
        [reply] = d.replies
        assert reply.language == "fr"
        subject = renderer.render(reply.template, {**reply.context, **said}, reply.language).subject
        assert subject.startswith("Votre demande de retour"), subject
    # A first mail in no language is answered in the desk's.
    alone = decide(None, message("420137", subject="420137"), "420137", MOTORS[1], rules, NOW,
                   (), MOTORS)  # fmt: skip
    assert alone.replies[0].language == ""
    assert renderer.render(alone.replies[0].template, {**alone.replies[0].context, **said},
                           "").language == "en"  # fmt: skip
