"""The `mailbot` command: maps errors to clear messages and exit codes; no logic."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.admin.grammar import Command, build_parser
from mailbot.admin.logsetup import setup_logging
from mailbot.admin.progress import RunProgress
from mailbot.admin.runtime import Reloader, startup_line
from mailbot.config import Config, load_config
from mailbot.errors import ConfigError, InvalidConfig, MailbotError, RulebookError
from mailbot.shell.bootstrap import build_service, open_store, system_clock
from mailbot.shell.handled import Handled
from mailbot.shell.inboxpass import RunSummary
from mailbot.shell.scheduler import run_once, serve
from mailbot.shell.service import Service

if TYPE_CHECKING:
    from mailbot.shell.workers import Crew

# What only the other commands need is imported in them: every `run --once` (a cron
# job over a mostly empty inbox) pays for each import, and the check machinery, the
# evaluation, the demo and the metrics server cost it ~40 ms of CPU (issue 17).

log = logging.getLogger("mailbot")
EXIT_USAGE = 2
_counter = RunProgress()


def _config_path(args: argparse.Namespace) -> Path:
    return Path(args.config or os.environ.get("MAILBOT_CONFIG") or "config.toml")


def _config(args: argparse.Namespace) -> Config:
    return load_config(_config_path(args))


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
    _counter(handled, summary)


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
    crew: Crew | None = None
    if workers > 1:
        from mailbot.shell.workers import Crew

        # The others first: their start-up overlaps ours.
        crew = Crew(_worker_command(args, config), workers - 1, restart=not args.once)
        crew.start()
    code = 0
    try:
        service = build_service(config)
        log.info("%s", startup_line(config, service, workers))
        try:
            if args.once:
                # A worker starts with SIGHUP blocked (workers.Crew); a single run has
                # no reload, so SIGHUP acts as it always does.
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})
                summary = _run_once(service)
                failed = summary.failed + (summary.reminders.failed if summary.reminders else 0)
                code = 1 if failed else 0
            else:
                reloader = Reloader(service, config)

                def reload(signum: int, frame: object) -> None:
                    reloader.request()
                    for child in crew.children if crew is not None else ():
                        child.send_signal(signal.SIGHUP)  # each worker reloads its own

                signal.signal(signal.SIGHUP, reload)
                # A worker starts with SIGHUP blocked (workers.Crew): one sent during its
                # start-up has waited, and is handled now.
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})
                _serve(service, config, args, reloader)
        finally:
            service.inbox.close()
    finally:
        if crew is not None:
            code = max(code, crew.wait() if args.once else crew.stop())
    return code


def _serve(service: Service, config: Config, args: argparse.Namespace, reloader: Reloader) -> None:
    """`mailbot run` until stopped, with /metrics and /healthz when configured."""
    if config.metrics_listen is None or args.no_metrics:
        serve(service, config, _progress, before_pass=reloader.apply)
        return
    from mailbot.metrics import PassHealth, serve_metrics

    passes = PassHealth(system_clock)
    try:
        server = serve_metrics(config.metrics_listen, service.store, passes)
    except OSError as exc:
        raise ConfigError(str(config.path), "metrics.listen", f"cannot listen: {exc}") from None

    def progress(handled: Handled, summary: RunSummary) -> None:
        _progress(handled, summary)
        passes.on_handled(handled, summary)

    try:
        serve(service, config, progress, before_pass=reloader.apply, after_pass=passes.after_pass)
    finally:
        server.shutdown()


def _worker_command(args: argparse.Namespace, config: Config) -> list[str]:
    """The command line of one more worker: this run, as a single process."""
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config.path)]
    if args.verbose:
        command.append("--verbose")
    command += ["--log-format", args.log_format]
    command += ["run", "--workers", "1", "--no-metrics"]
    return [*command, "--once"] if args.once else command


def cmd_check(args: argparse.Namespace) -> int:
    from mailbot.admin.checkcmd import check

    return check(_config_path(args))


def cmd_simulate(args: argparse.Namespace) -> int:
    import json

    from mailbot.admin.mailfile import read_mail_file
    from mailbot.shell.simulate import report, simulate

    config = _config(args)
    path = Path(args.file)
    read_mail_file(path)  # a missing file, a folder or no mail at all: one clear line
    result = report(simulate(config, path))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"scenario: {result['scenario']} ({result['kind']}, language {result['language']})")
    print(f"decision: {result['outcome']} -> {result['state'] or '-'}")
    for reason in result["reasons"]:
        print(f"  - {reason}")
    for reply in result["replies"]:
        print(f"\n--- reply to {reply['to']}: {reply['subject']}\n{reply['text']}")
    return 0


def cmd_orders_import(args: argparse.Namespace) -> int:
    from mailbot.admin.progress import Progress
    from mailbot.store.orderscsv import read_orders

    store = open_store(_config(args))
    orders = read_orders(Path(args.file))
    progress = Progress("orders", len(orders))
    try:
        count = store.orders.import_orders(progress.each(orders))
    finally:
        progress.close()
    print(f"{count} orders imported from {args.file}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from mailbot.store import Store
    from mailbot.store.migrations import schema_version

    config = _config(args)
    store = Store(config.database_url)
    before = schema_version(store.db.engine)
    store.create_tables()  # takes the schema to the current version
    after = schema_version(store.db.engine)
    if before == after:
        print(f"database schema is at version {after}, the current one")
    else:
        print(f"database schema upgraded from version {before or 0} to {after}")
    return 0


def cmd_tickets(args: argparse.Namespace) -> int:
    from mailbot.admin.tickets import desk_zone, show_tickets

    config = _config(args)
    store = open_store(config)
    found = store.tickets.listed(
        state=args.state,
        limit=args.limit,
        offset=args.offset,
        customer=args.customer,
        order=args.order,
    )
    show_tickets(store, desk_zone(config), found, args.json)
    return 0


def cmd_ticket(args: argparse.Namespace) -> int:
    from mailbot.admin.tickets import desk_zone, show_ticket

    config = _config(args)
    store = open_store(config)
    ticket = store.tickets.find(args.id)
    if ticket is None or ticket.id is None:
        print(f"mailbot: no ticket {args.id}", file=sys.stderr)
        return 1
    show_ticket(store, desk_zone(config), ticket, args.json)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from mailbot.demo import build_demo

    repo = Path(__file__).resolve().parents[1]
    config_path = build_demo(Path(args.dir).resolve(), datetime.now(UTC), repo)
    service = build_service(load_config(config_path))
    summary = _run_once(service)
    for handled in summary.handled:
        ticket = service.store.tickets.find(handled.ticket)
        rma = ticket.rma if ticket and ticket.rma else ""
        print(f"{handled.ticket}  {handled.outcome:<17} {rma:<13} {handled.reasons[-1]}")
    print(f"\nreplies written to {config_path.parent / 'outbox'}")
    return 1 if summary.failed else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from mailbot.evaluation.command import cmd_eval as evaluate

    return evaluate(args)


COMMANDS: dict[str, Command] = {
    "run": cmd_run,
    "check": cmd_check,
    "simulate": cmd_simulate,
    "eval": cmd_eval,
    "orders import": cmd_orders_import,
    "db upgrade": cmd_db_upgrade,
    "tickets": cmd_tickets,
    "ticket": cmd_ticket,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mailbot` console script."""
    args = build_parser(COMMANDS).parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    try:
        return int(args.func(args))
    except (InvalidConfig, RulebookError) as exc:
        for problem in exc.problems:  # `file:line: key: problem`, as editors read them
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except MailbotError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `mailbot tickets | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
