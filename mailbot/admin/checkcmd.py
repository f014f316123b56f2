"""`mailbot check`: config, rules, templates, catalogs and the orders CSV, every problem
listed; and the warnings about how agents prove their mail."""

from __future__ import annotations

import sys

from mailbot.config import Config
from mailbot.errors import MailbotError
from mailbot.orders import read_orders
from mailbot.render import Renderer
from mailbot.rulefiles import load_rulebook
from mailbot.templatecheck import catalog_problems, render_problems


def check(config: Config) -> int:
    """Print every problem (stderr) or that all is valid (stdout); the exit code."""
    problems: list[str] = []
    try:
        load_rulebook(config.rules_dir)
    except MailbotError as exc:
        problems.extend(str(exc).splitlines())
    try:
        renderer = Renderer(config.templates_dir, config.desk_language)
    except MailbotError as exc:
        problems.append(str(exc))
    else:
        problems.extend(renderer.check())
        problems.extend(catalog_problems(renderer, config.rules_dir))
        problems.extend(render_problems(renderer))
    if config.orders_csv is not None:
        try:
            read_orders(config.orders_csv)
        except MailbotError as exc:
            problems.append(str(exc))
    for problem in problems:
        print(problem, file=sys.stderr)
    for warning in _proof_warnings(config):
        # Not errors: the bot runs, but some agents' commands are refused.
        print(f"{config.path}: warning: {warning}", file=sys.stderr)
    if not problems:
        print(f"{config.path}: config, rules and templates are valid")
    return 1 if problems else 0


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
