"""The languages' lookup tables answer gettext and ngettext as gettext.GNUTranslations
answers from the .mo file Babel compiles of the same catalog: for every message of the
shipped catalogs, and for the entries a catalog may hold that are no translation. A
catalog is parsed when first needed, but it is the one read at start."""

from __future__ import annotations

import gettext
import io
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from mailbot.errors import TemplateError
from mailbot.outbound.catalogs import CatalogTranslations, Languages

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
COUNTS = (0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 25, 101, 111)


def _compiled(catalog: Catalog) -> gettext.GNUTranslations:
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


def _same(catalog: Catalog) -> None:
    ours, reference = CatalogTranslations(catalog), _compiled(catalog)
    asked = 0
    for message in list(catalog)[1:]:
        if isinstance(message.id, str):
            assert ours.gettext(message.id) == reference.gettext(message.id), message.id
        else:
            one, other = (str(i) for i in message.id)
            assert ours.gettext(one) == reference.gettext(one), one
            for n in COUNTS:
                assert ours.ngettext(one, other, n) == reference.ngettext(one, other, n), (one, n)
        asked += 1
    assert asked == len(catalog)
    assert ours.gettext("Not in any catalog") == "Not in any catalog"
    assert ours.ngettext("One thing", "%(n)s things", 2) == "%(n)s things"


@pytest.mark.parametrize("tag", sorted(Languages(TEMPLATES).catalogs))
def test_each_shipped_catalog_answers_as_its_compiled_mo(tag: str) -> None:
    _same(Languages(TEMPLATES).catalogs[tag])


def test_fuzzy_untranslated_half_translated_and_context_entries() -> None:
    catalog = Catalog(locale="pl")
    catalog.add("Done", "Gotowe")
    catalog.add("Maybe", "Może", flags=["fuzzy"])
    catalog.add("Empty", "")
    catalog.add("Done", "Zrobione", context="button")
    catalog.add(("%(n)s day", "%(n)s days"), ("%(n)s dzień", "", "%(n)s dni"))
    catalog.add(("%(n)s photo", "%(n)s photos"), ("", "", ""))
    catalog.add(("%(n)s video", "%(n)s videos"), ("a", "b", "c"), flags=["fuzzy"])
    _same(catalog)
    ours = CatalogTranslations(catalog)
    assert ours.gettext("Done") == "Gotowe"
    assert ours.gettext("Maybe") == "Maybe"
    assert ours.ngettext("%(n)s day", "%(n)s days", 3) == "%(n)s days"
    assert ours.ngettext("%(n)s day", "%(n)s days", 5) == "%(n)s dni"


def _copy(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES / "locale", templates / "locale")
    return templates


def test_a_catalog_is_the_one_read_at_start_even_if_parsed_later(tmp_path: Path) -> None:
    templates = _copy(tmp_path)
    languages = Languages(templates)
    german = templates / "locale" / "de" / "LC_MESSAGES" / "mailbot.po"
    said = languages.languages["de"].translations.gettext("Kind regards,")
    assert said != "Kind regards,"
    german.write_text(german.read_text().replace(f'msgstr "{said}"', 'msgstr "Edited"'))
    fresh = Languages(templates)
    assert fresh.languages["de"].translations.gettext("Kind regards,") == "Edited"
    started = Languages(templates)
    german.write_text(german.read_text().replace('msgstr "Edited"', 'msgstr "Edited again"'))
    assert started.languages["de"].translations.gettext("Kind regards,") == "Edited"


def test_a_catalog_of_an_unknown_language_is_refused_at_start(tmp_path: Path) -> None:
    templates = _copy(tmp_path)
    shutil.copytree(templates / "locale" / "de", templates / "locale" / "qq_Bogus")
    with pytest.raises(TemplateError, match=re.escape("qq_Bogus/LC_MESSAGES/mailbot.po: ")):
        Languages(templates)
