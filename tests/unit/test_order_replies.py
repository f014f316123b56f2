"""The replies about which order a mail means, rendered from the shipped templates: the
list a customer answers in one line, its reminder, and the line naming an order taken
from the sender's orders."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mailbot.core.decide import decide
from mailbot.core.model import Decision, Order, Ticket
from mailbot.core.reminders import decide_due
from mailbot.core.rulebook import Rulebook
from mailbot.outbound.render import RenderedMail, Renderer
from mailbot.reading import read
from mailbot.templatecheck import load_samples
from tests.core.conftest import NOW, message, order, shipped_rules

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TWO = (
    order(days_ago=3, order_id="410295", product="ESP32-S3-DevKitC-1"),
    order(days_ago=20, order_id="410277", product="Arduino Uno R4 Minima"),
)


def _render(decision: Decision, language: str = "") -> RenderedMail:
    reply = decision.replies[0]
    context = {**reply.context, "ticket": {"reference": "T-000007", "rma": "RMA123456789"}}
    return Renderer(TEMPLATES).render(reply.template, context, language or reply.language)


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
    # A numbered list (an <ol> in the HTML part), each delivery day as the language writes it.
    assert "\n1. Order 410295: ESP32-S3-DevKitC-1, delivered 23 November 2026\n" in mail.text
    assert "\n2. Order 410277: Arduino Uno R4 Minima, delivered 6 November 2026\n" in mail.text
    follow_up = d.reminders[0]
    assert follow_up.context["asked"] == "choose_order"
    ticket_reply = decide_due(_ticket(d), follow_up, rules, follow_up.due_at, ())
    assert ticket_reply is not None
    reminder = _render(ticket_reply)
    assert "which of these orders it is" in reminder.text
    assert "\n2. Order 410277: Arduino Uno R4 Minima, delivered 6 November 2026\n" in reminder.text


def test_the_list_in_german_and_chinese() -> None:
    d = _decide(shipped_rules(), "One of the boards does not power on.", TWO)
    german, chinese = _render(d, "de"), _render(d, "zh")
    assert german.subject == "Ihre Rücksendeanfrage: Um welche Bestellung geht es?"
    assert "\n1. Bestellung 410295: ESP32-S3-DevKitC-1, zugestellt am 23. November 2026\n" in (
        german.text
    )
    assert "(zum Beispiel „410295“) oder ihre Stelle in der Liste (zum Beispiel „die erste“)" in (
        german.text
    )
    assert chinese.subject == "您的退货申请：是哪一个订单？"
    assert "\n2. 订单 410277：Arduino Uno R4 Minima，于 2026年11月6日 签收\n" in chinese.text
    assert "<li" in (chinese.html or "") and "2026年11月6日" in (chinese.html or "")


def test_an_order_taken_from_the_senders_orders_is_named() -> None:
    d = _decide(shipped_rules(), "The board does not power on.", TWO[:1])
    text = " ".join(_render(d).text.split())
    assert (
        "You did not write an order number, so we took order 410295 (ESP32-S3-DevKitC-1):"
        " the only order delivered to this address within the return window."
    ) in text


_QUOTED = re.compile(r'[“„«"]\s*([^“”„«»"]+?)\s*[”“»"]')


def test_the_examples_in_each_language_are_answers_the_reading_understands() -> None:
    # A customer may answer with the very words of our example: they must pick the first
    # order, and must not be taken for another language (which the ticket would keep).
    rules, renderer = shipped_rules(), Renderer(TEMPLATES)
    [sample] = load_samples(TEMPLATES)["customer/choose_order"]
    for tag, language in renderer.languages.languages.items():
        text = renderer.render_in("customer/choose_order", sample, language).text
        number, place = _QUOTED.findall(text)[-2:]
        assert number == "100231", tag
        reading = read("Re: ?", place, rules)
        assert reading.pick == 1, (tag, place)
        assert reading.language in ("", language.locale.language), (tag, place, reading.language)


def _paragraphs(text: str) -> set[str]:
    return {" ".join(p.split()) for p in text.split("\n\n") if p.strip()}


def test_a_reminder_does_not_repeat_which_order_was_taken() -> None:
    # The reply said once which order it took; its reminder says what is still missing
    # (and names the order in its own words), in every language.
    rules, renderer = shipped_rules(), Renderer(TEMPLATES)
    d = _decide(rules, "The board does not power on.", TWO[:1])
    assert d.replies[0].context["order_inferred"] == "only"
    follow_up, close = d.reminders
    for tag in renderer.languages.languages:
        reply = _render(d, tag).text
        plain = _render(replace(d, replies=(replace(d.replies[0], context={
            **d.replies[0].context, "order_inferred": ""}),)), tag).text  # fmt: skip
        inferred = _paragraphs(reply) - _paragraphs(plain)
        assert inferred, tag
        for due in (follow_up, close):
            later = decide_due(_ticket(d), due, rules, due.due_at, ())
            assert later is not None
            reminder = _render(later, tag).text
            assert "410295" in reminder, tag
            assert not inferred & _paragraphs(reminder), (tag, due.kind)


def test_the_follow_up_names_the_day_the_request_closes() -> None:
    rules = shipped_rules()
    d = _decide(rules, "The board does not power on.", TWO[:1])
    follow_up, close = d.reminders
    reminded = decide_due(_ticket(d), follow_up, rules, follow_up.due_at, ())
    assert reminded is not None and close.due_at.day == 10
    english = " ".join(_render(reminded).text.split())
    assert "we will close the request on 10 December 2026;" in english
    german = " ".join(_render(reminded, "de").text.split())
    assert "schließen wir die Anfrage am 10. Dezember 2026;" in german
    # A follow-up planned before it knew the day still renders (without it).
    context = {k: v for k, v in reminded.replies[0].context.items() if k != "close_on"}
    older = replace(reminded, replies=(replace(reminded.replies[0], context=context),))
    assert "we will close the request; you can reopen it" in " ".join(_render(older).text.split())
