"""The desk's languages: one gettext catalog per language, read from the .po files.

Catalogs live beside the templates they translate, in
``<templates_dir>/locale/<language>/LC_MESSAGES/mailbot.po`` (the layout ``pybabel``
writes; docs/translating.md). They are read when mailbot starts, and parsed with
Babel into lookup tables in memory when a reply first needs the language (a run over
an empty inbox needs none): there is no .mo file to build, forget or leave stale, and
an edited .po applies at the next start. English is the source language (the msgids):
it needs no catalog.

A customer's language (as read: "de", "zh") is answered in the catalog of that
language; a language the desk does not ship falls back to the desk's own
(``[desk] language``), in which agents' mail is always written.
"""

from __future__ import annotations

import gettext
import io
import re
from dataclasses import dataclass
from functools import cached_property
from gettext import NullTranslations
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from mailbot.errors import TemplateError

SOURCE = "en"
# How the source language formats dates and money: British English ("10 December
# 2026", "US$45.10") suits a shop that sells across Europe and abroad.
SOURCE_FORMATS = "en_GB"
DOMAIN = "mailbot"
LOCALE_DIR = "locale"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")
# Templates join the sentences of a paragraph with a space; Chinese and Japanese put
# none after their full-width punctuation.
_WIDE_STOP_SPACE = re.compile(r"(?<=[。！？；：，、）」』])[ \t]+(?=\S)")
_NO_SPACES = frozenset({"zh", "ja"})


@dataclass(frozen=True)
class Language:
    """One language a reply can be written in."""

    tag: str  # the catalog's name: "de", "zh_Hans"
    locale: Locale  # how it formats dates, numbers and money
    po: Path | None = None  # its catalog; None for the source language
    po_bytes: bytes = b""  # the catalog as read at start

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog, parsed at the first question; TemplateError names the file."""
        try:
            return read_po(io.BytesIO(self.po_bytes), locale=self.tag, domain=DOMAIN)
        except (ValueError, UnknownLocaleError) as exc:
            raise TemplateError(f"{self.po}: {exc}") from exc

    @cached_property
    def translations(self) -> NullTranslations:
        return NullTranslations() if self.po is None else CatalogTranslations(self.catalog)

    def tidy(self, text: str) -> str:
        """`text` with the language's spacing between sentences."""
        if self.locale.language in _NO_SPACES:
            return _WIDE_STOP_SPACE.sub("", text)
        return text

    @property
    def content_language(self) -> str:
        """The BCP 47 tag for the Content-Language header: "de", "zh-Hans"."""
        return self.tag.replace("_", "-")


def catalog_path(templates_dir: Path, tag: str) -> Path:
    """Where the catalog of language `tag` lives."""
    return templates_dir / LOCALE_DIR / tag / "LC_MESSAGES" / f"{DOMAIN}.po"


def _shipped(po: Path) -> Language:
    """The language of one .po file, its bytes read now; or TemplateError naming it."""
    tag = po.parent.parent.name
    try:
        return Language(tag, Locale.parse(tag), po, po.read_bytes())
    except (OSError, ValueError, UnknownLocaleError) as exc:
        raise TemplateError(f"{po}: {exc}") from exc


class CatalogTranslations(NullTranslations):
    """gettext and ngettext of one catalog, as gettext.GNUTranslations answers them from
    the .mo file Babel would compile of it; built straight from the catalog, since
    writing that file in memory and parsing it again took most of the start-up time of
    the languages (issue 17)."""

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.plural = gettext.c2py(catalog.plural_expr)
        self._found: dict[str | tuple[str, int], str] = {}
        for message in list(catalog)[1:]:  # the first is the header
            # An untranslated or fuzzy entry is not a translation (yet).
            if not message.string or message.fuzzy:
                continue
            ids = [message.id] if isinstance(message.id, str) else [str(i) for i in message.id]
            key = f"{message.context}\x04{ids[0]}" if message.context else ids[0]
            if isinstance(message.string, str):
                self._found[key] = message.string
                continue
            # A form left empty says the English one, as Babel compiles it.
            for form, text in enumerate(message.string):
                self._found[(key, form)] = str(text) or ids[min(form, len(ids) - 1)]

    def gettext(self, message: str) -> str:
        found = self._found.get(message)
        if found is None:
            found = self._found.get((message, self.plural(1)))
        return message if found is None else found

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        found = self._found.get((msgid1, self.plural(n)))
        if found is None:
            return msgid1 if n == 1 else msgid2
        return found


class Languages:
    """The shipped languages (English and every catalog) and the desk's own."""

    def __init__(self, templates_dir: Path, desk_language: str = SOURCE) -> None:
        self.templates_dir = templates_dir
        root = templates_dir / LOCALE_DIR
        self.languages: dict[str, Language] = {
            SOURCE: Language(SOURCE, Locale.parse(SOURCE_FORMATS))
        }
        for po in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")) if root.is_dir() else []:
            language = _shipped(po)
            self.languages[language.tag] = language
        # "zh" as read finds the catalog "zh_Hans": the first catalog of that language.
        self._by_language: dict[str, str] = {}
        for tag in self.languages:
            self._by_language.setdefault(Locale.parse(tag).language, tag)
        desk = self.find(desk_language)
        if desk is None:
            raise TemplateError(
                f"[desk] language {desk_language!r} has no catalog in {root}"
                f" (shipped: {', '.join(self.languages)})"
            )
        self.desk = desk

    @property
    def catalogs(self) -> dict[str, Catalog]:
        """Every shipped catalog, parsed (for `mailbot check`)."""
        return {tag: lang.catalog for tag, lang in self.languages.items() if lang.po is not None}

    def find(self, language: str) -> Language | None:
        """The shipped language for a tag as read ("de", "zh", "zh-Hans"), or None."""
        tag = language.replace("-", "_")
        if tag in self.languages:
            return self.languages[tag]
        try:
            base = Locale.parse(tag).language if tag else ""
        except (ValueError, UnknownLocaleError):
            return None
        found = self._by_language.get(base)
        return self.languages[found] if found else None

    def answer_in(self, language: str) -> Language:
        """The language to write in for a customer who writes `language`."""
        return self.find(language) or self.desk


def placeholders(text: str) -> set[str]:
    """The named placeholders of a python-format message: "%(num)s" -> {"num"}."""
    return set(_PLACEHOLDER.findall(text))
