"""The command-line grammar: every command and argument with its help. `--config`,
`--verbose` and `--log-format` may stand before or after the command."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from mailbot import __version__
from mailbot.core.model import TicketState

Command = Callable[[argparse.Namespace], int]


def _at_least(low: int) -> Callable[[str], int]:
    """An argument type: a whole number, `low` or more."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more, not {value}")
        return value

    return parse


def _common(suppress: bool) -> argparse.ArgumentParser:
    """The options every command takes. After the command they default to SUPPRESS, so
    they do not overwrite the same option given before it."""
    common = argparse.ArgumentParser(add_help=False)

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    common.add_argument(
        "--config",
        metavar="FILE",
        default=default(None),
        help="config file (default: $MAILBOT_CONFIG, else ./config.toml)",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="debug logging (mailbot's own; libraries stay at INFO)",
    )
    common.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=default("text"),
        help="log lines as text (default) or one JSON object each, for log shippers",
    )
    return common


def build_parser(commands: Mapping[str, Command]) -> argparse.ArgumentParser:
    """The `mailbot` parser; `commands` maps each command's name to its function."""
    p = argparse.ArgumentParser(
        prog="mailbot", description="A returns desk run by email.", parents=[_common(False)]
    )
    p.add_argument("--version", action="version", version=f"mailbot {__version__}")
    after = _common(True)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text, description=help_text, parents=[after])
        parser.set_defaults(func=commands[name])
        return parser

    run = command("run", "handle the inbox and send replies, until stopped (SIGTERM)")
    run.add_argument("--once", action="store_true", help="handle what is pending, send, exit")
    run.add_argument(
        "--workers",
        type=_at_least(1),
        help="processes sharing the inbox (default: [service] workers, else 1)",
    )
    run.add_argument(
        "--no-metrics",
        action="store_true",
        help="serve no [metrics] endpoint (the extra workers leave it to the first)",
    )
    command("check", "validate config, rules, templates and the orders CSV; list every problem")
    sim = command("simulate", "dry run of one .eml file: the decision and replies; writes nothing")
    sim.add_argument("file", help="a mail saved as .eml (RFC 5322)")
    sim.add_argument("--json", action="store_true", help="print the result as JSON")
    ev = command("eval", "a folder of labelled mails through the bot; writes and sends nothing")
    ev.add_argument("dir", help="folder with labels.csv and the .eml files (eval/README.md)")
    ev.add_argument("--rules", default="rules", help="rules folder (default: ./rules)")
    ev.add_argument(
        "--templates", default="templates", help="templates folder (default: ./templates)"
    )
    ev.add_argument(
        "--update-baseline",
        action="store_true",
        help="accept the mails right now as the folder's baseline.txt",
    )
    orders = sub.add_parser("orders", help="order data", description="order data")
    actions = orders.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import",
        help="load orders from a CSV file (rows with the same order id are replaced)",
        parents=[after],
    )
    imp.add_argument("file", help="CSV file with the columns of config's [orders] csv")
    imp.set_defaults(func=commands["orders import"])
    db = sub.add_parser("db", help="the database", description="the database")
    db_actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = db_actions.add_parser(
        "upgrade", help="bring the database's schema to this version's", parents=[after]
    )
    upgrade.set_defaults(func=commands["db upgrade"])
    tickets = command("tickets", "list tickets, newest first")
    tickets.add_argument(
        "--state", choices=[s.value for s in TicketState], help="only tickets in this state"
    )
    tickets.add_argument("--customer", metavar="ADDRESS", help="only this customer's tickets")
    tickets.add_argument("--order", metavar="ID", help="only tickets about this order")
    tickets.add_argument("--limit", type=_at_least(1), default=100, help="at most this many")
    tickets.add_argument("--offset", type=_at_least(0), default=0, help="skip this many first")
    tickets.add_argument("--json", action="store_true", help="print them as JSON")
    ticket = command("ticket", "one ticket: its timeline, the mails sent and its reminders")
    ticket.add_argument("id", help="T-000123, 123 or an RMA number")
    ticket.add_argument("--json", action="store_true", help="print it as JSON")
    demo = command("demo", "build the bundled demo and run the bot over it")
    demo.add_argument("--dir", default="build/demo", help="where to build it")
    return p
