"""Which order a mail is about: numbers as customers write them in ten languages and in
the shop's format, numbers that are not orders, and the sender's orders when no number
is written (one in the window: taken; several: asked with a list, answered in a line)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from mailbot.core.decide import decide
from mailbot.core.model import Decision, Order, Scenario, Ticket, TicketState
from mailbot.core.ordernumber import order_number
from mailbot.core.rulebook import Rulebook
from mailbot.reading import read
from tests.core.conftest import NOW, STATEMENT, hd_photos, message, order, videos

DEFECT = "The board does not power on at all, the LED stays dark."


@pytest.mark.parametrize(
    "text",
    [
        "Bestellnummer 403117",
        "Bestell-Nr.: 403117",
        "Ihre Bestellung PS-403117 ist kaputt",
        "Auftrag 403117",
        "commande n° 403117",
        "numéro de commande : 403117",
        "pedido 403117",
        "pedido n.º 403117",
        "ordine n. 403117",
        "numero d'ordine 403117",
        "encomenda 403117",
        "bestelnummer 403117",
        "bestelling 403117",
        "zamówienie nr 403117",
        "numer zamówienia: 403117",
        "заказ № 403117",
        "номер заказа:403117",
        "Заказ№403117",
        "订单号 403117",
        "订单号：403117",
        "（订单403117）",
        "#403117",
        "order no. 403117",
        "Order #403117",
        "PS-403117",
        "ps403117",
        "my order number is 403117",
        "my order with number 403117",
        "meine Auftragsnummer lautet 403117",
        "die Bestellung mit der Nummer 403117",
        "mijn bestelling met nummer 403117",
        "la référence de ma commande est 403117",
        "mi número de pedido es 403117",
        "il numero del mio ordine è 403117",
        "o número da minha encomenda é 403117",
        "mój numer zamówienia to 403117",
    ],
)
def test_order_numbers_as_customers_write_them(rules: Rulebook, text: str) -> None:
    reading = read("Return", f"Hello, {text}. The board is broken.", rules)
    assert reading.order_numbers == ("403117",)
    assert order_number(reading, ()) == "403117"


def test_a_number_in_no_shop_format_keeps_its_prefix(rules: Rulebook) -> None:
    assert read("Order no. SO-55123", "", rules).order_numbers == ("SO-55123",)
    assert read("Return", "I ordered it last week", rules).order_numbers == ()


SIGNATURE = (
    "Invoice RE-2026-44817 of 12.11.2026, customer no. 20931, our PO 4500123876.\n"
    "DHL tracking 00340434518123456789, FedEx 771231435017.\n"
    "Rigol DS1054Z, serial DS1ZA262100417, ESP32-S3, model 17HS4401.\n"
    "Lang GmbH, Gewerbepark 7, 93059 Regensburg, Tel. +49 941 463782-0, HRB 15527"
)


def test_numbers_that_are_not_orders_are_never_taken(rules: Rulebook) -> None:
    mine = (order(order_id="410233", customer_email="ana@example.com"),)
    reading = read("Defective scope", f"{DEFECT}\n\n{SIGNATURE}", rules)
    assert reading.order_numbers == ()
    assert order_number(reading, mine) is None
    # One of them written as an order number is the order (someone else's, or none).
    labelled = read("Defective scope", f"{DEFECT} Order 410117.\n\n{SIGNATURE}", rules)
    assert order_number(labelled, mine) == "410117"


@pytest.mark.parametrize(
    "text",
    [
        "Ticket #4471203",
        "case number 4471203",
        "incident 4471203",
        "our support ticket number is 4471203",
        "invoice no. 4471203",
        "tracking number: 4471203",
        "customer ID 4471203",
        "Vorgangsnummer 4471203",
        "Ticket-Nr. 4471203",
        "Kundennummer: 4471203",
        "ticketnummer 4471203",
        "numéro de dossier : 4471203",
        "número de incidencia 4471203",
        "número do chamado 4471203",
        "numero di pratica 4471203",
        "zgłoszenie nr 4471203",
        "номер обращения 4471203",
        "заявка № 4471203",
        "工单号 4471203",
        "工单编号：4471203",
    ],
)
def test_a_number_labelled_as_a_ticket_case_or_invoice_is_no_order(
    rules: Rulebook, text: str
) -> None:
    mine = (order(order_id="410233"),)
    reading = read("Re: your request", f"Hello, {text}. The board is broken.", rules)
    assert reading.order_numbers == () and "4471203" not in reading.numbers
    assert order_number(reading, mine) is None
    # Beside it, the order number (labelled, or bare and the sender's) is still found.
    both = read("Re: your request", f"{text}, order 410117. The board is broken.", rules)
    assert order_number(both, mine) == "410117"
    bare = read("410233", f"{text}. The board is broken.", rules)
    assert order_number(bare, mine) == "410233"


def test_a_number_standing_alone_counts_when_it_is_the_senders_order(rules: Rulebook) -> None:
    reading = read("410908", "Hallo, der Sensor passt nicht.\n\nTel. 0941 463782", rules)
    assert reading.order_numbers == ()
    assert order_number(reading, (order(order_id="410908"),)) == "410908"
    assert order_number(reading, (order(order_id="410909"),)) is None
    # In the shop's format written bare: the order data holds it without its prefix.
    assert order_number(read("Re: ps 410908", "", rules), ()) == "410908"


def test_of_the_senders_orders_the_one_the_mail_names_most(rules: Rulebook) -> None:
    text = (
        "I placed the same order twice: orders 410402 and 410403 are identical. I'd like"
        " to send back the one from 410403; the 410403 one is unopened."
    )
    mine = (order(order_id="410402"), order(order_id="410403"))
    assert order_number(read("Duplicate order", text, rules), mine) == "410403"
    # Written labelled, the sender's own order wins over a number that is not theirs.
    other = read("Order 999999", "It is about #410402 really.", rules)
    assert order_number(other, mine) == "410402"


def _decide(rules: Rulebook, text: str, mine: tuple[Order, ...], **kw: object) -> Decision:
    msg = message(text, kw.pop("attachments", ()), subject="Board broken")  # type: ignore[arg-type]
    number = order_number(msg.reading, mine)
    found = next((o for o in mine if o.order_id == number), None)
    ticket = kw.pop("ticket", None)
    return decide(ticket, msg, number, found, rules, NOW, (), mine)  # type: ignore[arg-type]


def test_the_only_order_in_the_window_is_used_and_named(rules: Rulebook) -> None:
    mine = (order(days_ago=5, order_id="410270"), order(days_ago=60, order_id="410012"))
    d = _decide(rules, DEFECT, mine, attachments=[*videos(3), *hd_photos(10), STATEMENT])
    assert (d.outcome, d.order_id) == ("rma_issued", "410270")
    assert d.replies[0].context["order_inferred"] == "only"
    assert d.reasons[0] == (
        "no order number written; order 410270:"
        " the sender's only order delivered in the last 30 days"
    )


def test_no_order_in_the_window_asks_for_the_number(rules: Rulebook) -> None:
    d = _decide(rules, DEFECT, (order(days_ago=45),))
    assert (d.outcome, d.order_id) == ("ask_order_number", None)
    # The scenario the mail made clear stays on the ticket while we ask.
    assert d.scenario is Scenario.QUALITY_DEFECT


TWO = (
    order(days_ago=20, order_id="410277", product="Arduino Uno R4 Minima"),
    order(days_ago=3, order_id="410295", product="ESP32-S3-DevKitC-1"),
    order(days_ago=50, order_id="410100", product="Pico W"),
)


def test_several_orders_in_the_window_are_listed_latest_first(rules: Rulebook) -> None:
    d = _decide(rules, DEFECT, TWO)
    assert (d.state, d.outcome, d.scenario) == (
        TicketState.NEEDS_INFO,
        "choose_order",
        Scenario.QUALITY_DEFECT,
    )
    listed = d.replies[0].context["orders"]
    assert isinstance(listed, list)
    assert [(o["order_id"], o["product"]) for o in listed] == [
        ("410295", "ESP32-S3-DevKitC-1"),
        ("410277", "Arduino Uno R4 Minima"),
    ]
    # The delivery scan in the shop's zone; the reply writes it in the customer's language.
    delivered = listed[0]["delivered"]
    assert isinstance(delivered, datetime)
    assert (delivered, delivered.tzinfo) == (NOW - timedelta(days=3), rules.timezone)
    assert delivered.isoformat() == "2026-11-23T11:00:00+01:00"


def _asked(days_before: float = 0) -> Ticket:
    return Ticket(
        7,
        "T-000007",
        TicketState.NEEDS_INFO,
        Scenario.QUALITY_DEFECT,
        "ana@example.com",
        None,
        created_at=NOW - timedelta(days=days_before),
    )


@pytest.mark.parametrize(
    "answer",
    [
        "The second one.",
        "Die zweite.",
        "C'est la deuxième.",
        "El segundo.",
        "La seconda.",
        "O segundo.",
        "De tweede.",
        "Drugie.",
        "Второй.",
        "第二个。",
        "2",
        "Nr. 2 bitte",
    ],
)
def test_the_answer_picks_its_place_in_the_list(rules: Rulebook, answer: str) -> None:
    d = _decide(rules, answer, TWO, ticket=_asked())
    assert d.order_id == "410277"
    assert d.scenario is Scenario.QUALITY_DEFECT  # kept from the first mail
    assert d.outcome == "evidence_missing"
    assert d.replies[0].context["order_inferred"] == "picked"


def test_the_place_counts_in_the_list_as_it_was_sent(rules: Rulebook) -> None:
    # Asked 3 days ago, when the order delivered 31 days ago was still in the window.
    mine = (order(days_ago=5, order_id="410295"), order(days_ago=31, order_id="410277"))
    d = _decide(rules, "the second one", mine, ticket=_asked(days_before=3))
    assert d.order_id == "410277"


def test_a_place_without_our_list_picks_nothing(rules: Rulebook) -> None:
    d = _decide(rules, f"{DEFECT} It is the second one that broke.", TWO)
    assert d.outcome == "choose_order"


def test_a_reply_quoting_our_list_picks_from_it_without_its_ticket(rules: Rulebook) -> None:
    # The thread is lost (no ticket found), but the reply quotes the list it answers.
    text = (
        f"It is number 2. {DEFECT}\n\nOn Wed, 18 Nov 2026, returns <r@shop.example> wrote:\n"
        "> 1. Order 410295: ESP32-S3-DevKitC-1\n> 2. Order 410277: Arduino Uno R4 Minima"
    )
    msg = replace(message(text, subject="Re: which order is it?"), in_reply_to="<ours@shop>")
    d = decide(None, msg, None, None, rules, NOW, (), TWO)
    assert (d.outcome, d.order_id) == ("evidence_missing", "410277")
    assert d.replies[0].context["order_inferred"] == "picked"
    unquoted = replace(message(f"It is number 2. {DEFECT}"), in_reply_to="<ours@shop>")
    assert decide(None, unquoted, None, None, rules, NOW, (), TWO).outcome == "choose_order"


SENSORS = (
    order(days_ago=4, order_id="433361", product="BME280 sensor module I2C (5 pcs)", sku="BME-5P"),
    order(days_ago=9, order_id="433378", product="DS18B20 temperature sensor", sku="DS18-10P"),
)


def test_the_one_order_whose_model_the_mail_names_is_taken(rules: Rulebook) -> None:
    d = _decide(rules, "One of the BME280 boards always reads 0, it is faulty.", SENSORS)
    assert (d.outcome, d.order_id) == ("evidence_missing", "433361")
    assert d.replies[0].context["order_inferred"] == "named"
    assert d.reasons[0] == (
        "no order number written; order 433361:"
        ' the only one of the sender\'s orders in the window for "BME280"'
    )
    # "sensor" is in both products: it names neither.
    assert _decide(rules, "One sensor always reads 0, it is faulty.", SENSORS).outcome == (
        "choose_order"
    )
    # Both named (a mix-up between them), or both of the same model: the customer is asked.
    both = "I ordered the DS18B20 and got a BME280 instead."
    assert _decide(rules, both, SENSORS).outcome == "choose_order"
    twice = (SENSORS[0], replace(SENSORS[0], order_id="433399"))
    assert _decide(rules, "The BME280 is faulty.", twice).outcome == "choose_order"


def test_the_one_order_whose_name_the_mail_writes_is_taken(rules: Rulebook) -> None:
    stations = (
        order(days_ago=4, order_id="486121", product="Weller WE1010 soldering station 70 W"),
        order(days_ago=9, order_id="486120", product="Hakko FX-888D soldering station"),
    )
    d = _decide(rules, "My Weller does not heat up, the display shows an error.", stations)
    assert (d.outcome, d.order_id) == ("evidence_missing", "486121")
    assert d.reasons[0].endswith('in the window for "Weller"')
    # What both are ("soldering station") names neither.
    d = _decide(rules, "The soldering station does not heat up.", stations)
    assert d.outcome == "choose_order"
