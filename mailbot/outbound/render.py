"""Reply templates: the only jinja2 user.

``templates/<audience>/<event>.txt.j2`` holds ``Subject: …`` on its first line, a
blank line, then the plain-text body; an optional ``<audience>/<event>.html.j2`` is
the HTML alternative, else the audience's ``_layout.html.j2`` writes the text's
blocks as HTML (mailhtml.py). Only ``.html.j2`` files are autoescaped: escaping the
text part would show customers ``&amp;``. Undefined variables raise
(StrictUndefined), so a template/context mismatch fails loudly instead of mailing a
blank.

One set of templates serves every language: their words are gettext messages
(``{% trans %}``, ``ngettext``) looked up in the catalog of the language a reply is
rendered in (catalogs.py), and dates, money and lists are formatted for it
(localformat.py). Templates are compiled once; the language is a render argument.
"""

from __future__ import annotations

import functools
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2
from babel.support import NullTranslations
from jinja2.runtime import Context
from markupsafe import Markup

from mailbot.errors import TemplateError
from mailbot.outbound.catalogs import SOURCE, Language, Languages, placeholders
from mailbot.outbound.localformat import FILTERS, LANGUAGE, language
from mailbot.outbound.mailhtml import blocks

# A block a template leaves empty (no "already complete" list) must not leave its blank
# lines behind: one blank line between paragraphs at most.
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n){2,}")

TEXT_SUFFIX = ".txt.j2"
HTML_SUFFIX = ".html.j2"
_SUBJECT = "Subject:"


@dataclass(frozen=True)
class RenderedMail:
    """A rendered reply: subject, text body, optional HTML body."""

    subject: str
    text: str
    html: str | None = None
    # The language it is written in, as a Content-Language tag ("de", "zh-Hans").
    language: str = SOURCE


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(HTML_SUFFIX)


def _template_line(exc: BaseException) -> tuple[str, int] | None:
    # jinja2 rewrites tracebacks so template frames carry the template file and line.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") and frame.lineno is not None:
            return frame.filename, frame.lineno
    return None


LAYOUT = "_layout.html.j2"


# gettext for templates: the catalog of the language the reply is rendered in. A
# translation naming a placeholder its message does not give (`mailbot check` names
# it) falls back to the message, so that the customer still gets a reply. What a
# catalog says of a message never changes, so each answer is looked up and checked
# once (the catalogs are the keys: a reload brings new ones).
@functools.lru_cache(maxsize=4096)
def _said(translations: NullTranslations, message: str) -> str:
    said = str(translations.gettext(message))
    return said if placeholders(said) <= placeholders(message) else message


@functools.lru_cache(maxsize=4096)
def _said_n(translations: NullTranslations, singular: str, plural: str, n: int) -> str:
    said = str(translations.ngettext(singular, plural, n))
    source = singular if n == 1 else plural
    return said if placeholders(said) <= placeholders(singular) | placeholders(plural) else source


# What jinja2.ext's newstyle gettext wrappers do (escape when autoescaping, then always
# %-format), without their second dispatch through Context.call for every message.
@jinja2.pass_context
def _gettext(__context: Context, __string: str, **variables: object) -> str:
    said = _said(language(__context).translations, __string)
    if __context.eval_ctx.autoescape:
        said = Markup(said)
    return said % variables


@jinja2.pass_context
def _ngettext(
    __context: Context, __singular: str, __plural: str, __num: int, **variables: object
) -> str:
    variables.setdefault("num", __num)
    said = _said_n(language(__context).translations, __singular, __plural, __num)
    if __context.eval_ctx.autoescape:
        said = Markup(said)
    return said % variables


