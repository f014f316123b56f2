"""The benchmark of issue 6: mailbot against the raw whole-message download.

From the repository root:

    .venv/bin/python bench/run.py --messages 1000             # the full benchmark
    .venv/bin/python bench/run.py --messages 50 --small       # a quick run (< 1 min)
    .venv/bin/python bench/run.py --messages 1000 --markdown  # also update bench/README.md

Starts a private Dovecot and SMTP server, uses PostgreSQL at 127.0.0.1:5432 (a database
created for the run and dropped after it), and cleans everything up, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    # bench.* and tests.integration.dovecot are imported from the repository itself.
    sys.path.insert(0, str(REPO))

from bench import peer  # noqa: E402
from bench.corpus import (  # noqa: E402
    CACHE,
    MIB,
    VARIANTS,
    Request,
    big_request,
    corpus,
    describe,
    plan,
    small_requests,
)
from bench.harness import (  # noqa: E402
    PASSWORD_ENV,
    Child,
    CpuMeter,
    PgDatabase,
    check_replies,
    connect,
    fill,
    folder_count,
    imap_bytes_since,
    imports_from,
    log_offset,
    machine,
    mailbot_command,
    move_back,
    prepare_database,
    snapshot_code,
    stop_all,
    write_config,
    write_orders,
)
from bench.link import Endpoint, PacedLink  # noqa: E402
from bench.smtp import SmtpSink  # noqa: E402
from tests.integration.dovecot import DovecotServer  # noqa: E402

README = REPO / "bench" / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
PHASES = ("floor", "sqlite", "workers", "peer", "pg", "link", "big", "idle")
FETCH_BATCH = 25  # messages per FETCH BODY.PEEK[] of the floor (mailbot reads 25 too)
# Replies one `mailbot run --once` sent up to commit 4dffc29 (send_due's batch), which
# bounds how many rounds a pass may need.
SEND_LIMIT = 50
T = TypeVar("T")


@dataclass
class Row:
    """One line of the results table."""

    name: str
    messages: int | None = None
    seconds: float | None = None
    imap_bytes: int | None = None
    peak_kib: int | None = None
    notes: str = ""
    others: float | None = None  # cores other processes used meanwhile (CpuMeter)

    @property
    def rate(self) -> float | None:
        if not self.messages or not self.seconds:
            return None
        return self.messages / self.seconds


@dataclass
class Target:
    """One target of issue 6 and what this run measured for it."""

    target: str
    measured: str
    met: bool | None  # None: shown for comparison, not a target of the issue


@dataclass
class Bench:
    """What every measurement needs."""

    args: argparse.Namespace
    work: Path
    dovecot: DovecotServer
    smtp: SmtpSink
    env: dict[str, str]
    code: Path  # the copy of mailbot/, rules/, templates/ every mailbot process runs
    pg: PgDatabase | None = None
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Pass:
    """What a series of `mailbot run --once` rounds did over one inbox."""

    rows: list[Row]
    seconds_all: float | None
    first_seconds: float
    first_handled: int
    first_replies: int
    rounds: int
    duplicates: int
    missing: int
    peak_kib: int
    imap_bytes: int
    procs: list[Child]


def log(text: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)


def mib(size: float | None) -> str:
    return "-" if size is None else f"{size / MIB:,.1f}"


# -- the measurements ---------------------------------------------------------------


def raw_floor(
    b: Bench, user: str, trace: bool, via: PacedLink | None = None, label: str = ""
) -> Row:
    """Download every message whole, FETCH BODY.PEEK[] in batches, one connection.

    ``trace``: imapclient as shipped, which sets imaplib's debug level to 5, so imaplib
    formats a ``%r`` of every literal (the whole gigabyte) for a logger that then drops
    it. Without: that level set to 0, as mailbot does (``quiet_protocol_trace`` in
    ``inbound/imap/connection.py``;
    done here by hand, so the floor does not depend on the code measured).
    """
    offset = log_offset(b.dovecot)
    client = connect(via.endpoint if via else b.dovecot, user)
    if not trace:
        client._imap.debug = 0
    moved = 0
    try:
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search(["ALL"]))
        started = time.monotonic()
        for at in range(0, len(uids), FETCH_BATCH):
            data = client.fetch(uids[at : at + FETCH_BATCH], ["BODY.PEEK[]"])
            moved += sum(len(item[b"BODY[]"]) for item in data.values())
        seconds = time.monotonic() - started
    finally:
        client.logout()
    out, _ = imap_bytes_since(b.dovecot, user, offset)
    how = label or (
        "imapclient as shipped (imaplib trace formatted)" if trace else "imaplib trace off"
    )
    return Row(
        f"raw floor: FETCH BODY.PEEK[] (whole messages), {how}",
        len(uids),
        seconds,
        out,
        None,
        f"{mib(moved)} MiB of message bytes in batches of {FETCH_BATCH}, one connection",
    )


def phase_config(
    b: Bench,
    slug: str,
    user: str,
    db_url: str,
    requests: Sequence[Request],
    poll_interval: float | None = None,
    via: PacedLink | None = None,
) -> Path:
    """The config of one measurement, its tables created and its requests' orders imported."""
    config = write_config(
        b.work / f"{slug}.toml",
        imap=via.endpoint if via else b.dovecot,
        user=user,
        smtp_port=b.smtp.port,
        db_url=db_url,
        code=b.code,
        poll_interval=poll_interval,
    )
    orders = write_orders(b.work / f"{slug}-orders.csv", datetime.now(UTC), requests)
    if prepare_database(config, orders, b.env, b.work / f"{slug}-prepare.log", b.code) != 0:
        raise RuntimeError(f"{slug}: could not prepare the database (see {slug}-prepare.log)")
    return config


