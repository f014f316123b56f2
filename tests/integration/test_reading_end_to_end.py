"""Reading through `mailbot run --once` over real Dovecot and SMTP. Mail that is not a
return: acknowledged in a line, the agents told, nobody asked for a return reason, no
RMA; an out-of-office sent without its headers is recorded and never answered. A request
without an order number from a customer with several orders: asked with a list, and the
one-line answer continues the ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, RMA, _text, _write_config


def test_questions_that_are_not_returns_are_acknowledged_and_shown_to_agents(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    db = tmp_path / "db"
    config = _write_config(tmp_path, imap_account, smtp_server, f"sqlite:///{db}", only="")
    mails = {
        "<parcel-de@x>": (
            "anna.becker@example.com",
            "Bestellung 100201",
            "Hallo,\n\nwo bleibt mein Paket? Die Sendungsverfolgung zeigt seit Tagen nichts"
            " Neues.\n\nViele Grüße\nAnna\n\nVon meinem iPhone gesendet",
        ),
        "<parcel-zh@x>": (
            "li.wei@example.net",
            "包裹",
            "你好，我的包裹在哪里？物流信息一直没有更新。",
        ),
        "<invoice-es@x>": (
            "r.silva@example.pt",
            "Factura",
            "Hola, ¿me pueden enviar la factura con IVA de mi pedido? Gracias.",
        ),
        "<away-fr@x>": (
            "claire.dubois@example.fr",
            "Retour",
            "Bonjour,\n\nJe suis absente du bureau jusqu'au 14 décembre, avec un accès limité"
            " à mes e-mails.\n\nCordialement",
        ),
    }
    for message_id, (sender, subject, body) in mails.items():
        imap_account.append(
            make_request(sender=sender, subject=subject, body=body, message_id=message_id)
        )
    assert main(["--config", str(config), "run", "--once"]) == 0

    received = [r.parsed() for r in smtp_server.handler.received]
    to_customers = {str(m["In-Reply-To"]): m for m in received if m["To"] != AGENT}
    notices = [m for m in received if m["To"] == AGENT]
    # Out-of-office text: recorded, never answered; the three questions: one line each.
    assert sorted(to_customers) == ["<invoice-es@x>", "<parcel-de@x>", "<parcel-zh@x>"]
    # Each in the customer's language.
    said = {
        "<parcel-de@x>": ("Wir haben Ihre Nachricht", "wo sich Ihr Paket befindet"),
        "<invoice-es@x>": ("Hemos recibido su mensaje", "le enviará la factura"),
        "<parcel-zh@x>": ("我们已收到您", "正在查询您的包裹位置"),
    }
    for key, reply in to_customers.items():
        text = _text(reply)
        subject, words = said[key]
        assert str(reply["Subject"]).startswith(subject) and words in text, (key, text)
        assert not RMA.search(f"{reply['Subject']}\n{text}")
    whys = sorted(str(n["Subject"]) for n in notices)
    assert len(whys) == 3
    assert sum("not a return request: a delivery question" in w for w in whys) == 2
    assert sum("not a return request: an invoice request" in w for w in whys) == 1
    assert imap_account.list_folder("INBOX") == []

    store = Store(f"sqlite:///{db}")
    tickets = store.tickets.listed()
    # Recorded as tickets closed from the start: no return case open, no reminder.
    assert sorted((t.state.value, t.language) for t in tickets) == [
        ("closed", "de"),
        ("closed", "es"),
        ("closed", "zh"),
    ]
    assert all(store.reminders.of_ticket(t.id or 0) == [] for t in tickets)
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert len(smtp_server.handler.received) == len(received)


def test_a_request_without_order_number_is_asked_with_a_list_and_answered_in_a_line(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    db = tmp_path / "db"
    now = datetime.now(UTC)
    config = _write_config(tmp_path, imap_account, smtp_server, f"sqlite:///{db}", now, "")
    # Two customers with two orders each in the return window (and one older).
    orders = tmp_path / "demo" / "orders.csv"
    rows = [
        ("410277", "ravi@example.com", "Arduino Uno R4 Minima", 20),
        ("410295", "ravi@example.com", "ESP32-S3-DevKitC-1", 3),
        ("410012", "ravi@example.com", "Dupont jumper wire set", 60),
        ("420137", "yann@example.fr", "NEMA 17 stepper motor", 18),
        ("420161", "yann@example.fr", "NEMA 17 stepper motor", 7),
    ]
    with orders.open("a", encoding="utf-8") as f:
        for order_id, email, product, days in rows:
            delivered = (now - timedelta(days=days)).isoformat()
            f.write(f'{order_id},{email},"{product}",SKU,1,20.00,8.00,6.50,EUR,{delivered},,\n')
    imap_account.append(
        make_request(
            sender="Ravi Desai <ravi@example.com>",
            subject="Board not powering up",
            body="Hi,\n\none of the boards I had from you won't power up at all, no LEDs"
            " and my PC doesn't see it. I don't have the order confirmation to hand.\n\nRavi",
            message_id="<ravi-1@example.com>",
        )
    )
    imap_account.append(
        make_request(
            sender="yann@example.fr",
            subject="Moteur bruyant",
            body="Bonjour, un des moteurs fait un bruit de crécelle et vibre énormément,"
            " il est défectueux. Je n'ai pas le numéro de commande.",
            message_id="<yann-1@example.fr>",
        )
    )
    assert main(["--config", str(config), "run", "--once"]) == 0
    asked = {str(m["In-Reply-To"]): m for m in (r.parsed() for r in smtp_server.handler.received)}
    ravi, yann = asked["<ravi-1@example.com>"], asked["<yann-1@example.fr>"]
    text = _text(ravi)
    assert str(ravi["Subject"]).startswith("Your return request: which order is it?")
    assert "1. Order 410295: ESP32-S3-DevKitC-1, delivered" in text
    assert "2. Order 410277: Arduino Uno R4 Minima, delivered" in text
    assert "410012" not in text and not RMA.search(text)
    # Yann wrote French: his list is in French, each day as French writes it.
    # The subject keeps the narrow no-break space French writes before ":" (as the body).
    assert str(yann["Subject"]).startswith("Votre demande de retour\u202f: de quelle commande")
    assert "1. Commande 420161\u202f: NEMA 17 stepper motor, livrée le " in _text(yann)

    # One line each: a place in the list, and a number standing alone.
    imap_account.append(
        make_request(
            sender="ravi@example.com",
            subject=f"Re: {ravi['Subject']}",
            body="The second one.\n\n> " + text.replace("\n", "\n> "),
            message_id="<ravi-2@example.com>",
            in_reply_to=str(ravi["Message-ID"]),
        )
    )
    imap_account.append(
        make_request(
            sender="yann@example.fr",
            subject=f"Re: {yann['Subject']}",
            body="420137",
            message_id="<yann-2@example.fr>",
            in_reply_to=str(yann["Message-ID"]),
        )
    )
    assert main(["--config", str(config), "run", "--once"]) == 0
    answers = {str(r.parsed()["In-Reply-To"]): r.parsed() for r in smtp_server.handler.received}
    second, motor = answers["<ravi-2@example.com>"], answers["<yann-2@example.fr>"]
    # The defect each first mail described, for the order now known: the evidence asked for.
    assert str(second["Subject"]).startswith(
        "Your return request for order 410277: some evidence is missing"
    )
    assert "the one you chose from our list" in " ".join(_text(second).split())
    # "420137" is in no language: Yann's ticket keeps French.
    assert str(motor["Subject"]).startswith("Votre demande de retour pour la commande 420137")
    assert motor["Content-Language"] == "fr"
    store = Store(f"sqlite:///{db}")
    tickets = store.tickets.listed()
    # Each answer continued its ticket: two tickets, each with its order now.
    assert sorted(
        (t.customer_email, t.order_id, t.scenario.value, t.language) for t in tickets
    ) == [
        ("ravi@example.com", "410277", "quality_defect", "en"),
        ("yann@example.fr", "420137", "quality_defect", "fr"),
    ]
