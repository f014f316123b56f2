"""Mail that is not a return, through `mailbot run --once` over real Dovecot and SMTP:
acknowledged in a line, the agents told, nobody asked for a return reason, no RMA; an
out-of-office sent without its headers is recorded and never answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.demo import make_request
from mailbot.store import Store
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
    tickets = store.tickets()
    # Recorded as tickets closed from the start: no return case open, no reminder.
    assert sorted((t.state.value, t.language) for t in tickets) == [
        ("closed", "de"),
        ("closed", "es"),
        ("closed", "zh"),
    ]
    assert all(store.ticket_reminders(t.id or 0) == [] for t in tickets)
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert len(smtp_server.handler.received) == len(received)
