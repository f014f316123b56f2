"""The `mailbot` command: maps errors to clear messages and exit codes; no logic."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from mailbot.bootstrap import build_service, open_store, system_clock
from mailbot.config import Config, load_config
from mailbot.core.model import Order, Ticket
from mailbot.demo import build_demo
from mailbot.errors import MailbotError
from mailbot.evaluation.command import add_command as add_eval
from mailbot.handled import Handled
from mailbot.orders import read_orders
from mailbot.parse import parse_message
from mailbot.render import Renderer
from mailbot.rulefiles import load_rulebook
from mailbot.scheduler import run_once, serve
from mailbot.service import RunSummary, Service, decide_request, to_inbound
from mailbot.store import Store
from mailbot.templatecheck import catalog_problems, render_problems
from mailbot.workers import Crew

log = logging.getLogger("mailbot")
EXIT_USAGE = 2
# A backlog at least this long shows a progress counter on a terminal.
PROGRESS_FROM = 20


def _config(args: argparse.Namespace) -> Config:
    path = args.config or os.environ.get("MAILBOT_CONFIG") or "config.toml"
    return load_config(Path(path))


def _log_line(handled: Handled, summary: RunSummary) -> None:
    log.info(
        "key=%s message-id=%s ticket=%s decision=%s reasons=%s",
        handled.key,
        handled.message_id,
        handled.ticket,
        handled.outcome,
        "; ".join(handled.reasons),
    )


def _progress(handled: Handled, summary: RunSummary) -> None:
    """One log line per message; on a terminal, a long backlog also shows how far it is."""
    _log_line(handled, summary)
    if summary.pending >= PROGRESS_FROM and sys.stderr.isatty():
        done = len(summary.handled) + summary.failed
        print(f"\r[{done}/{summary.pending}] ", end="", file=sys.stderr, flush=True)


def _run_once(service: Service) -> RunSummary:
    summary = run_once(service, _progress)
    sent, reminders = summary.sent, summary.reminders
    assert sent is not None and reminders is not None
    log.info(
        "run done: %d handled, %d already done, %d failed, %d quarantined; reminders fired %d;"
        " replies sent %d, retrying %d, dead %d",
        len(summary.handled),
        summary.already_done,
        summary.failed,
        summary.quarantined,
        reminders.fired,
        sent.sent,
        sent.failed,
        sent.dead,
    )
    return summary


def cmd_run(args: argparse.Namespace) -> int:
    config = _config(args)
    workers = args.workers or config.workers
    crew = None
    if workers > 1:
        # The others first: their start-up overlaps ours.
        crew = Crew(_worker_command(args, config), workers - 1, restart=not args.once)
        crew.start()
    code = 0
    try:
        service = build_service(config)
        try:
            if args.once:
                summary = _run_once(service)
                failed = summary.failed + (summary.reminders.failed if summary.reminders else 0)
                code = 1 if failed else 0
            else:
                serve(service, config, _progress)
        finally:
            service.inbox.close()
    finally:
        if crew is not None:
            code = max(code, crew.wait() if args.once else crew.stop())
    return code


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _worker_command(args: argparse.Namespace, config: Config) -> list[str]:
    """The command line of one more worker: this run, as a single process."""
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config.path)]
    if args.verbose:
        command.append("--verbose")
    command += ["run", "--workers", "1"]
    return [*command, "--once"] if args.once else command


def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args)
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


def cmd_simulate(args: argparse.Namespace) -> int:
    config = _config(args)
    rules = load_rulebook(config.rules_dir)
    renderer = Renderer(config.templates_dir, config.desk_language)
    message = to_inbound(parse_message(Path(args.file).read_bytes()), rules)
    now = system_clock()
    find_order: Callable[[str], Order | None]
    sender = message.sender or ""
    if config.orders_csv is not None:  # a dry run writes nothing: orders come from the CSV
        orders = read_orders(config.orders_csv)
        find_order = {o.order_id: o for o in orders}.get
        mine = tuple(o for o in orders if o.customer_email == sender.lower())
    else:
        store = Store(config.database_url)
        find_order, mine = store.get_order, store.orders_of(sender)
    decision = decide_request(message, find_order, rules, now, sender_orders=mine)
    ticket = {
        "reference": "T-(new)",
        "rma": "RMA(drawn when stored)" if decision.issue_rma else None,
    }
    replies = [
        {
            "to": r.to,
            **vars(renderer.render(r.template, {**r.context, "ticket": ticket}, r.language)),
        }
        for r in decision.replies
    ]
    result = {
        "message_id": message.message_id,
        "sender": message.sender,
        "scenario": decision.scenario.value,
        "language": message.reading.language,
        "kind": message.reading.kind.value,
        "state": decision.state.value,
        "outcome": decision.outcome,
        "reasons": list(decision.reasons),
        "attachments": [
            {
                "filename": a.filename,
                "type": a.mime_type,
                "size": a.size,
                "width": a.width,
                "height": a.height,
            }
            for a in message.attachments
        ],
        "evidence": None
        if decision.evidence is None
        else [
            {"requirement": r.label, "needed": r.needed, "counted": r.counted}
            for r in decision.evidence.requirements
        ],
        "replies": replies,
    }
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"scenario: {result['scenario']} ({result['kind']}, language {result['language']})")
    print(f"decision: {decision.outcome} -> {decision.state.value}")
    for reason in decision.reasons:
        print(f"  - {reason}")
    for reply in replies:
        print(f"\n--- reply to {reply['to']}: {reply['subject']}\n{reply['text']}")
    return 0


def cmd_orders_import(args: argparse.Namespace) -> int:
    store = open_store(_config(args))
    count = store.import_orders(read_orders(Path(args.file)))
    print(f"{count} orders imported from {args.file}")
    return 0


def _ticket_line(t: Ticket) -> str:
    order, rma = t.order_id or "-", t.rma or "-"
    return f"{t.reference}  {t.state:<15} {t.scenario:<15} {order:<10} {rma:<13} {t.customer_email}"


def cmd_tickets(args: argparse.Namespace) -> int:
    store = open_store(_config(args))
    for ticket in store.tickets(state=args.state, limit=args.limit, offset=args.offset):
        print(_ticket_line(ticket))
    return 0


def cmd_ticket(args: argparse.Namespace) -> int:
    store = open_store(_config(args))
    ticket = store.find_ticket(args.id)
    if ticket is None or ticket.id is None:
        print(f"no ticket {args.id}", file=sys.stderr)
        return 1
    print(_ticket_line(ticket))
    for entry in store.timeline(ticket.id):
        print(f"  {entry.at:%Y-%m-%d %H:%M} {entry.actor}: {entry.event} {entry.outcome}")
        for reason in entry.reasons:
            print(f"      - {reason}")
    reminders = store.ticket_reminders(ticket.id)
    if reminders:
        print("reminders:")
    for r in reminders:
        done = f" ({r.done_at:%Y-%m-%d %H:%M})" if r.done_at else ""
        print(f"  {r.due_at:%Y-%m-%d %H:%M} {r.kind:<17} {r.status}{done}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    repo = Path(__file__).resolve().parents[1]
    config_path = build_demo(Path(args.dir).resolve(), datetime.now(UTC), repo)
    service = build_service(load_config(config_path))
    summary = _run_once(service)
    for handled in summary.handled:
        ticket = service.store.find_ticket(handled.ticket)
        rma = ticket.rma if ticket and ticket.rma else ""
        print(f"{handled.ticket}  {handled.outcome:<17} {rma:<13} {handled.reasons[-1]}")
    print(f"\nreplies written to {config_path.parent / 'outbox'}")
    return 1 if summary.failed else 0


def parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    p = argparse.ArgumentParser(prog="mailbot", description="A returns desk run by email.")
    p.add_argument("--config", help="config file (default: $MAILBOT_CONFIG, else ./config.toml)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="handle the inbox and send replies")
    run.add_argument("--once", action="store_true", help="handle what is pending, send, exit")
    run.add_argument(
        "--workers",
        type=_positive_int,
        help="processes sharing the inbox (default: [service] workers, else 1)",
    )
    run.set_defaults(func=cmd_run)
    sub.add_parser("check", help="validate config, rules and templates").set_defaults(
        func=cmd_check
    )
    sim = sub.add_parser("simulate", help="dry run of one .eml file; writes nothing")
    sim.add_argument("file")
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(func=cmd_simulate)
    add_eval(sub)
    orders = sub.add_parser("orders", help="order data").add_subparsers(
        dest="action", required=True
    )
    imp = orders.add_parser("import", help="load orders from a CSV file")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_orders_import)
    tickets = sub.add_parser("tickets", help="list tickets")
    tickets.add_argument("--state")
    tickets.add_argument("--limit", type=int, default=100)
    tickets.add_argument("--offset", type=int, default=0)
    tickets.set_defaults(func=cmd_tickets)
    ticket = sub.add_parser("ticket", help="one ticket's timeline")
    ticket.add_argument("id", help="T-000123, 123 or an RMA number")
    ticket.set_defaults(func=cmd_ticket)
    demo = sub.add_parser("demo", help="build the bundled demo and run the bot over it")
    demo.add_argument("--dir", default="build/demo")
    demo.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mailbot` console script."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args))
    except MailbotError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
