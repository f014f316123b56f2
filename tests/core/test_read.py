"""The reading step on customers' sentences in ten languages, and the decisions it leads
to, as plain calls (mailbot/reading/ is pure like the core)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mailbot.core.decide import decide
from mailbot.core.guard import skip_reason
from mailbot.core.model import MailKind, Scenario, Ticket, TicketState
from mailbot.core.rulebook import Rulebook
from mailbot.reading import read
from mailbot.reading.language import detect_language
from tests.core.conftest import NOW, STATEMENT, hd_photos, message, order, videos

DATA = Path(__file__).resolve().parents[1] / "data" / "reading"
COMPLETE_DEFECT = [*videos(3), *hd_photos(10), STATEMENT]


def _rows(name: str) -> list[tuple[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [(r["language"], r["text"]) for r in csv.DictReader(f, delimiter="\t")]


@pytest.mark.parametrize(("language", "text"), _rows("short_mails.tsv") + _rows("tiny_mails.tsv"))
def test_language_of_short_mails(rules: Rulebook, language: str, text: str) -> None:
    assert detect_language(text, rules.cue_packs, "en") == language


def test_links_and_addresses_do_not_decide_the_language(rules: Rulebook) -> None:
    links = "\n".join(f"https://drive.google.com/file/d/{n:040d}/view" for n in range(2000))
    text = f"The board is broken, the videos are here:\n{links}\nanna@exemple.fr"
    assert detect_language(text, rules.cue_packs, "de") == "en"


# Answers to our question which order it is: each could be in several languages.
SHORT_ANSWERS = [
    ("it", "La seconda."),
    ("nl", "de tweede"),
    ("pt", "o segundo"),
    ("fr", "la deuxième svp"),
    ("zh", "2"),
]


@pytest.mark.parametrize(("language", "text"), SHORT_ANSWERS)
def test_a_short_answer_keeps_the_ticket_s_language(
    rules: Rulebook, language: str, text: str
) -> None:
    assert not read("", text, rules).language_clear
    ticket = Ticket(
        1, "T-000001", TicketState.NEEDS_INFO, Scenario.QUALITY_DEFECT, "ana@example.com",
        language=language,
    )  # fmt: skip
    d = decide(ticket, message(text, subject="Re: which order is it?"), None, None, rules, NOW)
    assert d.language == language
    assert {reply.language for reply in d.replies} == {language}


def test_a_mail_clearly_in_another_language_switches_the_ticket_s(rules: Rulebook) -> None:
    text = "Buenos días, es el segundo pedido de la lista. Muchas gracias."
    assert read("", text, rules).language_clear
    ticket = Ticket(
        1, "T-000001", TicketState.NEEDS_INFO, Scenario.QUALITY_DEFECT, "ana@example.com",
        language="it",
    )  # fmt: skip
    d = decide(ticket, message(text, subject="Re: which order is it?"), None, None, rules, NOW)
    assert d.language == "es"


# A complete defect claim that says it was not installed or programmed gets its RMA.
NOT_INSTALLED = [
    ("en", "The board does not power on. I have not installed or programmed it."),
    ("en", "It stopped working after a day, I never soldered or flashed anything."),
    ("de", "Das Board ist defekt. Ich habe es weder installiert noch programmiert."),
    ("fr", "La carte ne s'allume pas, je ne l'ai ni installée ni programmée."),
    ("es", "La placa no enciende, no la he instalado ni programado."),
    ("it", "La scheda non si accende, non l'ho installata né programmata."),
    ("pt", "A placa não liga, não a instalei nem programei."),
    ("nl", "Het bord werkt niet, ik heb het niet geïnstalleerd of geprogrammeerd."),
    ("pl", "Płytka nie działa, nie instalowałem jej ani nie programowałem."),
    ("ru", "Плата не работает, я её не устанавливал и не программировал."),
    ("zh", "板子不工作，我没有安装也没有烧录程序。"),
]


@pytest.mark.parametrize(("language", "text"), NOT_INSTALLED)
def test_not_installed_or_programmed_is_no_use(rules: Rulebook, language: str, text: str) -> None:
    msg = message(text, COMPLETE_DEFECT)
    assert msg.reading.language == language
    assert msg.reading.condition == ()
    assert {c.negated for c in msg.reading.found("condition")} == {True}
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert (d.outcome, d.issue_rma, d.scenario) == ("rma_issued", True, Scenario.QUALITY_DEFECT)


def test_installed_and_programmed_sends_a_defect_to_an_agent(rules: Rulebook) -> None:
    msg = message("I installed and programmed it, now it does not boot.", COMPLETE_DEFECT)
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert (d.state, d.outcome) == (TicketState.UNDER_REVIEW, "agent_review")
    assert '"installed", "programmed"' in d.reasons[-1]


NOT_DEFECTIVE = [
    ("en", "Not defective, I just don't need it any more."),
    ("de", "Kein Defekt, ich brauche es einfach nicht mehr."),
    ("fr", "Il n'est pas défectueux, je n'en ai simplement plus besoin."),
    ("es", "No está dañado, simplemente ya no lo necesito."),
    ("it", "Non è difettoso, semplicemente non mi serve più."),
    ("pt", "Não está com defeito, só não preciso mais dele."),
    ("nl", "Het is niet kapot, ik heb het gewoon niet meer nodig."),
    ("pl", "Nie jest uszkodzony, po prostu już go nie potrzebuję."),
    ("ru", "Не брак, просто он мне больше не нужен."),
    ("zh", "产品没有质量问题，只是我不再需要了。"),
]


@pytest.mark.parametrize(("language", "text"), NOT_DEFECTIVE)
def test_not_defective_i_just_dont_need_it_is_a_change_of_mind(
    rules: Rulebook, language: str, text: str
) -> None:
    msg = message(text, hd_photos(2))
    assert (msg.reading.language, msg.reading.scenario) == (language, Scenario.DEMAND_CHANGE)
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert (d.scenario, d.outcome, d.issue_rma) == (Scenario.DEMAND_CHANGE, "rma_issued", True)


INSTEAD_OF = [
    ("en", "Defective board", "I received the F401 instead of the F407 I ordered."),
    ("de", "Defektes Board", "Ich habe den F401 statt des bestellten F407 bekommen."),
    ("fr", "Carte défectueuse", "J'ai reçu la F401 au lieu de la F407 commandée."),
    ("es", "Placa defectuosa", "Recibí la F401 en lugar de la F407 que pedí."),
    ("it", "Scheda difettosa", "Ho ricevuto la F401 invece della F407 che avevo ordinato."),
    ("pt", "Placa com defeito", "Recebi a F401 em vez da F407 que encomendei."),
    ("nl", "Defect bord", "Ik heb de F401 ontvangen in plaats van de F407."),
    ("pl", "Wadliwa płytka", "Otrzymałem F401 zamiast zamówionej F407."),
    ("ru", "Бракованная плата", "Я получил F401 вместо заказанной F407."),
    ("zh", "板子有缺陷", "我订的是F407，发错货了，收到的是F401。"),
]


@pytest.mark.parametrize(("language", "subject", "text"), INSTEAD_OF)
def test_received_x_instead_of_y_is_a_wrong_item_under_a_defect_subject(
    rules: Rulebook, language: str, subject: str, text: str
) -> None:
    msg = message(text, subject=subject)
    assert (msg.reading.language, msg.reading.scenario) == (language, Scenario.WRONG_ITEM)
    assert any(c.where == "subject" for c in msg.reading.found(Scenario.QUALITY_DEFECT.value))
    d = decide(None, msg, "100201", order(days_ago=1), rules, NOW)
    assert d.scenario is Scenario.WRONG_ITEM and d.outcome == "evidence_missing"


WHERE_IS_MY_PARCEL = [
    ("en", "Where is my parcel? Tracking has not moved since Monday."),
    ("de", "Wo bleibt mein Paket? Die Sendungsverfolgung zeigt seit Tagen nichts Neues."),
    ("fr", "Mon colis n'est toujours pas arrivé, le suivi est bloqué."),
    ("es", "¿Dónde está mi paquete? El seguimiento no se actualiza."),
    ("it", "Il mio pacco non è ancora arrivato, il tracciamento è fermo."),
    ("pt", "Onde está a minha encomenda? O rastreio não avança."),
    ("nl", "Waar blijft mijn pakket? De track en trace staat al dagen stil."),
    ("pl", "Gdzie jest moja paczka? Śledzenie przesyłki stoi od tygodnia."),
    ("ru", "Где моя посылка? Отслеживание не обновляется уже неделю."),
    ("zh", "我的包裹在哪里？物流信息一直没有更新。"),
]


@pytest.mark.parametrize(("language", "text"), WHERE_IS_MY_PARCEL)
def test_where_is_my_parcel_is_acknowledged_not_asked(
    rules: Rulebook, language: str, text: str
) -> None:
    msg = message(text, subject="Order 100201")
    assert (msg.reading.language, msg.reading.kind) == (language, MailKind.DELIVERY)
    d = decide(None, msg, None, None, rules, NOW)
    assert (d.state, d.outcome, d.issue_rma, d.reminders) == (
        TicketState.CLOSED,
        "acknowledged",
        False,
        (),
    )
    assert [r.template for r in d.replies] == ["customer/acknowledged"]
    assert d.replies[0].context["kind"] == "delivery"
    assert d.agent_notice.startswith("not a return request: a delivery question")
    assert d.language == language


def test_a_mail_on_an_open_ticket_that_is_not_a_return_changes_nothing(rules: Rulebook) -> None:
    ticket = Ticket(
        1, "T-000001", TicketState.NEEDS_INFO, Scenario.QUALITY_DEFECT, "ana@example.com", "100201"
    )
    d = decide(ticket, message("Could you also send me the invoice with VAT?"), "100201", order(),
               rules, NOW)  # fmt: skip
    assert (d.state, d.outcome, d.keep_plan) == (TicketState.NEEDS_INFO, "acknowledged", True)
    assert d.scenario is Scenario.QUALITY_DEFECT


def test_thanks_with_a_tracking_number_on_an_approved_ticket_ships_it(rules: Rulebook) -> None:
    ticket = Ticket(
        1, "T-000001", TicketState.APPROVED, Scenario.QUALITY_DEFECT, "ana@example.com", "100201"
    )
    thanks = message("Thanks!")
    assert thanks.reading.kind is MailKind.THANKS
    assert decide(ticket, thanks, "100201", order(), rules, NOW).outcome == "acknowledged"
    shipped = decide(ticket, message("Thanks! DHL 1234567890"), "100201", order(), rules, NOW)
    assert shipped.outcome == "shipped"


def test_thanks_with_a_defect_is_a_return(rules: Rulebook) -> None:
    assert message("Thanks for the quick reply, but the board is still broken.").reading.kind is (
        MailKind.RETURN
    )


@pytest.mark.parametrize(
    "text",
    [
        "I am out of the office until 7 December with limited access to email.",
        "Ich bin bis zum 7. Dezember nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.",
        "Je suis absent du bureau jusqu'au 7 décembre.",
        "Estoy fuera de la oficina hasta el 7 de diciembre.",
        "Dear customer, we have received your request and a ticket has been created.",
    ],
)
def test_automatic_reply_text_is_never_answered(text: str) -> None:
    msg = message(text)
    assert msg.reading.kind is MailKind.AUTOMATIC
    reason = skip_reason(msg, ["returns@shop.example"])
    assert reason is not None and reason.startswith("automatic reply by its text:")


def test_negation_ends_with_its_clause() -> None:
    from tests.core.conftest import shipped_rules

    reading = read("", "I have not installed it and it is broken.", shipped_rules())
    assert [(c.about, c.negated) for c in reading.cues] == [
        ("condition", True),
        ("quality_defect", False),
    ]
    reading = read("", "I did not expect that it would arrive broken.", shipped_rules())
    assert [(c.about, c.negated) for c in reading.cues] == [("quality_defect", False)]


def test_what_comes_before_a_but_is_conceded(rules: Rulebook) -> None:
    reading = read("", "It works fine, but it is too big for the wall box.", rules)
    assert reading.scenario is Scenario.DEMAND_CHANGE
    [works] = reading.found(Scenario.QUALITY_DEFECT.value)
    assert (works.words, works.contrasted, works.weight) == ("works fine", True, -1.0)


def test_the_customer_words_outweigh_quoted_history(rules: Rulebook) -> None:
    text = (
        "Here are the photos, I just don't need it any more.\n\n"
        "On Tue, 24 Nov 2026 at 10:14, Returns Desk <returns@shop.example> wrote:\n"
        "> Is it defective, a wrong item or a change of mind?"
    )
    reading = read("", text, rules)
    assert reading.scenario is Scenario.DEMAND_CHANGE
    assert {c.where for c in reading.found(Scenario.QUALITY_DEFECT.value)} == {"quoted"}


def test_two_claims_said_alike_are_asked(rules: Rulebook) -> None:
    reading = read("", "The item is wrong and it is also broken.", rules)
    assert reading.scenario is Scenario.UNKNOWN and reading.margin < rules.reading.margin


def test_inflections_count_without_listing_them(rules: Rulebook) -> None:
    # The pack lists "defektes Gerät"? No: "defekt" and "beschädigt"; stems do the rest.
    reading = read("", "Zwei defekte Platinen, eine davon beschädigte Buchse.", rules)
    assert [c.words for c in reading.found(Scenario.QUALITY_DEFECT.value)] == [
        "defekte",
        "beschädigte",
    ]


@pytest.mark.parametrize(
    ("language", "text", "keep"),
    [
        ("en", "Option 1 please, I will keep it.", True),
        ("de", "Ich nehme Option 2 und schicke es zurück.", False),
        ("fr", "Je choisis l'option 1, je le garde.", True),
        ("es", "Prefiero la opción 2, lo devuelvo.", False),
        ("zh", "我选选项2，寄回去。", False),
    ],
)
def test_wrong_item_choice_in_the_customer_language(
    rules: Rulebook, language: str, text: str, keep: bool
) -> None:
    ticket = Ticket(
        1, "T-000001", TicketState.OPTIONS_OFFERED, Scenario.WRONG_ITEM, "ana@example.com", "100201"
    )
    d = decide(ticket, message(text), "100201", order(), rules, NOW)
    assert d.outcome == ("kept_with_compensation" if keep else "rma_issued")


def test_quoted_history_says_nothing_about_use_or_the_kind_of_mail(rules: Rulebook) -> None:
    text = (
        "Here is the third video.\n\n"
        "On Tue, 24 Nov 2026 at 10:14, Returns Desk <returns@shop.example> wrote:\n"
        "> Thank you! Where is my parcel? I installed and programmed the board."
    )
    reading = read("Re: Your return request", text, rules)
    assert reading.found("condition") and reading.condition == ()
    assert reading.kind is MailKind.RETURN


def test_a_but_concedes_what_spoke_against_not_what_spoke_for(rules: Rulebook) -> None:
    reading = read(
        "URGENT defective!!!",
        "sorry my mistake, I ordered the 5V version but needed 12V. can I return it?",
        rules,
    )
    assert reading.scenario is Scenario.DEMAND_CHANGE
    assert not any(c.contrasted for c in reading.cues)
    reading = read("Wrong item", "It is the right item, but it arrived with a broken pin.", rules)
    assert reading.scenario is Scenario.QUALITY_DEFECT
    [right] = [c for c in reading.found(Scenario.WRONG_ITEM.value) if c.where == "text"]
    assert (right.words, right.contrasted) == ("is the right item", True)


def test_thanks_with_attachments_is_evidence_a_delivery_question_stays_one(
    rules: Rulebook,
) -> None:
    ticket = Ticket(
        1, "T-000001", TicketState.NEEDS_INFO, Scenario.QUALITY_DEFECT, "ana@example.com", "100201"
    )
    d = decide(ticket, message("Thanks!", videos(1)), "100201", order(), rules, NOW)
    assert d.outcome == "evidence_missing"
    parcel = message("Where is my parcel? Screenshot of the tracking attached.", hd_photos(1))
    assert decide(None, parcel, None, None, rules, NOW).outcome == "acknowledged"


def test_a_subject_counts_fully_when_the_text_says_nothing_of_what_happened(
    rules: Rulebook,
) -> None:
    assert read("Broken board", "See the photos.", rules).scenario is Scenario.QUALITY_DEFECT
    mixed = read("Broken board", "You sent me the wrong model.", rules)
    assert mixed.scenario is Scenario.WRONG_ITEM
    assert [c.weight for c in mixed.found(Scenario.QUALITY_DEFECT.value)] == [1.0]


@pytest.mark.parametrize(
    "text",
    ["Ich benutzte es nicht, es ist einfach defekt.", "Ik gebruikte het niet, het is kapot."],
)
def test_a_negation_after_the_verb_in_german_and_dutch(rules: Rulebook, text: str) -> None:
    reading = read("", text, rules)
    assert reading.scenario is Scenario.QUALITY_DEFECT and reading.condition == ()
    assert [c.negated for c in reading.found("condition")] == [True]


def test_only_nicht_and_niet_negate_the_verb_before_them(rules: Rulebook) -> None:
    # "ohne Last" is "without load": it negates its noun, not the flickering.
    reading = read("", "Das Display flackert ohne Last.", rules)
    assert [c.negated for c in reading.found(Scenario.QUALITY_DEFECT.value)] == [False]


def test_a_cue_never_skips_the_words_of_another(rules: Rulebook) -> None:
    # "want to [return] order" is no question before buying.
    reading = read("Return", "I want to return order 410574.", rules)
    assert reading.found(MailKind.PRESALES.value) == ()
    assert reading.kind is MailKind.RETURN


def test_a_cue_stays_in_its_clause(rules: Rulebook) -> None:
    # "não … o que encomendei" across "e" is not "not what I ordered".
    reading = read("", "Não tem defeito nenhum e é o que encomendei.", rules)
    assert not any("nenhum" in c.words for c in reading.found(Scenario.WRONG_ITEM.value))


def test_a_wrapped_line_goes_on_in_its_sentence(rules: Rulebook) -> None:
    reading = read("", "Quiero devolverla. No está\ndañada, simplemente ya no la necesito.", rules)
    [damaged] = reading.found(Scenario.QUALITY_DEFECT.value)
    assert damaged.negated and reading.scenario is Scenario.DEMAND_CHANGE


def test_an_abbreviation_with_full_stops_reads_as_its_words(rules: Rulebook) -> None:
    # Dutch writes "instead of" as "i.p.v.": its full stops end no sentence.
    reading = read("", "Ik heb de 5V-versie gekregen i.p.v. de 12V-versie.", rules)
    assert [c.words for c in reading.found(Scenario.WRONG_ITEM.value)] == ["i.p.v"]
    assert reading.scenario is Scenario.WRONG_ITEM


def test_an_invoice_named_in_a_claim_keeps_it_a_return(rules: Rulebook) -> None:
    text = (
        "bezüglich Ihrer Rechnung RE-2026-44817 muss ich leider eine Reklamation anmelden:"
        " das Board wird an keinem Rechner erkannt und die LED flackert."
    )
    reading = read("Ihre Rechnung RE-2026-44817", text, rules)
    assert reading.kind is MailKind.RETURN and reading.scenario is Scenario.QUALITY_DEFECT


def test_a_subject_that_repeats_the_text_says_it_once(rules: Rulebook) -> None:
    reading = read("Not what I expected", "The strip is not what I expected.", rules)
    assert [c.where for c in reading.cues if c.about == "demand_change"] == ["text"]


# Testing a part on arrival is not using it: the claim gets its RMA.
ONLY_TESTED = [
    ("en", "The board is faulty, it resets every few seconds. I only plugged it in to test it."),
    ("de", "Das Board ist defekt, es startet ständig neu. Nur angeschlossen und getestet."),
    ("fr", "La carte est défectueuse, elle redémarre. Je l'ai juste branchée pour la tester."),
    ("es", "La placa está defectuosa, se reinicia sola. Solo la conecté para probarla."),
    ("it", "La scheda è difettosa, si riavvia di continuo. L'ho solo collegata per provarla."),
    ("pt", "A placa está com defeito, reinicia sozinha. Só a liguei para testar."),
    ("nl", "Het bordje is defect, het herstart steeds. Ik heb het alleen aangesloten en getest."),
    ("pl", "Płytka jest wadliwa, ciągle się resetuje. Tylko ją podłączyłem i testowałem."),
    ("ru", "Плата неисправна, постоянно перезагружается. Я её только подключал и тестировал."),
    ("zh", "板子坏了，一直重启。我只是插上电测试过。"),
]


@pytest.mark.parametrize(("language", "text"), ONLY_TESTED)
def test_testing_on_arrival_is_no_use(rules: Rulebook, language: str, text: str) -> None:
    msg = message(text, COMPLETE_DEFECT)
    assert msg.reading.language == language
    assert msg.reading.condition == ()
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert (d.outcome, d.scenario) == ("rma_issued", Scenario.QUALITY_DEFECT)


# A customer who says they cannot tell which case it is gets asked, in their language.
CANNOT_TELL = [
    ("en", "The sensor reads humidity 0. I'm not sure if it is faulty or if you sent a BMP280."),
    ("de", "Der Sensor zeigt 0. Ich weiß nicht, ob er defekt ist oder das falsche Modell."),
    ("fr", "Le capteur affiche 0. Je ne sais pas si il est défectueux ou le mauvais modèle."),
    ("es", "El sensor marca 0. No sé si está defectuoso o si me habéis mandado otro modelo."),
    ("it", "Il sensore segna 0. Non so se è difettoso o se è il modello sbagliato."),
    ("pt", "O sensor marca 0. Não sei se está com defeito ou se é o modelo errado."),
    ("nl", "De sensor geeft 0 aan. Ik weet niet of hij defect is of het verkeerde model."),
    ("pl", "Czujnik pokazuje 0. Nie wiem czy jest wadliwy, czy to zły model."),
    ("ru", "Датчик показывает 0. Не знаю, брак это или прислали не ту модель."),
    ("zh", "传感器读数是0。我说不清楚是坏了还是发错货了。"),
]


@pytest.mark.parametrize(("language", "text"), CANNOT_TELL)
def test_a_customer_who_cannot_tell_is_asked(rules: Rulebook, language: str, text: str) -> None:
    msg = message(text)
    assert msg.reading.language == language
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert d.outcome == "ask_scenario"
    assert d.reasons[-1].startswith("scenario unclear: the customer cannot tell which case it is")


def test_a_doubt_about_something_else_does_not_stop_a_clear_claim(rules: Rulebook) -> None:
    text = "The board is dead, it does not power on. I'm not sure if you need the box too."
    assert read("", text, rules).scenario is Scenario.QUALITY_DEFECT


# Thanks once the refund arrived: acknowledged, no return question.
REFUND_THANKS = [
    ("en", "Thanks a lot, the refund arrived today!"),
    ("de", "Vielen Dank, die Erstattung habe ich erhalten."),
    ("fr", "Merci, j'ai bien reçu le remboursement."),
    ("es", "Muchas gracias, ya me ha llegado el reembolso."),
    ("it", "Grazie, il rimborso è arrivato."),
    ("pt", "Obrigado, já recebi o reembolso."),
    ("nl", "Bedankt, de terugbetaling heb ik ontvangen."),
    ("pl", "Dziękuję, otrzymałem zwrot."),
    ("ru", "Спасибо, деньги пришли."),
    ("zh", "谢谢，退款已到账。"),
]


@pytest.mark.parametrize(("language", "text"), REFUND_THANKS)
def test_thanks_for_a_refund_is_thanks(rules: Rulebook, language: str, text: str) -> None:
    reading = read("Re: Your refund has been issued", text, rules)
    assert (reading.language, reading.kind) == (language, MailKind.THANKS)


def test_videos_too_big_for_email_are_no_change_of_mind(rules: Rulebook) -> None:
    text = "The display flickers and goes black. The videos are too big for email, here is a link."
    assert read("", text, rules).scenario is Scenario.QUALITY_DEFECT


def test_a_tax_number_in_a_signature_keeps_a_claim_a_return(rules: Rulebook) -> None:
    text = "La placa no enciende, está averiada.\n\nMéndez S.L. – CIF B30456789 – IVA incluido"
    assert read("", text, rules).kind is MailKind.RETURN


def test_works_fine_but_too_big_is_a_change_of_mind(rules: Rulebook) -> None:
    for text in (
        "It works and is what I ordered, but it is too big for the wall box.",
        "Funktioniert einwandfrei, ist mir aber zu groß.",
        "Funciona bien, pero es demasiado grande para mi caja.",
    ):
        assert read("", text, rules).scenario is Scenario.DEMAND_CHANGE, text


# What came and what was ordered, said the ways people say it.
CAME_INSTEAD = [
    ("en", "In the box was an Arduino Nano, my order was for a Nano Every."),
    ("de", "Im Paket lag ein Arduino Nano, bestellt war ein Nano Every."),
    ("it", "Nel pacco c'era un Arduino Nano, io avevo comprato un Nano Every."),
    ("pt", "No pacote veio um Arduino Nano, eu comprei um Nano Every."),
    ("nl", "In het pakket zat een Arduino Nano, ik had een Nano Every gekocht."),
    ("ru", "В посылке был Arduino Nano, а я покупал Nano Every."),
    ("zh", "包裹里是 Arduino Nano，我订的是 Nano Every。"),
]


@pytest.mark.parametrize(("language", "text"), CAME_INSTEAD)
def test_what_came_is_not_what_was_ordered(rules: Rulebook, language: str, text: str) -> None:
    reading = read("", text, rules)
    assert (reading.language, reading.scenario) == (language, Scenario.WRONG_ITEM)


def test_ordering_something_that_broke_is_a_defect(rules: Rulebook) -> None:
    for text in (
        "I ordered two of these and one is dead.",
        "I ordered the ESP32 board last week and it arrived broken.",
        "J'ai commandé cette carte et elle ne fonctionne pas.",
    ):
        assert read("", text, rules).scenario is Scenario.QUALITY_DEFECT, text


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("耳機壞了，右耳完全沒有聲音。", "耳机坏了，右耳完全没有声音。"),
        ("收到的路由器不能用，一直重啟，沒反應。", "收到的路由器不能用，一直重启，没反应。"),
        ("你們發錯貨了，我訂的是M3。", "你们发错货了，我订的是M3。"),
        ("東西沒問題，不想要了，七天無理由退貨。", "东西没问题，不想要了，七天无理由退货。"),
    ],
)
def test_traditional_characters_read_as_the_simplified_pack(
    rules: Rulebook, traditional: str, simplified: str
) -> None:
    read_t, read_s = read("", traditional, rules), read("", simplified, rules)
    assert read_t.scenario is read_s.scenario is not Scenario.UNKNOWN
    assert [(c.about, c.weight) for c in read_t.cues] == [(c.about, c.weight) for c in read_s.cues]
    # The cues show the customer's own characters.
    assert all(c.words in traditional for c in read_t.cues)