def mailbot_pass(
    b: Bench,
    label: str,
    slug: str,
    user: str,
    db_url: str,
    procs: int,
    requests: list[Request],
    profile: Path | None = None,
    workers: int = 1,
    via: PacedLink | None = None,
) -> Pass:
    """`mailbot run --once` (``procs`` at a time, each with ``workers`` processes) until
    every request has its reply.

    A run that leaves replies unsent (mailbot up to 4dffc29 sent SEND_LIMIT per run) is
    followed by more runs until every request is answered or a run sends nothing: the
    harness starts them one round after the other, as a cron job would.
    """
    config = phase_config(b, slug, user, db_url, requests, via=via)
    b.smtp.recorder.reset()
    offset = log_offset(b.dovecot)
    started = time.monotonic()
    rounds: list[list[Child]] = []
    max_rounds = len(requests) // SEND_LIMIT + 5
    while len(rounds) < max_rounds:
        before = b.smtp.recorder.count()
        children = [
            Child(
                mailbot_command(
                    config, once=True, profile=profile if not rounds else None, workers=workers
                ),
                b.work / f"{slug}-round{len(rounds) + 1}-proc{k + 1}.log",
                b.env,
                b.code,
            )
            for k in range(procs)
        ]
        rounds.append(children)
        for child in children:
            if not child.wait(b.args.timeout):
                raise TimeoutError(
                    f"{label}: mailbot run --once still running after "
                    f"{b.args.timeout} s\n{child.tail()}"
                )
        check = check_replies(requests, b.smtp.recorder.replies())
        if check.missing == 0 or b.smtp.recorder.count() == before:
            break
    first = rounds[0]
    first_end = max(c.ended or 0.0 for c in first)
    first_handled = sum(c.handled() for c in first)
    cpu = sum(c.cpu_seconds for c in first)
    replies = b.smtp.recorder.replies()
    check = check_replies(requests, replies)
    first_replies = check_replies(requests, [r for r in replies if r.arrived <= first_end])
    out, sessions = imap_bytes_since(b.dovecot, user, offset)
    everything = [c for round_ in rounds for c in round_]
    peak = max(c.peak_kib for c in everything)
    seconds_all = None if check.last_arrival is None else check.last_arrival - started
    failed = sum(c.failed() for c in everything)
    lost_races = sum(c.already_recorded() for c in everything)
    codes = sorted({c.returncode for c in everything if c.returncode is not None})
    left = folder_count(b.dovecot, user, "INBOX")
    split = "+".join(str(c.handled()) for c in first)
    notes = (
        f"{len(rounds)} round(s) of {procs} process(es) until all replies were sent;"
        f" replies: {check.answered} answered once, {check.duplicates} duplicated,"
        f" {check.missing} missing, {check.resent} re-sent Message-IDs;"
        f" exit codes {codes}; {failed} failure log lines"
        + (f" ({lost_races} AlreadyRecorded)" if lost_races else "")
        + f"; {left} left in INBOX; {sessions} IMAP sessions"
    )
    decisions: dict[str, int] = {}
    for child in first:
        for name, n in child.decisions().items():
            decisions[name] = decisions.get(name, 0) + n
    first_notes = (
        f"first `run --once` only: handled {first_handled}"
        + (f" ({split} per process)" if procs > 1 else "")
        + f", replies sent {first_replies.answered + first_replies.duplicates}"
        + f", CPU {cpu:.1f} s ({1000 * cpu / max(1, first_handled):.1f} ms a request); decisions: "
        + ", ".join(f"{n} {name}" for name, n in sorted(decisions.items()))
    )
    rows = [
        Row(f"{label}: all replies", len(requests), seconds_all, out, peak, notes),
        Row(
            f"{label}: first `run --once`, start to exit",
            first_handled,
            first_end - started,
            None,
            max(c.peak_kib for c in first),
            first_notes,
        ),
    ]
    log(f"{label}: {notes}")
    return Pass(
        rows,
        seconds_all,
        first_end - started,
        first_handled,
        first_replies.answered + first_replies.duplicates,
        len(rounds),
        check.duplicates,
        check.missing,
        peak,
        out,
        everything,
    )


