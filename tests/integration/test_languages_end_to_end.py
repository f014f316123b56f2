"""Customers answered in their own language over real Dovecot and SMTP: a German,
Spanish, French, Russian and Chinese change-of-mind request each gets its RMA reply in
that language (subject, body, date and amount as that language writes them), a
Japanese one gets the desk's language, and the agents' copies are in the desk's
language with the customer's language and words."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import AGENT, REPO, RMA, _text, _write_config

PHOTOS = [REPO / "examples" / "media" / f"photo-hd-1{n}.jpg" for n in (1, 2)]

# language: (sender, subject, text)
REQUESTS = {
    "de": ("Jürgen Müller <j.mueller@example.de>", "Rückgabe Bestellung 100202",
           "Guten Tag,\n\nich habe es mir anders überlegt und möchte das ESP32-Board aus"
           " Bestellung 100202 zurückgeben. Es ist unbenutzt und originalverpackt. Im Anhang"
           " ein Foto des Produkts und eines der Verpackung.\n\nViele Grüße\nJürgen Müller\n"),
    "es": ("Rita Silva <r.silva@example.pt>", "Devolución pedido 100210",
           "Hola:\n\nHe cambiado de opinión y quiero devolver el osciloscopio del pedido"
           " 100210. No lo he usado y está en su caja original. Adjunto una foto del producto"
           " y otra del embalaje.\n\nSaludos,\nRita Silva\n"),
    "fr": ("Claire Dubois <claire.dubois@example.fr>", "Retour commande 100207",
           "Bonjour,\n\nJ'ai changé d'avis et je souhaite retourner la station de soudage de"
           " la commande 100207. Elle n'a jamais été utilisée et est encore dans son emballage"
           " d'origine. Vous trouverez en pièce jointe une photo du produit et une de"
           " l'emballage.\n\nCordialement,\nClaire Dubois\n"),
    "ru": ("Li Wei <li.wei@example.net>", "Возврат заказа 100203",
           "Здравствуйте!\n\nЯ передумал и хочу вернуть осциллограф из заказа 100203. Он не"
           " использовался и находится в оригинальной упаковке. Прикладываю фото товара и"
           " упаковки.\n\nС уважением,\nЛи Вэй\n"),
    "zh": ("Anna Becker <anna.becker@example.com>", "退货 订单100201",
           "您好，\n\n我改变主意了，想退回订单100201的开发板。商品未使用，仍在原包装中。"
           "附上商品和包装的照片。\n\n谢谢！\n"),
    "ja": ("Katharina Schmidt <k.schmidt@example.at>", "返品 注文100209",
           "お世話になっております。\n\n注文番号100209のロジックアナライザーですが、気が変わった"
           "ので返品したいです。未使用で箱に入ったままです。商品と箱の写真を添付します。\n\n"
           "よろしくお願いいたします。\n"),
}  # fmt: skip

# What each reply must say in its language: the subject's start, words of the body,
# the ship-by date and the refund as that language writes them.
MONTHS = {
    "de": "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember",
    "es": "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|"
    "diciembre",
    "fr": "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre",
    "ru": "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря",
}
EXPECTED = {
    "de": ("Rücksendung zur Bestellung 100202 genehmigt", "Guten Tag Jürgen Müller,",
           rf"spätestens am \d{{1,2}}\. ({MONTHS['de']}) \d{{4}}", r"= \d+,\d\d\xa0€"),
    "es": ("Devolución autorizada para el pedido 100210", "Hola, Rita Silva:",
           rf"a más tardar el \d{{1,2}} de ({MONTHS['es']}) de \d{{4}}", r"= \d+,\d\d\xa0€"),
    "fr": ("Retour autorisé pour la commande 100207", "Bonjour Claire Dubois,",
           rf"au plus tard le \d{{1,2}} ({MONTHS['fr']}) \d{{4}}", r"= 78,10\xa0€"),
    "ru": ("Возврат по заказу 100203 одобрен", "Здравствуйте, Li Wei!",
           rf"не позднее \d{{1,2}} ({MONTHS['ru']}) \d{{4}}\u202fг\.", r"= \d+,\d\d\xa0€"),
    "zh": ("订单 100201 退货已获批准", "Anna Becker，您好：",
           r"最迟于 \d{4}年\d{1,2}月\d{1,2}日", r"= €\d+\.\d\d"),
}  # fmt: skip


def _mails(smtp: SmtpServer) -> list[EmailMessage]:
    return [r.parsed() for r in smtp.handler.received]


def test_each_customer_is_answered_in_their_language_and_the_agents_in_the_desks(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    config = _write_config(
        tmp_path, imap_account, smtp_server, f"sqlite:///{tmp_path / 'db'}", only=""
    )
    # A copy of every decision to the agents: their mail stays in the desk's language.
    config.write_text(config.read_text().replace("[agents]", "[agents]\ncopy_decisions = true"))
    for language, (sender, subject, text) in REQUESTS.items():
        imap_account.append(
            make_request(
                sender=sender,
                subject=subject,
                body=text,
                attachments=PHOTOS,
                message_id=f"<{language}-1@example.org>",
            )
        )

    assert main(["--config", str(config), "run", "--once"]) == 0

    mails = _mails(smtp_server)
    to_customers = {str(m["In-Reply-To"]).strip("<>").split("-")[0]: m for m in mails
                    if m["To"] != AGENT}  # fmt: skip
    assert sorted(to_customers) == sorted(REQUESTS)
    for language, (subject, greeting, day, refund) in EXPECTED.items():
        reply = to_customers[language]
        text = _text(reply).replace("\r\n", "\n")
        tag = "zh-Hans" if language == "zh" else language
        assert reply["Content-Language"] == tag, language
        assert str(reply["Subject"]).startswith(subject), (language, reply["Subject"])
        assert RMA.search(str(reply["Subject"])) and RMA.search(text)
        assert text.startswith(greeting + "\n\n"), (language, text[:80])
        assert re.search(day, text), (language, day, text)
        assert re.search(refund, text), (language, refund, text)
        assert "Kind regards" not in text and "Ship with" not in text
        html = reply.get_body(("html",))
        assert html is not None and f'<html lang="{tag}">' in str(html.get_content())
    # Japanese is not shipped: the desk's language (English), still with the order.
    japanese = to_customers["ja"]
    assert japanese["Content-Language"] == "en"
    assert str(japanese["Subject"]).startswith("Your return request for order 100209")
    assert _text(japanese).replace("\r\n", "\n").startswith("Dear Katharina Schmidt,\n\nThank")

    copies = [m for m in mails if m["To"] == AGENT]
    assert len(copies) == len(REQUESTS)
    for copy in copies:
        notice = _text(copy)
        assert copy["Content-Language"] == "en" and str(copy["Subject"]).startswith(
            "Needs a person: copy:"
        )
        said = re.search(r"Language:\s+(\w+)", notice)
        assert said is not None
        sender, _, words = REQUESTS[said.group(1)]
        assert sender.split("<")[1].rstrip(">") in notice
        first_line = words.split("\n\n")[1].split(".")[0].split("。")[0]
        assert first_line[:30] in notice, (said.group(1), first_line)
