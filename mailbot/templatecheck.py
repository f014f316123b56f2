"""`mailbot check` for the templates in every language: each catalog has every message
the templates and rules use, with the same placeholders, and every template renders
in every shipped language with its sample context (templates/samples.toml)."""

from __future__ import annotations

import gettext
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from mailbot.core.model import Money
from mailbot.errors import TemplateError
from mailbot.outbound.catalogs import catalog_path, placeholders
from mailbot.outbound.render import TEXT_SUFFIX, Renderer
from mailbot.rulewords import Message, rule_messages

SAMPLES = "samples.toml"
# How pybabel reads the templates (babel.cfg says the same).
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def _value(value: Any) -> Any:
    """TOML sample values as the core gives them: { amount, currency } is Money,
    false a missing value (None), tables and lists throughout."""
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            return Money(Decimal(str(value["amount"])), str(value["currency"]))
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v) for v in value]
    if value is False:
        return None
    return value


def load_samples(templates_dir: Path) -> dict[str, list[dict[str, object]]]:
    """Template name ("customer/rma_issued") -> its sample contexts."""
    path = templates_dir / SAMPLES
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path}: {exc}") from exc
    common = _value(data.pop("common", {}))
    samples: dict[str, list[dict[str, object]]] = {}
    for audience, templates in data.items():
        for name, sample in templates.items():
            listed = sample if isinstance(sample, list) else [sample]
            samples[f"{audience}/{name}"] = [{**common, **_value(s)} for s in listed]
    return samples


def template_messages(templates_dir: Path) -> Iterator[tuple[str, int, Message]]:
    """(file, line, message) of every gettext message in the templates."""
    found = extract_from_dir(
        str(templates_dir),
        method_map=[("**.j2", "jinja2")],
        options_map={"**.j2": JINJA_OPTIONS},
    )
    for filename, line, message, _comments, _context in found:
        said = message if isinstance(message, str) else (message[0], message[1])
        yield str(templates_dir / filename), line, said


def _missing(catalog: Catalog, message: Message) -> bool:
    entry = catalog.get(message[0] if isinstance(message, tuple) else message)
    if entry is None or entry.fuzzy:
        return True
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    return not all(strings)


# The placeholder a plural message counts by (`{% pluralize count %}`, rule wordings).
_COUNTS = frozenset({"count", "num"})


def _singular_forms(catalog: Catalog) -> set[int]:
    """The plural forms the catalog uses for no number but 0 and 1: only there may a
    translation leave the number out ("the attached file"); Russian's first form also
    serves 21, 31…, which need it."""
    which = gettext.c2py(catalog.plural_expr)
    used: dict[int, set[int]] = {}
    for n in range(1000):
        used.setdefault(which(n), set()).add(n)
    return {form for form, numbers in used.items() if numbers <= {0, 1}}


def _placeholder_problems(catalog: Catalog, po: Path) -> list[str]:
    problems: list[str] = []
    singular = _singular_forms(catalog)
    for entry in catalog:
        if not entry.id or entry.fuzzy:
            continue
        ids = [str(i) for i in entry.id] if isinstance(entry.id, tuple) else [str(entry.id)]
        wanted = set().union(*(placeholders(i) for i in ids))
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for form, text in enumerate(str(s) for s in strings):
            if not text:
                continue
            got = placeholders(text)
            may_drop = _COUNTS if len(ids) > 1 and form in singular else set()
            where = f"{po}:{entry.lineno}: the translation of {ids[0]!r}"
            if got - wanted:
                names = ", ".join(f"%({n})s" for n in sorted(got - wanted))
                problems.append(f"{where} has {names}, which the message does not")
            if wanted - got - may_drop:
                names = ", ".join(f"%({n})s" for n in sorted(wanted - got - may_drop))
                problems.append(f"{where} drops {names}")
    return problems


def catalog_problems(renderer: Renderer, rules_dir: Path) -> list[str]:
    """Messages a catalog lacks, and translations whose placeholders differ."""
    used = [*template_messages(renderer.templates_dir), *rule_messages(rules_dir)]
    problems: list[str] = []
    for tag, catalog in renderer.languages.catalogs.items():
        po = catalog_path(renderer.templates_dir, tag)
        seen: set[str] = set()
        for where, line, message in used:
            key = message[0] if isinstance(message, tuple) else message
            if key in seen:
                continue
            seen.add(key)
            if _missing(catalog, message):
                problems.append(f"{po}: no translation of {key!r} (used in {where}:{line})")
        problems.extend(_placeholder_problems(catalog, po))
    return problems


def render_problems(renderer: Renderer) -> list[str]:
    """Templates without a sample, and any that fails to render in a shipped language."""
    try:
        samples = load_samples(renderer.templates_dir)
    except TemplateError as exc:
        return [str(exc)]
    problems: list[str] = []
    for name in renderer.template_names():
        if Path(name).name.startswith("_") or not name.endswith(TEXT_SUFFIX):
            continue
        base = name.removesuffix(TEXT_SUFFIX)
        if base not in samples:
            problems.append(
                f"{renderer.templates_dir / name}: no sample context in"
                f" {renderer.templates_dir / SAMPLES} [{base.replace('/', '.')}]"
            )
            continue
        for language in renderer.languages.languages.values():
            for sample in samples[base]:
                try:
                    renderer.render_in(base, sample, language)
                except TemplateError as exc:
                    problems.append(f"{exc} (in {language.tag})")
                    break
    return problems