def cold_start_race(b: Bench, tries: int = 3) -> Row:
    """Two `run --once` started at once on an empty schema (an empty inbox, no timing)."""
    assert b.pg is not None
    user = b.dovecot.new_user()
    crashed = 0
    errors: set[str] = set()
    for attempt in range(1, tries + 1):
        config = write_config(
            b.work / f"cold{attempt}.toml",
            imap=b.dovecot,
            user=user,
            smtp_port=b.smtp.port,
            db_url=b.pg.schema_url(f"cold{attempt}"),
            code=b.code,
        )
        children = [
            Child(
                mailbot_command(config, once=True),
                b.work / f"cold{attempt}-proc{k}.log",
                b.env,
                b.code,
            )
            for k in (1, 2)
        ]
        for child in children:
            child.wait(b.args.timeout)
            if child.returncode != 0:
                crashed += 1
                lines = child.log_bytes().decode(errors="replace").strip().splitlines()
                errors.add(
                    lines[-2 if len(lines) > 1 and lines[-1].startswith("DETAIL") else -1]
                    if lines
                    else f"exit code {child.returncode}"
                )
    notes = f"{crashed} of {2 * tries} processes in {tries} tries exited non-zero"
    if errors:
        notes += ": " + "; ".join(sorted(e[:160] for e in errors))
    return Row("2 × `run --once` at once on an empty PostgreSQL schema", 0, None, None, None, notes)


def startup_cost(b: Bench, user: str, db_url: str) -> Row:
    """`mailbot run --once` over an empty inbox: interpreter, imports, login, database."""
    config = write_config(
        b.work / "empty.toml",
        imap=b.dovecot,
        user=user,
        smtp_port=b.smtp.port,
        db_url=db_url,
        code=b.code,
    )
    child = Child(mailbot_command(config, once=True), b.work / "empty.log", b.env, b.code)
    child.wait(b.args.timeout)
    seconds = (child.ended or time.monotonic()) - child.started
    return Row(
        "`run --once` over an empty inbox (fixed cost per run)",
        0,
        seconds,
        None,
        child.peak_kib,
        f"exit code {child.returncode}, CPU {child.cpu_seconds:.2f} s",
    )


def big_message(b: Bench) -> Row:
    """Peak RSS of `mailbot run --once` handling one message with a huge video."""
    log(f"building/reading the {b.args.big_video_mib} MiB video message")
    request = big_request(b.args.big_video_mib)
    user = b.dovecot.new_user()
    began = time.monotonic()
    fill(b.dovecot, user, [request])
    log(f"appended {mib(request.size)} MiB in {time.monotonic() - began:.1f} s")
    config = phase_config(b, "big", user, f"sqlite:///{b.work / 'big.db'}", [request])
    b.smtp.recorder.reset()
    offset = log_offset(b.dovecot)
    child = Child(mailbot_command(config, once=True), b.work / "big.log", b.env, b.code)
    if not child.wait(b.args.timeout):
        raise TimeoutError(f"big message: mailbot still running\n{child.tail()}")
    seconds = (child.ended or 0.0) - child.started
    out, _ = imap_bytes_since(b.dovecot, user, offset)
    check = check_replies([request], b.smtp.recorder.replies())
    row = Row(
        f"one message with a {b.args.big_video_mib} MiB video",
        1,
        seconds,
        out,
        child.peak_kib,
        f"message {mib(request.size)} MiB; reply received: {'yes' if check.answered else 'NO'};"
        f" exit code {child.returncode}",
    )
    b.targets.append(
        Target(
            f"{b.args.big_video_mib} MiB video message: peak RSS < 100 MB",
            f"{child.peak_kib * 1024 / 1e6:.0f} MB ({child.peak_kib / 1024:.0f} MiB)",
            child.peak_kib * 1024 < 100e6 and check.answered == 1,
        )
    )
    return row


def idle_floor(b: Bench, samples: int) -> Row:
    """Dovecot alone: APPEND on one connection, time until an IDLE client hears EXISTS."""
    requests = small_requests(samples, b.args.seed, b.work / "idle-floor-mail", "bench-idle")
    user = b.dovecot.new_user()
    writer, watcher = connect(b.dovecot, user), connect(b.dovecot, user)
    delays: list[float] = []
    try:
        watcher.select_folder("INBOX")
        for request in requests:
            raw = request.raw()
            watcher.idle()
            time.sleep(0.2)  # let the server enter IDLE before the mail arrives
            at = time.monotonic()
            writer.append("INBOX", raw)
            heard = False
            while not heard and time.monotonic() < at + 10:
                responses = watcher.idle_check(timeout=max(0.01, at + 10 - time.monotonic()))
                heard = any(isinstance(r, tuple) and b"EXISTS" in r for r in responses)
            if heard:
                delays.append(time.monotonic() - at)
            watcher.idle_done()
    finally:
        for client in (writer, watcher):
            # Closed without LOGOUT: after an interrupt the watcher may still be in IDLE,
            # where a LOGOUT would wait for an answer that never comes.
            with contextlib.suppress(Exception):
                client.shutdown()
    delays.sort()
    notes = (
        f"median {statistics.median(delays):.3f} s, max {delays[-1]:.3f} s: what IDLE costs"
        " before mailbot does anything"
        if delays
        else "no EXISTS heard"
    )
    name = "IDLE floor: APPEND to Dovecot's EXISTS at an idling client"
    return Row(name, len(delays), None, None, None, notes)


