"""`[metrics] listen`: a Prometheus endpoint (/metrics) and a health check (/healthz).

The totals come from the database at each scrape, not from counters in this process:
several workers share the inbox, and only the database has seen all of their work; a
restart loses nothing either. What only this process knows (the last inbox pass, the
backlog it is working through) is kept in `PassHealth`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from mailbot.core.model import TicketState
from mailbot.shell.handled import Handled
from mailbot.shell.inboxpass import RunSummary
from mailbot.store import Store

log = logging.getLogger("mailbot")


class PassHealth:
    """The inbox passes of this process: when the last one succeeded, how many failed
    since, and how many messages the current one still has to handle."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.last_good: datetime | None = None
        self.failures = 0
        self.backlog = 0
        self._lock = threading.Lock()

    def on_handled(self, handled: Handled, summary: RunSummary) -> None:
        """Per message (the service's progress callback): the backlog as it shrinks."""
        with self._lock:
            self.backlog = max(0, summary.pending - len(summary.handled) - summary.failed)

    def after_pass(self, summary: RunSummary | None) -> None:
        """After each pass: its summary, or None when it failed."""
        with self._lock:
            if summary is None:
                self.failures += 1
                return
            self.failures, self.last_good = 0, self.clock()
            self.backlog = summary.failed  # what failed waits for the next pass


class DeskCollector(Collector):
    """Every metric, read when Prometheus scrapes."""

    def __init__(self, store: Store, health: PassHealth) -> None:
        self.store, self.health = store, health

    def collect(self) -> Iterator[Any]:
        try:
            yield from self._from_database()
        finally:
            self.store.close()  # this server thread's connection
        yield GaugeMetricFamily(
            "mailbot_inbox_backlog",
            "Messages of the current inbox pass not handled yet (0 between passes)",
            value=self.health.backlog,
        )
        last = self.health.last_good
        yield GaugeMetricFamily(
            "mailbot_last_good_pass_timestamp_seconds",
            "When this process last finished an inbox pass without error (0: not yet)",
            value=last.timestamp() if last else 0,
        )
        yield GaugeMetricFamily(
            "mailbot_inbox_pass_failures",
            "Inbox passes that failed in a row (the inbox or database unreachable)",
            value=self.health.failures,
        )

    def _from_database(self) -> Iterator[Any]:
        totals = self.store.totals.read()
        handled = CounterMetricFamily(
            "mailbot_mail_handled", "Inbound mail handled, by outcome", labels=["outcome"]
        )
        for outcome, count in totals.handled.items():
            handled.add_metric([outcome], count)
        yield handled
        yield CounterMetricFamily(
            "mailbot_mail_failures", "Failed attempts at handling a mail", value=totals.failures
        )
        yield CounterMetricFamily(
            "mailbot_mail_quarantined", "Mail set aside after failing", value=totals.quarantined
        )
        by_status = totals.outbox
        sent, dead = by_status.get("sent", (0, 0))[0], by_status.get("dead", (0, 0))[0]
        yield CounterMetricFamily("mailbot_replies_sent", "Mails handed to the server", value=sent)
        yield CounterMetricFamily("mailbot_replies_dead", "Mails given up on", value=dead)
        yield GaugeMetricFamily(
            "mailbot_replies_retrying",
            "Mails that failed to send and wait for another try",
            value=by_status.get("pending", (0, 0))[1],
        )
        yield CounterMetricFamily(
            "mailbot_reminders_fired",
            "Reminders, expiries and escalations done",
            value=totals.reminders_fired,
        )
        tickets = GaugeMetricFamily("mailbot_tickets", "Tickets by state", labels=["state"])
        for state in TicketState:
            tickets.add_metric([state.value], totals.tickets.get(state.value, 0))
        yield tickets
        since = totals.oldest_review
        waited = (self.health.clock() - since).total_seconds() if since else 0
        yield GaugeMetricFamily(
            "mailbot_oldest_review_waiting_seconds",
            "How long the longest-waiting ticket under review has waited (0: none waits)",
            value=waited,
        )


def health(store: Store, passes: PassHealth) -> tuple[int, dict[str, Any]]:
    """/healthz: the HTTP status (200 or 503) and what it rests on."""
    try:
        store.totals.ping()
        database: dict[str, Any] = {"ok": True}
    except Exception as exc:  # any driver error means the database cannot be used
        database = {"ok": False, "error": str(exc).splitlines()[0] if str(exc) else repr(exc)}
    finally:
        store.close()
    last = passes.last_good
    inbox = {
        "ok": last is not None and passes.failures == 0,
        "last_good_pass": last.isoformat() if last else None,
        "failed_passes_in_a_row": passes.failures,
    }
    ok = bool(database["ok"] and inbox["ok"])
    return (200 if ok else 503), {"status": "ok" if ok else "failing", "inbox": inbox,
                                  "database": database}  # fmt: skip


def serve_metrics(listen: str, store: Store, passes: PassHealth) -> ThreadingHTTPServer:
    """Serve /metrics and /healthz on `listen` ("host:port") in a background thread."""
    registry = CollectorRegistry()
    registry.register(DeskCollector(store, passes))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                try:
                    status, body, kind = 200, generate_latest(registry), CONTENT_TYPE_LATEST
                except Exception as exc:  # the database is down: say so, do not crash
                    log.error("metrics: %s", exc)
                    status, body, kind = 503, f"{exc}\n".encode(), "text/plain"
            elif self.path == "/healthz":
                status, report = health(store, passes)
                body, kind = json.dumps(report).encode(), "application/json"
            else:
                status, body, kind = 404, b"/metrics or /healthz\n", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("metrics: " + format, *args)

    host, _, port = listen.rpartition(":")
    server = ThreadingHTTPServer((host.strip("[]"), int(port)), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="mailbot-metrics", daemon=True).start()
    log.info("metrics on http://%s/metrics, health on /healthz", listen)
    return server
