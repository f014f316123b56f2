"""`mailbot run` as a long-running service.

The main thread watches the inbox (IMAP IDLE where the server has it, polling
otherwise) and answers new mail at once; an APScheduler background scheduler in the
same process sweeps for due reminders and retries unsent replies. The jobs keep no
state of their own: reminders are rows in the database, so a restart loses none,
and every job reads the clock when it runs.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailbot.config import Config
from mailbot.errors import MailbotError
from mailbot.outbound.delivery import SendReport
from mailbot.shell.inboxpass import RunSummary
from mailbot.shell.service import Service

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("mailbot")
RETRY_CAP_SECONDS = 300
# The sending thread of an inbox pass sends what is due, then waits this long: replies
# gather meanwhile and go out a batch per claim, not one claim (a transaction) each.
SEND_ALONGSIDE_WAIT = 0.25


def run_once(service: Service, on_handled: Callable[..., None] | None = None) -> RunSummary:
    """One full pass: handle pending mail, fire due reminders, send due replies."""
    service.reload_rules()
    summary = inbox_pass(service, on_handled)
    summary.reminders = service.run_reminders()
    summary.sent = (summary.sent or SendReport()) + service.send_outbox()
    return summary


def inbox_pass(service: Service, on_handled: Callable[..., None] | None = None) -> RunSummary:
    """Handle pending mail while a second thread sends the replies already recorded.

    Each reply is committed with its message, so it may leave at once; the SMTP round
    trips then overlap the next messages' IMAP reads and decisions instead of all
    coming after them. The caller sends what is left (``summary.sent`` counts the rest).
    """
    if not service.store.shared_between_threads:
        return service.process_inbox(on_handled)
    sending = _SendAlongside(service)
    sending.start()
    try:
        summary = service.process_inbox(on_handled)
    finally:
        sending.finish()
    summary.sent = sending.report
    return summary


class _SendAlongside(threading.Thread):
    """Sends due replies over and over until ``finish()`` (see inbox_pass)."""

    def __init__(self, service: Service) -> None:
        super().__init__(name="mailbot-send", daemon=True)
        self.service = service
        self.report = SendReport()
        self._finished = threading.Event()

    def run(self) -> None:
        try:
            while not self._finished.is_set():
                report = self.service.send_outbox()
                self.report += report
                self._finished.wait(SEND_ALONGSIDE_WAIT)
        except Exception:
            # The caller's own send after the pass tries again and reports the error.
            log.exception("sending during the inbox pass failed; sending after it instead")
        finally:
            self.service.store.close()  # this thread's database connection

    def finish(self) -> None:
        """Stop after the current send and wait for it."""
        self._finished.set()
        self.join()


def _guarded(name: str, job: Callable[[], object]) -> Callable[[], bool]:
    """A job that logs its failure (returning False) and lets the next run try again."""

    def run() -> bool:
        try:
            job()
        except MailbotError as exc:
            log.error("%s: %s; trying again", name, exc)
            return False
        except Exception:
            # The database or mail server restarting must not end the service.
            log.exception("%s failed; trying again", name)
            return False
        return True

    return run


def retry_delay(failures: int) -> float:
    """Seconds to wait after `failures` failed passes in a row: 2, 4, 8 … capped at 5 min."""
    return float(min(RETRY_CAP_SECONDS, 2 ** min(failures, 16)))


def _sweep(service: Service) -> None:
    report = service.run_reminders()
    if report.fired or report.failed:
        log.info(
            "reminders: %d fired, %d stale, %d failed", report.fired, report.stale, report.failed
        )
    service.send_outbox()


def start_scheduler(service: Service, config: Config) -> BackgroundScheduler:
    """Start the reminder and outbox jobs in background threads (first sweep at once)."""
    # Imported here: `run --once` (cron, each worker) need not pay ~50 ms for it.
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    common = {"max_instances": 1, "coalesce": True}
    scheduler.add_job(
        _guarded("reminder sweep", lambda: _sweep(service)),
        "interval",
        seconds=config.reminder_interval,
        next_run_time=datetime.now(UTC),
        id="reminders",
        **common,
    )
    scheduler.add_job(
        _guarded("outbox", service.send_outbox),
        "interval",
        seconds=config.outbox_interval,
        id="outbox",
        **common,
    )
    scheduler.start()
    return scheduler


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve(
    service: Service,
    config: Config,
    on_handled: Callable[..., None] | None = None,
    before_pass: Callable[[], None] | None = None,
    after_pass: Callable[[RunSummary | None], None] | None = None,
) -> None:
    """Run until stopped (Ctrl-C / SIGTERM): answer mail as it arrives, jobs alongside.
    `before_pass` runs before each inbox pass (SIGHUP's reload), `after_pass` after each
    with its summary, or None when it failed (metrics, health)."""
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (systemd, docker stop) ends the loop like Ctrl-C, so running jobs finish.
        signal.signal(signal.SIGTERM, _stop)
    scheduler = start_scheduler(service, config)
    done: list[RunSummary] = []

    def full_pass() -> None:
        if before_pass is not None:
            before_pass()
        service.reload_rules()
        summary = inbox_pass(service, on_handled)
        summary.sent = (summary.sent or SendReport()) + service.send_outbox()
        done.append(summary)

    one_pass = _guarded("inbox", full_pass)
    failures = 0
    try:
        while True:
            ok = one_pass()
            if after_pass is not None:
                after_pass(done.pop() if ok and done else None)
            if ok:
                failures = 0
                # IMAP IDLE (or a short poll) wakes us as soon as mail arrives.
                service.inbox.wait_for_mail(config.poll_interval)
                continue
            # The server or database is down: back off instead of hammering it.
            failures += 1
            delay = retry_delay(failures)
            log.warning(
                "inbox pass failed %d time(s) in a row; next try in %.0f s", failures, delay
            )
            time.sleep(delay)
    finally:
        log.info("stopping: waiting for running jobs")
        scheduler.shutdown(wait=True)