def idle_latency(b: Bench) -> Row:
    """APPEND one request at a time to a `mailbot run` service; time to its reply."""
    count = b.args.idle_count
    requests = small_requests(count + 1, b.args.seed, b.work / "idle-mail", "bench-idle")
    user = b.dovecot.new_user()
    config = phase_config(
        b, "idle", user, f"sqlite:///{b.work / 'idle.db'}", requests, poll_interval=600
    )
    b.smtp.recorder.reset()
    # One connection made beforehand, so no login is part of a measured latency.
    client = connect(b.dovecot, user)
    child = Child(mailbot_command(config, once=False), b.work / "idle.log", b.env, b.code)
    rng = random.Random(b.args.seed)
    appended: dict[str, float] = {}
    try:
        warm_up = requests[0]
        client.append("INBOX", warm_up.raw())
        _wait_for(lambda: _answered(b, warm_up) is not None, child, 60, "warm-up reply")
        time.sleep(1.0)  # the service is back in IDLE after its first pass
        for request in requests[1:]:
            raw, spacing = request.raw(), rng.uniform(1.0, 2.0)
            at = time.monotonic()
            client.append("INBOX", raw)
            appended[request.message_id] = at
            while time.monotonic() < at + spacing:
                time.sleep(0.01)
        stragglers = time.monotonic() + b.args.idle_wait
        while time.monotonic() < stragglers and any(_answered(b, r) is None for r in requests[1:]):
            time.sleep(0.05)
    finally:
        client.logout()
        child.stop()
    latencies = sorted(
        arrived - appended[r.message_id]
        for r in requests[1:]
        if (arrived := _answered(b, r)) is not None
    )
    missing = count - len(latencies)
    check = check_replies(requests, b.smtp.recorder.replies())
    median = statistics.median(latencies) if latencies else math.inf
    p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)] if latencies else math.inf
    notes = (
        f"median {median:.3f} s, p95 {p95:.3f} s, min {latencies[0] if latencies else 0:.3f} s,"
        f" max {latencies[-1] if latencies else 0:.3f} s; {missing} not answered within"
        f" {b.args.idle_wait:.0f} s after the last APPEND; {check.duplicates} duplicated;"
        f" poll_interval 600 s, APPENDs 1-2 s apart"
    )
    b.targets.append(
        Target(
            "IDLE latency (APPEND to reply at SMTP): median < 1 s",
            f"median {median:.2f} s, p95 {p95:.2f} s ({len(latencies)} of {count})",
            median < 1.0 and missing == 0,
        )
    )
    return Row("IDLE latency, `mailbot run` service", count, None, None, child.peak_kib, notes)


def _answered(b: Bench, request: Request) -> float | None:
    for reply in b.smtp.recorder.replies():
        if reply.in_reply_to == request.message_id and request.sender in reply.rcpt_tos:
            return reply.arrived
    return None


