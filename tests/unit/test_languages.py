"""Replies in the customer's language: catalogs, fallback, plurals, dates and money."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.model import Money
from mailbot.outbound.render import Renderer
from mailbot.templatecheck import load_samples

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"
SHIPPED = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "zh_Hans"]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


@pytest.fixture(scope="module")
def samples() -> dict[str, list[dict[str, object]]]:
    return load_samples(TEMPLATES)


def test_the_shipped_languages_and_their_tags(renderer: Renderer) -> None:
    assert sorted(renderer.languages.languages) == sorted(SHIPPED)
    found = {read: renderer.languages.answer_in(read).content_language
             for read in ("de", "zh", "zh-Hans", "pt", "ja", "", "xx")}  # fmt: skip
    assert found == {
        "de": "de", "zh": "zh-Hans", "zh-Hans": "zh-Hans", "pt": "pt",
        "ja": "en", "": "en", "xx": "en",
    }  # fmt: skip


def test_a_language_the_desk_does_not_ship_gets_the_desks_own() -> None:
    german_desk = Renderer(TEMPLATES, desk_language="de")
    assert german_desk.languages.answer_in("ja").content_language == "de"
    assert german_desk.languages.answer_in("fr").content_language == "fr"


def _links(renderer: Renderer, sample: dict[str, object], language: str, more: int) -> str:
    mail = renderer.render("customer/links_review", {**sample, "more_links": more}, language)
    [line] = [line for line in mail.text.splitlines() if line.startswith("- …")]
    return line[len("- … ") :]


# "… and N more links", as each language says it for 1, 2, 5 and 22.
MORE_LINKS = {
    "en": ["and 1 more link", "and 2 more links", "and 5 more links", "and 22 more links"],
    "de": ["und 1 weiterer Link", "und 2 weitere Links", "und 5 weitere Links",
           "und 22 weitere Links"],
    "fr": ["et 1 autre lien", "et 2 autres liens", "et 5 autres liens", "et 22 autres liens"],
    "es": ["y 1 enlace más", "y 2 enlaces más", "y 5 enlaces más", "y 22 enlaces más"],
    "it": ["e 1 altro link", "e altri 2 link", "e altri 5 link", "e altri 22 link"],
    "pt": ["e mais 1 link", "e mais 2 links", "e mais 5 links", "e mais 22 links"],
    "nl": ["en nog 1 link", "en nog 2 links", "en nog 5 links", "en nog 22 links"],
    "pl": ["i jeszcze 1 link", "i jeszcze 2 linki", "i jeszcze 5 linków",
           "i jeszcze 22 linki"],
    "ru": ["и ещё 1 ссылка", "и ещё 2 ссылки", "и ещё 5 ссылок", "и ещё 22 ссылки"],
    "zh_Hans": ["另有 1 个链接", "另有 2 个链接", "另有 5 个链接", "另有 22 个链接"],
}  # fmt: skip


@pytest.mark.parametrize("language", SHIPPED)
def test_more_links_plural_in_each_language(
    renderer: Renderer, samples: dict[str, list[dict[str, object]]], language: str
) -> None:
    [sample] = samples["customer/links_review"]
    said = [_links(renderer, sample, language, n) for n in (1, 2, 5, 22)]
    assert said == MORE_LINKS[language]


def _missing_videos(renderer: Renderer, sample: dict[str, object], language: str, n: int) -> str:
    videos = {"key": "videos", "needed": 3, "counted": 0, "missing": n,
              "wording": ["%(num)s video of the fault",
                          "%(num)s videos of the fault from different angles"]}  # fmt: skip
    evidence = {"needs": [videos], "not_counted": [], "more_not_counted": 0, "duplicates": 0}
    mail = renderer.render("customer/evidence_missing", {**sample, "evidence": evidence}, language)
    lines = mail.text.splitlines()
    return next(x for x in lines if x.startswith("- "))[2:]


# The rule's "%(num)s video of the fault" for 1, 2 and 5 missing videos.
MISSING_VIDEOS = {
    "en": ["1 video of the fault", "2 videos of the fault from different angles",
           "5 videos of the fault from different angles"],
    "de": ["1 Video des Fehlers", "2 Videos des Fehlers aus verschiedenen Blickwinkeln",
           "5 Videos des Fehlers aus verschiedenen Blickwinkeln"],
    "fr": ["1 vidéo du défaut", "2 vidéos du défaut sous différents angles",
           "5 vidéos du défaut sous différents angles"],
    "es": ["1 vídeo del fallo", "2 vídeos del fallo desde distintos ángulos",
           "5 vídeos del fallo desde distintos ángulos"],
    "it": ["1 video del difetto", "2 video del difetto da angolazioni diverse",
           "5 video del difetto da angolazioni diverse"],
    "pt": ["1 vídeo do defeito", "2 vídeos do defeito de ângulos diferentes",
           "5 vídeos do defeito de ângulos diferentes"],
    "nl": ["1 video van het defect", "2 video’s van het defect vanuit verschillende hoeken",
           "5 video’s van het defect vanuit verschillende hoeken"],
    "pl": ["1 film przedstawiający usterkę", "2 filmy przedstawiające usterkę z różnych stron",
           "5 filmów przedstawiających usterkę z różnych stron"],
    "ru": ["1 видео неисправности", "2 видео неисправности с разных ракурсов",
           "5 видео неисправности с разных ракурсов"],
    "zh_Hans": ["1 段从不同角度拍摄的故障视频", "2 段从不同角度拍摄的故障视频",
                "5 段从不同角度拍摄的故障视频"],
}  # fmt: skip


@pytest.mark.parametrize("language", SHIPPED)
def test_missing_videos_plural_in_each_language(
    renderer: Renderer, samples: dict[str, list[dict[str, object]]], language: str
) -> None:
    sample = samples["customer/evidence_missing"][0]
    said = [_missing_videos(renderer, sample, language, n) for n in (1, 2, 5)]
    assert said == MISSING_VIDEOS[language]


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("language", "day", "amount"),
    [
        ("en", "10 December 2026", "€46.10"),
        ("de", "10. Dezember 2026", "46,10\xa0€"),
        ("es", "10 de diciembre de 2026", "46,10\xa0€"),
        ("fr", "10 décembre 2026", "46,10\xa0€"),
        ("ru", "10 декабря 2026\u202fг.", "46,10\xa0€"),
        ("zh_Hans", "2026年12月10日", "€46.10"),
    ],
)
def test_dates_and_money_are_formatted_for_the_language(
    renderer: Renderer,
    samples: dict[str, list[dict[str, object]]],
    language: str,
    day: str,
    amount: str,
) -> None:
    sample = samples["customer/rma_issued"][2]  # change of mind, with the refund
    context = {**sample, "ship_by": datetime(2026, 12, 10, 23, 59, tzinfo=BERLIN)}
    text = renderer.render("customer/rma_issued", context, language).text
    assert day in text and amount in text


def test_dollars_in_english_say_which_dollars(
    renderer: Renderer, samples: dict[str, list[dict[str, object]]]
) -> None:
    [sample, _] = samples["customer/refunded"]
    context = {**sample, "amount": Money(Decimal("45.10"), "USD")}
    assert "US$45.10" in renderer.render("customer/refunded", context, "en").text


@pytest.mark.parametrize("language", SHIPPED)
def test_every_reply_is_in_its_language_after_a_greeting(
    renderer: Renderer, samples: dict[str, list[dict[str, object]]], language: str
) -> None:
    for name, contexts in samples.items():
        if not name.startswith("customer/"):
            continue
        for context in contexts:
            mail = renderer.render(name, context, language)
            assert mail.language == language.replace("_", "-")
            greeting, blank, first = mail.text.splitlines()[:3]
            assert greeting and not blank and first
            # After "Dear X," a sentence starts with a capital; German letters go on in
            # lower case after the comma of their salutation.
            if language != "de":
                assert not first[0].islower(), (name, language, first)
            # Chinese puts no space after its full stop, where templates join sentences.
            assert "。 " not in mail.text
            # Nothing of English is left where a translation belongs.
            if language != "en":
                assert "Kind regards" not in mail.text and "Dear " not in mail.text


def test_agents_mail_is_in_the_desks_language(
    samples: dict[str, list[dict[str, object]]],
) -> None:
    [notice] = samples["agent/notice"]
    english = Renderer(TEMPLATES).render("agent/notice", notice)
    german = Renderer(TEMPLATES, desk_language="de").render("agent/notice", notice)
    assert english.language == "en" and english.subject.startswith("Needs a person:")
    assert german.language == "de" and german.subject.startswith("Braucht einen Menschen:")
    # The customer's words and language are shown as they are.
    assert "Language:  de" in english.text and "Sprache:   de" in german.text
    assert "The board does not power on." in german.text
