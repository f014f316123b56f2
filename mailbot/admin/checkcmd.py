"""`mailbot check`: config, rules, templates, catalogs and the orders CSV, every problem
listed; and the warnings about how agents prove their mail."""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailbot.config import Config, load_config
from mailbot.errors import InvalidConfig, MailbotError
from mailbot.outbound.render import Renderer
from mailbot.rulefiles import load_rulebook
from mailbot.store.orderscsv import read_orders
from mailbot.templatecheck import catalog_problems, render_problems


@dataclass(frozen=True)
class _Files:
    """What check reads besides the config."""

    rules: Path
    templates: Path
    language: str
    orders: Path | None


def _files_of(path: Path, data: dict[str, Any]) -> _Files:
    """The rule, template and orders paths of a config that does not load, read as
    leniently as can be, so that `check` still looks at them."""

    def table(name: str) -> dict[str, Any]:
        found = data.get(name)
        return found if isinstance(found, dict) else {}

    def where(value: Any, default: str | None) -> Path | None:
        text = value if isinstance(value, str) else default
        return None if text is None else (path.parent / Path(text).expanduser()).resolve()

    paths, desk = table("paths"), table("desk")
    rules = where(paths.get("rules"), "rules")
    templates = where(paths.get("templates"), "templates")
    assert rules is not None and templates is not None
    language = desk.get("language")
    orders = where(table("orders").get("csv"), None)
    return _Files(rules, templates, language if isinstance(language, str) else "en", orders)


def check(path: Path) -> int:
    """Print every problem (stderr) or that all is valid (stdout); the exit code: 2 when
    the config itself is invalid, 1 for other problems."""
    problems: list[str] = []
    config: Config | None = None
    try:
        config = load_config(path)
    except InvalidConfig as exc:
        problems.extend(str(p) for p in exc.problems)
        files = _files_of(path, tomllib.loads(path.read_text(encoding="utf-8")))
    else:
        files = _Files(
            config.rules_dir, config.templates_dir, config.desk_language, config.orders_csv
        )
    problems.extend(_other_problems(files))
    for problem in problems:
        print(problem, file=sys.stderr)
    for warning in _proof_warnings(config) if config else []:
        # Not errors: the bot runs, but some agents' commands are refused.
        print(f"{path}: warning: {warning}", file=sys.stderr)
    if not problems:
        print(f"{path}: config, rules and templates are valid")
    return (2 if config is None else 1) if problems else 0


def _other_problems(files: _Files) -> list[str]:
    problems: list[str] = []
    try:
        load_rulebook(files.rules)
    except MailbotError as exc:
        problems.extend(str(exc).splitlines())
    try:
        renderer = Renderer(files.templates, files.language)
    except MailbotError as exc:
        problems.append(str(exc))
    else:
        problems.extend(renderer.check())
        problems.extend(catalog_problems(renderer, files.rules))
        problems.extend(render_problems(renderer))
    if files.orders is not None:
        try:
            read_orders(files.orders)
        except MailbotError as exc:
            problems.extend(str(exc).splitlines())
    return problems


def _proof_warnings(config: Config) -> list[str]:
    """What is wrong with the way agents prove their mail (README, "Security")."""
    warnings = []
    declared = config.mta_strips_authentication_results
    if config.trusted_authserv_id and not declared:
        warnings.append(
            "[agents] trusted_authserv_id is set, but Authentication-Results headers are"
            " ignored until you declare mta_strips_authentication_results = true: anyone can"
            " write such a header unless your mail server removes those that arrive with its"
            " id (RFC 8601 section 5; see README, Security)"
        )
    if declared and not config.trusted_authserv_id:
        warnings.append(
            "[agents] mta_strips_authentication_results is true, but trusted_authserv_id"
            " names no server"
        )
    by_mta = declared and config.trusted_authserv_id
    if config.agents and not (config.agent_secret or config.verify_dkim or by_mta):
        warnings.append(
            "[agents] has no secret, no verify_dkim and no trusted mail server, so no agent"
            " command can be proven and all are refused"
        )
    return warnings