class Renderer:
    """Renders templates from one directory; each template is read and compiled once."""

    def __init__(self, templates_dir: Path, desk_language: str = SOURCE) -> None:
        self.templates_dir = templates_dir
        self.languages = Languages(templates_dir, desk_language)
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir)),
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            autoescape=_autoescape,
            # Block tags on their own lines leave no blank lines in plain-text mail.
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # Never stat or re-read a template once compiled; restart to pick up edits.
            auto_reload=False,
            cache_size=-1,
        )
        # The i18n extension's newstyle calls ({% trans %} passes its variables to
        # gettext), answered by the callables above.
        self._env.newstyle_gettext = True  # type: ignore[attr-defined]
        self._env.globals.update(gettext=_gettext, ngettext=_ngettext)
        self._env.filters.update(FILTERS)
        self._cache: dict[str, jinja2.Template | None] = {}

    def _get(self, name: str, required: bool) -> jinja2.Template | None:
        if name not in self._cache:
            try:
                self._cache[name] = self._env.get_template(name)
            except jinja2.TemplateNotFound:
                if required:
                    raise TemplateError(
                        f"{self.templates_dir / name}: template not found"
                    ) from None
                self._cache[name] = None
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from exc
        return self._cache[name]

    def _render(self, template: jinja2.Template, context: Mapping[str, object]) -> str:
        try:
            return template.render(dict(context))
        # A translation's placeholder of the wrong type fails in its % formatting.
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            where = _template_line(exc)
            place = f"{where[0]}:{where[1]}" if where else str(template.filename)
            raise TemplateError(f"{place}: {exc}") from exc

    def render(
        self, template: str, context: Mapping[str, object], language: str = ""
    ) -> RenderedMail:
        """Render ``<template>.txt.j2`` (and ``.html.j2`` if present), e.g. ``customer/rma_issued``,
        in `language` if the desk ships it, else in the desk's language ("" for agents).

        Raises TemplateError naming the file (and line, when known).
        """
        written_in = self.languages.answer_in(language)
        return self.render_in(template, context, written_in)

    def render_in(
        self, template: str, context: Mapping[str, object], written_in: Language
    ) -> RenderedMail:
        """Render `template` in one of the shipped languages."""
        context = {**context, LANGUAGE: written_in}
        base = template.removesuffix(TEXT_SUFFIX)
        text_tpl = self._get(base + TEXT_SUFFIX, required=True)
        assert text_tpl is not None  # required=True raises instead
        subject, body = self._split(self._render(text_tpl, context), base + TEXT_SUFFIX)
        body = written_in.tidy(body)
        html_tpl = self._get(base + HTML_SUFFIX, required=False)
        html: str | None
        if html_tpl is not None:
            html = self._render(html_tpl, context)
        else:
            # One shared layout turns the text into HTML, so wording lives in one place.
            layout = self._get(f"{Path(base).parent}/{LAYOUT}", required=False)
            page = {"subject": subject, "blocks": blocks(body), LANGUAGE: written_in}
            html = None if layout is None else self._render(layout, page)
        return RenderedMail(subject, body, html, written_in.content_language)

    def _split(self, rendered: str, name: str) -> tuple[str, str]:
        first, _, rest = rendered.partition("\n")
        if not first.startswith(_SUBJECT):
            raise TemplateError(f"{self.templates_dir / name}:1: first line must be 'Subject: …'")
        blank, _, body = rest.partition("\n")
        if blank.strip():
            raise TemplateError(
                f"{self.templates_dir / name}:2: the Subject line must be followed by a blank line"
            )
        subject = first[len(_SUBJECT) :].strip()
        if not subject:
            raise TemplateError(f"{self.templates_dir / name}:1: the subject is empty")
        return subject, _BLANK_RUN.sub("\n\n", body).rstrip()

    def template_names(self) -> list[str]:
        """Every template file's name, e.g. "customer/rma_issued.txt.j2"."""
        return sorted(self._env.list_templates(filter_func=lambda n: n.endswith(".j2")))

    def check(self) -> list[str]:
        """Every problem in the template directory (syntax, Subject line), for ``mailbot check``."""
        problems: list[str] = []
        names = self.template_names()
        for name in names:
            path = self.templates_dir / name
            try:
                self._get(name, required=True)
            except TemplateError as exc:
                problems.append(str(exc))
                continue
            if Path(name).name.startswith("_"):
                continue  # partials are included by others, they have no Subject
            if name.endswith(TEXT_SUFFIX):
                problems.extend(_check_subject(path))
            elif name.endswith(HTML_SUFFIX):
                twin = name.removesuffix(HTML_SUFFIX) + TEXT_SUFFIX
                if twin not in names:
                    problems.append(f"{path}: HTML template without {twin}")
        return problems


def _check_subject(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith(_SUBJECT):
        return [f"{path}:1: first line must be 'Subject: …'"]
    if len(lines) < 2 or lines[1].strip():
        return [f"{path}:2: the Subject line must be followed by a blank line"]
    return []