def _wait_for(condition: Callable[[], bool], child: Child, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if not child.running:
            raise RuntimeError(f"mailbot run stopped while waiting for {what}\n{child.tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {seconds} s\n{child.tail()}")
        time.sleep(0.02)


# -- the run ------------------------------------------------------------------------


def measure(b: Bench, requests: list[Request]) -> None:
    """Run the selected measurements, each failure recorded and the others still run."""
    phases = set(b.args.phases)
    main_user = b.dovecot.new_user()
    needs_inbox = phases & {"floor", "sqlite", "workers", "pg", "link"}
    if needs_inbox:
        began = time.monotonic()
        count, size = fill(b.dovecot, main_user, requests)
        log(f"appended {count} messages, {mib(size)} MiB, in {time.monotonic() - began:.1f} s")
    floors: list[Row] = []
    sqlite: Pass | None = None
    if "floor" in phases:
        for trace in (True, False):
            floor = _guarded(b, "raw floor", partial(raw_floor, b, main_user, trace))
            if floor:
                floors.append(floor)
                b.rows.append(floor)
                log(f"{floor.name}: {floor.rate:.1f} messages/s, {mib(floor.imap_bytes)} MiB")
    if "sqlite" in phases:
        sqlite = _guarded(
            b,
            "mailbot on SQLite",
            lambda: mailbot_pass(
                b,
                "mailbot, SQLite (WAL)",
                "sqlite",
                main_user,
                f"sqlite:///{b.work / 'sqlite.db'}",
                1,
                requests,
                b.work / "sqlite.prof" if b.args.profile else None,
            ),
        )
        if sqlite:
            b.rows.extend(sqlite.rows)
            _speed_target(b, floors, sqlite, "one process")
            empty = _guarded(
                b,
                "empty pass",
                lambda: startup_cost(b, main_user, f"sqlite:///{b.work / 'sqlite.db'}"),
            )
            if empty:
                b.rows.append(empty)
    if "workers" in phases:
        # A fresh copy of the inbox: after a pass Dovecot has every BODYSTRUCTURE cached,
        # and this measurement is compared with the floor like the first one.
        crew_user = main_user
        if "sqlite" in phases:
            crew_user = b.dovecot.new_user()
            began = time.monotonic()
            fill(b.dovecot, crew_user, requests)
            log(f"appended the inbox again for --workers in {time.monotonic() - began:.1f} s")
        crew = _guarded(
            b,
            f"mailbot --workers {b.args.workers} on SQLite",
            lambda: mailbot_pass(
                b,
                f"mailbot, SQLite (WAL), `run --once --workers {b.args.workers}`",
                "sqlite-workers",
                crew_user,
                f"sqlite:///{b.work / 'sqlite-workers.db'}",
                1,
                requests,
                workers=b.args.workers,
            ),
        )
        if crew:
            b.rows.extend(crew.rows)
            _speed_target(b, floors, crew, f"`--workers {b.args.workers}`")
    if "peer" in phases:
        helpdesk = _guarded(b, "django-helpdesk get_email", lambda: peer_pass(b, requests))
        if helpdesk:
            b.rows.append(helpdesk)
            _peer_target(b, sqlite if "sqlite" in phases else None, helpdesk)
    if "pg" in phases and b.pg is not None:
        pg = b.pg
        one = two = None
        if _restore(b, main_user, len(requests)):
            one = _guarded(
                b,
                "mailbot on PostgreSQL",
                lambda: mailbot_pass(
                    b,
                    "mailbot, PostgreSQL, 1 process",
                    "pg1",
                    main_user,
                    pg.schema_url("one"),
                    1,
                    requests,
                ),
            )
        if _restore(b, main_user, len(requests)):
            two = _guarded(
                b,
                "two mailbots on PostgreSQL",
                lambda: mailbot_pass(
                    b,
                    "mailbot, PostgreSQL, 2 processes",
                    "pg2",
                    main_user,
                    pg.schema_url("two"),
                    2,
                    requests,
                ),
            )
        for result in (one, two):
            if result:
                b.rows.extend(result.rows)
        race = _guarded(
            b, "start-up race on PostgreSQL", lambda: cold_start_race(b, 2 if b.args.small else 3)
        )
        if race:
            b.rows.append(race)
        if two:
            _parallel_targets(b, one, two, len(requests))
    for mbit in b.args.link_mbit if "link" in phases else []:
        if _restore(b, main_user, len(requests)):
            over_link(b, main_user, requests, mbit)
    if "big" in phases:
        big = _guarded(b, "big message", lambda: big_message(b))
        if big:
            b.rows.append(big)
        if "peer" in phases:
            helpdesk_big = _guarded(b, "django-helpdesk, big message", lambda: peer_big(b))
            if helpdesk_big:
                b.rows.append(helpdesk_big)
    if "idle" in phases:
        floor_idle = _guarded(b, "IDLE floor", lambda: idle_floor(b, 5))
        if floor_idle:
            b.rows.append(floor_idle)
        idle = _guarded(b, "IDLE latency", lambda: idle_latency(b))
        if idle:
            b.rows.append(idle)


def peer_pass(b: Bench, requests: list[Request]) -> Row:
    """django-helpdesk's `get_email` over a fresh copy of the same inbox (bench/peer.py)."""
    specs = plan(b.args.messages, int(b.args.total_mib * MIB), b.args.large_mib, b.args.seed)
    sent = peer.attachment_counts(name for spec in specs for name, _, _ in spec.attachments)
    return _peer_run(b, "peer", requests, sent, f"{len(requests)} requests")


def peer_big(b: Bench) -> Row:
    """django-helpdesk's `get_email` over the big message alone: its peak RSS."""
    request = big_request(b.args.big_video_mib)
    sent = peer.attachment_counts(name for name, _ in VARIANTS["a"][2])
    return _peer_run(b, "peer-big", [request], sent, f"message {mib(request.size)} MiB")


def _peer_run(b: Bench, slug: str, requests: list[Request], sent: Counter[str], what: str) -> Row:
    log(f"{slug}: preparing django-helpdesk ({', '.join(peer.PACKAGES)})")
    interpreter = peer.python(b.work / f"{slug}-install.log")
    user = b.dovecot.new_user()
    fill(b.dovecot, user, requests)
    site = peer.site(
        b.work / f"{slug}-site",
        interpreter,
        (b.dovecot.host, b.dovecot.port, user, b.dovecot.password),
        b.smtp.port,
        b.env,
    )
    b.smtp.recorder.reset()
    offset = log_offset(b.dovecot)
    child = Child(peer.get_email(site), b.work / f"{slug}.log", site.env, site.root)
    if not child.wait(b.args.timeout):
        child.stop()
        raise TimeoutError(f"{slug}: get_email still running\n{child.tail()}")
    seconds = (child.ended or 0.0) - child.started
    out, sessions = imap_bytes_since(b.dovecot, user, offset)
    stored = peer.kept(site)
    kept = sum(stored.attachments.values())
    notes = (
        f"{what}; exit code {child.returncode}, CPU {child.cpu_seconds:.1f} s;"
        f" {stored.tickets} tickets; attachments kept {kept:,} of {sum(sent.values()):,}"
        f" (dropped: {peer.dropped_text(sent, stored.attachments)});"
        f" {b.smtp.recorder.count()} mails sent; {folder_count(b.dovecot, user, 'INBOX')}"
        f" left in INBOX; {sessions} IMAP sessions"
    )
    log(f"{slug}: {seconds:.1f} s, peak {child.peak_kib / 1024:.0f} MiB; {notes}")
    return Row(
        f"peer: django-helpdesk 2.6.1 `get_email` (Django 5.2.19, SQLite), {what}",
        len(requests) if stored.tickets == len(requests) else stored.tickets,
        seconds,
        out,
        child.peak_kib,
        notes,
    )


def _peer_target(b: Bench, sqlite: Pass | None, helpdesk: Row) -> None:
    """django-helpdesk beside mailbot: both from this run, same mail, same machine."""
    ours = "mailbot not measured"
    if sqlite is not None and sqlite.seconds_all:
        with closing(sqlite3.connect(b.work / "sqlite.db")) as db:
            (judged,) = db.execute(
                "SELECT count(*) FROM evidence WHERE fingerprint NOT LIKE 'link:%'"
            ).fetchone()
        ours = (
            f"mailbot {sqlite.rows[0].rate or 0:.1f} messages/s, peak"
            f" {sqlite.peak_kib / 1024:.0f} MiB, {judged:,} attachments judged"
            " (evidence rows; the files stay in the mailbox)"
        )
    kept = re.search(r"attachments kept [^;]*", helpdesk.notes)
    b.targets.append(
        Target(
            "django-helpdesk's row beside mailbot's (same inbox, same run)",
            f"{ours}; django-helpdesk {helpdesk.rate or 0:.1f} messages/s, peak"
            f" {(helpdesk.peak_kib or 0) / 1024:.0f} MiB, {kept.group(0) if kept else '-'}",
            None,
        )
    )


def over_link(b: Bench, user: str, requests: list[Request], mbit: float) -> None:
    """The floor (trace off) and one mailbot process through a link of ``mbit`` Mbit/s
    (link.py), as across a network. Issue 17's target: at 100 Mbit/s, mailbot answers
    everything in at most an eighth of the time the whole download takes."""
    server = Endpoint(b.dovecot.host, b.dovecot.port, b.dovecot.password)
    rtt = b.args.link_rtt_ms
    link_name = f"{mbit:g} Mbit/s link" + (f", {rtt:g} ms round trip" if rtt else "")
    with PacedLink(server, mbit, rtt) as link:
        how = f"imaplib trace off, over a {link_name}"
        floor = _guarded(
            b, "raw floor over the link", partial(raw_floor, b, user, False, link, how)
        )
        if floor:
            b.rows.append(floor)
        if not _restore(b, user, len(requests)):
            return
        paced = _guarded(
            b,
            "mailbot over the link",
            lambda: mailbot_pass(
                b,
                f"mailbot, SQLite (WAL), over a {link_name}",
                f"link{mbit:g}",
                user,
                f"sqlite:///{b.work / f'link{mbit:g}.db'}",
                1,
                requests,
                via=link,
            ),
        )
    if paced:
        b.rows.extend(paced.rows)
    if floor and floor.seconds and paced and paced.seconds_all:
        ratio = floor.seconds / paced.seconds_all
        b.targets.append(
            Target(
                f"end to end against the raw download over a {link_name}"
                + (": ≥ 8×" if mbit == 100 and not rtt else ""),
                f"{ratio:.2f}× ({paced.seconds_all:.2f} s against {floor.seconds:.2f} s)",
                ratio >= 8.0 if mbit == 100 and not rtt else None,
            )
        )


def _restore(b: Bench, user: str, expected: int) -> bool:
    """Put the processed mail back in INBOX; False (recorded) if some is missing."""
    move_back(b.dovecot, user)
    found = folder_count(b.dovecot, user, "INBOX")
    if found != expected:
        b.errors.append(f"INBOX holds {found} messages after moving back, not {expected}")
    return found > 0


def _speed_target(b: Bench, floors: Sequence[Row], sqlite: Pass, how: str) -> None:
    """The 2× target against the faster floor (the true cost of the download); the
    ratio to imapclient as shipped is shown beside it."""
    timed = [f for f in floors if f.seconds]
    if not timed:
        return
    name = f"end to end ≥ 2× faster than the raw whole-message download ({how})"
    if sqlite.seconds_all is None:
        b.targets.append(Target(name, "not every request was answered", False))
        return
    fastest = min(timed, key=lambda f: f.seconds or 0.0)
    ratios = "; ".join(
        f"{(f.seconds or 0.0) / sqlite.seconds_all:.2f}× against the floor"
        f" {f.name.rpartition(', ')[2]} ({f.seconds:.2f} s)"
        for f in timed
    )
    ratio = (fastest.seconds or 0.0) / sqlite.seconds_all
    first = (fastest.seconds or 0.0) / sqlite.first_seconds
    b.targets.append(
        Target(
            name,
            f"{ratios}, until every reply was sent ({sqlite.rounds} `run --once`;"
            f" the first alone, which sent {sqlite.first_replies} replies: {first:.2f}×"
            f" the faster floor); IMAP bytes"
            f" {sqlite.imap_bytes / max(1, fastest.imap_bytes or 1):.4f}× the floor's",
            ratio >= 2.0,
        )
    )


def _parallel_targets(b: Bench, one: Pass | None, two: Pass, count: int) -> None:
    b.targets.append(
        Target(
            "two processes on PostgreSQL: zero duplicate replies",
            f"{two.duplicates} duplicated, {two.missing} missing",
            two.duplicates == 0 and two.missing == 0,
        )
    )
    if one is None or one.seconds_all is None or two.seconds_all is None:
        return
    speedup = one.seconds_all / two.seconds_all
    first = one.first_seconds / two.first_seconds
    # Faster only counts if both processes worked: a pair where one process died at
    # once is one process, and any difference is noise (or two runs' send quotas).
    pair = two.procs[:2]
    both_worked = all(c.handled() > 0 and c.returncode == 0 for c in pair)
    split = " + ".join(f"{c.handled()} (exit {c.returncode})" for c in pair)
    b.targets.append(
        Target(
            "two processes on PostgreSQL: higher throughput than one",
            f"{count / two.seconds_all:.1f} vs {count / one.seconds_all:.1f} messages/s"
            f" ({speedup:.2f}×; first `run --once` {first:.2f}×); first round handled"
            f" {split}" + ("" if both_worked else ": not two working processes"),
            speedup > 1.0 and first > 1.0 and both_worked,
        )
    )


def _guarded(b: Bench, what: str, job: Callable[[], T]) -> T | None:
    """Run one measurement; a failure is recorded and the benchmark goes on."""
    log(f"{what}: starting")
    meter = CpuMeter()
    try:
        result = job()
    except Exception as error:  # one broken measurement must not hide the others
        b.errors.append(f"{what}: {error}")
        traceback.print_exc()
        return None
    others = meter.others()
    for row in result.rows if isinstance(result, Pass) else [result]:
        if isinstance(row, Row):
            row.others = others
    return result


# -- output -------------------------------------------------------------------------


def table(b: Bench, info: dict[str, str], corpus_text: str) -> str:
    """The results as Markdown (also printed)."""
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: `{b.args.command}`",
        "",
        f"Machine: {info['nproc']} cores ({info['cpu']}), {info['ram']} RAM, Linux"
        f" {info['kernel']}, Python {info['python']}, Dovecot {info['dovecot']},"
        f" PostgreSQL {b.pg.version if b.pg else '-'}.",
        "",
        f"mailbot measured: {info['code']}.",
        "",
        f"Mail: {corpus_text}",
        "",
        "| measurement | messages | seconds | messages/s | MiB sent by IMAP server"
        " | peak RSS MiB | other load | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in b.rows:
        rate = "-" if row.rate is None else f"{row.rate:,.1f}"
        seconds = "-" if row.seconds is None else f"{row.seconds:,.2f}"
        peak = "-" if row.peak_kib is None else f"{row.peak_kib / 1024:,.0f}"
        messages = "-" if row.messages is None else str(row.messages)
        others = "-" if row.others is None else f"{row.others:.2f}"
        lines.append(
            f"| {row.name} | {messages} | {seconds} | {rate} | {mib(row.imap_bytes)}"
            f" | {peak} | {others} | {row.notes} |"
        )
    lines += ["", "| target (issues 6, 17) | measured | met? |", "| --- | --- | --- |"]
    for t in b.targets:
        met = "(not a target)" if t.met is None else ("**met**" if t.met else "**not met**")
        lines.append(f"| {t.target} | {t.measured} | {met} |")
    if b.errors:
        lines += ["", "Errors:", *(f"- {e}" for e in b.errors)]
    return "\n".join(lines)


def write_markdown(text: str) -> None:
    """Replace the results section of bench/README.md."""
    readme = README.read_text(encoding="utf-8")
    if START not in readme or END not in readme:
        raise SystemExit(f"{README}: no {START} ... {END} section to replace")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def keep_logs(work: Path, dovecot: DovecotServer) -> Path:
    """Copy the run's logs to bench/.cache/logs/ (the work directory is deleted)."""
    target = CACHE / "logs"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in [*work.glob("*.log"), *work.glob("*.prof")]:
        shutil.copy2(path, target / path.name)
    dovecot_log = dovecot.root / "dovecot.log"
    if dovecot_log.exists():
        shutil.copy2(dovecot_log, target / "dovecot.log")
    return target


# -- command line -------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    p.add_argument("--messages", type=int, default=1000, help="requests in the inbox")
    p.add_argument(
        "--small",
        action="store_true",
        help="quick run: 0.3 MiB per message, 2-6 MiB large videos, a 20 MiB"
        " big video, 6 IDLE samples",
    )
    p.add_argument(
        "--total-mib",
        type=float,
        help="size of all messages (default 1 MiB per message, 0.3 with --small)",
    )
    p.add_argument("--big-video-mib", type=int, help="video of the RSS test (default 300)")
    p.add_argument("--idle-count", type=int, help="IDLE latency samples (default 30)")
    p.add_argument(
        "--idle-wait", type=float, default=30.0, help="seconds to wait for the last IDLE replies"
    )
    p.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}"
    )
    p.add_argument(
        "--code",
        default="head",
        help="what to measure: head (the last commit, default), worktree (the working tree),"
        " or a commit; several, comma-separated, are measured one after the other in this"
        " run (e.g. --code 55a8f4b,head), each copied at the start",
    )
    p.add_argument("--seed", type=int, default=6)
    p.add_argument(
        "--workers", type=int, default=2, help="processes of the 'workers' phase (default 2)"
    )
    p.add_argument(
        "--link-mbit",
        default="100,20",
        help="bandwidths of the 'link' phase's paced link to Dovecot, comma-separated"
        " (default 100,20; the 8x target of issue 17 is at 100)",
    )
    p.add_argument(
        "--link-rtt-ms",
        type=float,
        default=0.0,
        help="round trip added to the 'link' phase's link, in milliseconds (default 0: a"
        " bandwidth limit alone, as issue 17's target is measured)",
    )
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per mailbot run")
    p.add_argument(
        "--profile",
        action="store_true",
        help="run the first SQLite `run --once` under cProfile (bench/.cache/logs/sqlite.prof)",
    )
    p.add_argument(
        "--no-peer",
        action="store_true",
        help="skip the 'peer' phase (django-helpdesk; its venv is built on first use)",
    )
    p.add_argument("--markdown", action="store_true", help="write the results into README")
    args = p.parse_args(argv)
    args.total_mib = args.total_mib or args.messages * (0.3 if args.small else 1.0)
    args.big_video_mib = args.big_video_mib or (20 if args.small else 300)
    args.idle_count = args.idle_count or (6 if args.small else 30)
    args.large_mib = (2, 6) if args.small else (20, 60)
    args.codes = [c.strip() for c in args.code.split(",") if c.strip()]
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    args.link_mbit = [float(m) for m in args.link_mbit.split(",") if m.strip()]
    if args.no_peer:
        args.phases = [p for p in args.phases if p != "peer"]
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        p.error(f"unknown phases: {', '.join(sorted(unknown))}")
    args.command = "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    return args


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    info = machine()
    free = shutil.disk_usage(REPO).free
    need = args.total_mib * MIB * 3 + args.big_video_mib * MIB * 3
    if free < need:
        raise SystemExit(f"{mib(free)} MiB free, the run needs about {mib(need)} MiB")
    began = time.monotonic()
    log(f"generating or loading {args.messages} requests (~{args.total_mib:,.0f} MiB)")
    requests = corpus(
        args.messages,
        int(args.total_mib * MIB),
        args.large_mib,
        args.seed,
        workers=int(info["nproc"]),
    )
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(describe(requests).items()))
    largest = max(r.largest_attachment for r in requests)
    corpus_text = (
        f"{len(requests)} requests, {mib(sum(r.size for r in requests))} MiB"
        f" (largest attachment {mib(largest)} MiB; {counts})."
    )
    log(f"{corpus_text} ready in {time.monotonic() - began:.1f} s")
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="mailbot-bench-"))
        stack.callback(shutil.rmtree, work, True)
        # Dovecot's mail user must pass through its root: a temp dir of its own (0711).
        root = Path(tempfile.mkdtemp(prefix="mailbot-bench-dovecot-"))
        stack.callback(shutil.rmtree, root, True)
        dovecot = DovecotServer(root)
        stack.callback(dovecot.stop)
        dovecot.start()
        smtp = stack.enter_context(SmtpSink())
        pg = stack.enter_context(PgDatabase()) if "pg" in args.phases else None
        stack.callback(stop_all)
        env = {**os.environ, PASSWORD_ENV: dovecot.password}
        # One copy of each code for the whole run, all made before measuring: mailbot/ is
        # edited while we measure.
        roots = []
        for index, code in enumerate(args.codes):
            code_root = work / f"code-{index}"
            described = snapshot_code(code_root, code)
            where = imports_from(code_root, env)
            if not where.startswith(str(code_root)):
                raise SystemExit(f"mailbot would be imported from {where}, not {code_root}")
            roots.append((code_root, described))
        texts, errors = [], 0
        for index, (code_root, described) in enumerate(roots):
            info["code"] = described
            log(f"measuring {described}")
            # Databases, configs and logs of each code apart; fresh mail accounts anyway.
            measured = work / f"run-{index}"
            measured.mkdir()
            bench = Bench(args, measured, dovecot, smtp, env, code_root, pg)
            try:
                measure(bench, requests)
            finally:
                logs = keep_logs(measured, dovecot)
                log(f"logs kept in {logs}")
            texts.append(table(bench, info, corpus_text))
            errors += len(bench.errors)
        text = "\n\n".join(texts)
    print("\n" + text + "\n")
    if args.markdown:
        write_markdown(text)
        log(f"results written to {README}")
    log(f"done in {time.monotonic() - began:.0f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped and removed", file=sys.stderr)
        sys.exit(130)
