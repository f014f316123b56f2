"""What the measurements share: mailbot child processes, configs, IMAP and PostgreSQL.

Peak RSS is sampled from /proc/<pid>/status (VmHWM) rather than taken from wait4's
ru_maxrss: CPython starts children with vfork, and Linux folds the parent's RSS high
water mark into the child's ru_maxrss at exec, so a big benchmark process would show
up as a big mailbot.
"""

from __future__ import annotations

import compileall
import csv
import hashlib
import io
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Protocol
from urllib.parse import quote

import psycopg2  # type: ignore[import-untyped]
from imapclient import IMAPClient

from bench.corpus import REPO, Request
from mailbot.store.orderscsv import COLUMNS
from tests.integration.dovecot import DovecotServer

PASSWORD_ENV = "BENCH_IMAP_PASSWORD"
SAMPLE_SECONDS = 0.01
# A mailbot log line per handled message (cli._log_line) and per failed one.
HANDLED_LINE = re.compile(rb" key=\S+ message-id=")
DECISION = re.compile(rb" key=\S+ message-id=\S* ticket=\S+ decision=(\S+)")
FAILED_LINE = b"could not be handled"
ALREADY_RECORDED = b"AlreadyRecorded"


# -- mailbot processes ----------------------------------------------------------------


class Child:
    """One process; a thread samples its peak RSS and reaps it (with its CPU time)."""

    live: ClassVar[set[Child]] = set()  # every child not yet reaped, for the cleanup

    def __init__(self, args: Sequence[str], log: Path, env: dict[str, str], cwd: Path) -> None:
        self.log = log
        self.peak_kib = 0
        self.cpu_seconds = 0.0
        self.returncode: int | None = None
        self.ended: float | None = None
        self._done = threading.Event()
        with log.open("wb") as handle:
            self.started = time.monotonic()
            self.proc = subprocess.Popen(
                list(args), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=handle
            )
        Child.live.add(self)
        threading.Thread(target=self._watch, name=f"watch-{self.proc.pid}", daemon=True).start()

    def _watch(self) -> None:
        status = Path(f"/proc/{self.proc.pid}/status")
        while True:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                pass  # exiting: /proc shows a zombie without memory lines
            pid, wait_status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.ended = time.monotonic()
                self.returncode = os.waitstatus_to_exitcode(wait_status)
                self.proc.returncode = self.returncode  # reaped here, not by Popen
                self.cpu_seconds = usage.ru_utime + usage.ru_stime
                Child.live.discard(self)
                self._done.set()
                return
            time.sleep(SAMPLE_SECONDS)

    def wait(self, timeout: float | None = None) -> bool:
        """True once the process has exited (within ``timeout`` seconds)."""
        return self._done.wait(timeout)

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM (mailbot stops cleanly), SIGKILL if it is still there after ``grace``."""
        if not self.running:
            return
        self.proc.send_signal(signal.SIGTERM)
        if not self.wait(grace):
            self.proc.kill()
            self.wait(5)

    def log_bytes(self) -> bytes:
        return self.log.read_bytes() if self.log.exists() else b""

    def handled(self) -> int:
        """Messages this process decided and stored (one log line each)."""
        return len(HANDLED_LINE.findall(self.log_bytes()))

    def decisions(self) -> dict[str, int]:
        """How often each decision was logged (``decision=rma_issued`` …)."""
        counts: dict[str, int] = {}
        for found in DECISION.findall(self.log_bytes()):
            counts[found.decode()] = counts.get(found.decode(), 0) + 1
        return counts

    def failed(self) -> int:
        """Messages this process gave up on (logged with a traceback)."""
        return self.log_bytes().count(FAILED_LINE)

    def already_recorded(self) -> int:
        """Failures because another process had recorded the message first."""
        return self.log_bytes().count(ALREADY_RECORDED)

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_bytes().decode(errors="replace").splitlines()[-lines:])


def stop_all() -> None:
    """Stop every child still running (used on failure and Ctrl-C)."""
    for child in list(Child.live):
        child.stop(grace=5)


def mailbot_command(
    config: Path, once: bool, profile: Path | None = None, workers: int = 1
) -> list[str]:
    """``mailbot run [--once] [--workers N]`` with this config, in the benchmark's
    interpreter.

    With ``profile``, under cProfile writing its statistics there (slower: only for
    finding where the time goes, never for the numbers in the table).
    """
    python = [sys.executable]
    if profile is not None:
        python += ["-m", "cProfile", "-o", str(profile)]
    command = [*python, "-m", "mailbot.cli", "--config", str(config), "run"]
    if workers > 1:
        command += ["--workers", str(workers)]
    return [*command, "--once"] if once else command


def prepare_database(config: Path, orders: Path, env: dict[str, str], log: Path, code: Path) -> int:
    """Create the tables and import the orders (``mailbot orders import``), untimed.

    A deployed bot finds its schema and orders in place; creating them is not part of
    the work measured (two processes creating the schema at once is measured apart).
    """
    cli = [sys.executable, "-m", "mailbot.cli", "--config", str(config)]
    command = [*cli, "orders", "import", str(orders)]
    with log.open("wb") as handle:
        done = subprocess.run(command, cwd=code, env=env, stdout=handle, stderr=handle)
    return done.returncode


# -- config and orders --------------------------------------------------------------


def write_orders(path: Path, now: datetime, requests: Iterable[Request]) -> Path:
    """The orders of ``requests`` as a CSV, deliveries relative to ``now``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for request in requests:
            writer.writerow(request.order().row(now))
    return path


def write_config(
    path: Path,
    *,
    imap: ImapServer,
    user: str,
    smtp_port: int,
    db_url: str,
    code: Path,
    poll_interval: float | None = None,
) -> Path:
    """A config like tests/integration/test_run_end_to_end.py writes; password from env.

    No ``[orders] csv``: mailbot would re-import it at every start, and the benchmark
    imports the orders once, as ``mailbot orders import`` does in production.
    """

    def q(value: object) -> str:
        return json.dumps(str(value))  # a JSON string is a valid TOML basic string

    service = f"\n[service]\npoll_interval = {poll_interval}\n" if poll_interval else ""
    path.write_text(
        f"""[imap]
host = {q(imap.host)}
port = {imap.port}
security = "none"
username = {q(user)}
password_env = {q(PASSWORD_ENV)}
processed_folder = "Processed"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "Shop Returns <returns@shop.example>"

[database]
url = {q(db_url)}

[agents]
addresses = ["agent@shop.example"]

[paths]
rules = {q(code / "rules")}
templates = {q(code / "templates")}
{service}""",
        encoding="utf-8",
    )
    return path


# -- IMAP -------------------------------------------------------------------------------


class ImapServer(Protocol):
    """Where IMAP clients connect: Dovecot itself, or a link in front of it (link.py)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def password(self) -> str: ...


def connect(server: ImapServer, user: str, timeout: float = 300.0) -> IMAPClient:
    """A logged-in plain IMAP client with a timeout long enough for 400 MB literals."""
    client = IMAPClient(server.host, server.port, ssl=False, timeout=timeout)
    client.login(user, server.password)
    return client


def fill(server: DovecotServer, user: str, requests: Iterable[Request]) -> tuple[int, int]:
    """APPEND every request to the user's INBOX over one connection: (messages, bytes)."""
    count = size = 0
    client = connect(server, user)
    try:
        for request in requests:
            raw = request.raw()
            client.append("INBOX", raw)
            count, size = count + 1, size + len(raw)
    finally:
        client.logout()
    return count, size


def folder_count(server: DovecotServer, user: str, folder: str) -> int:
    """Undeleted messages in ``folder`` (0 if it does not exist)."""
    client = connect(server, user)
    try:
        if not client.folder_exists(folder):
            return 0
        client.select_folder(folder, readonly=True)
        return len(client.search(["UNDELETED"]))
    finally:
        client.logout()


def move_back(server: DovecotServer, user: str) -> int:
    """Move every processed message back to INBOX, for the next measurement."""
    client = connect(server, user)
    try:
        if not client.folder_exists("Processed"):
            return 0
        client.select_folder("Processed")
        uids = client.search(["ALL"])
        if uids:
            client.move(uids, "INBOX")
        return len(uids)
    finally:
        client.logout()


def log_offset(server: DovecotServer) -> int:
    """Where Dovecot's log ends now; sessions logged after it belong to the next phase."""
    time.sleep(0.3)  # our own last session's "Disconnected" line must land before it
    path = server.root / "dovecot.log"
    return path.stat().st_size if path.exists() else 0


def imap_bytes_since(server: DovecotServer, user: str, offset: int) -> tuple[int, int]:
    """(sum of ``out=``, sessions) of the user's IMAP sessions that ended after ``offset``.

    The same reading of Dovecot's log as ImapAccount.bytes_sent_to_clients, from an
    offset so each measurement counts only its own sessions.
    """
    time.sleep(0.3)  # the client's logout may be logged an instant after it returns
    with (server.root / "dovecot.log").open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode(errors="replace")
    total = sessions = 0
    for line in text.splitlines():
        if f"imap({user})" in line and "Disconnected" in line and " out=" in line:
            total += int(line.split(" out=", 1)[1].split()[0])
            sessions += 1
    return total, sessions


# -- PostgreSQL ---------------------------------------------------------------------


class PgDatabase:
    """A database created for this run (one schema per measurement), dropped after."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5432) -> None:
        self.host, self.port = host, port
        self.name = f"mailbot_bench_{uuid.uuid4().hex[:12]}"
        self.version = ""
        self._schemas = 0  # made so far: each gets a number, unique in the database

    def _connect(self, dbname: str) -> Any:
        conn = psycopg2.connect(
            host=self.host, port=self.port, user="postgres", dbname=dbname, connect_timeout=5
        )
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        return conn

    def __enter__(self) -> PgDatabase:
        conn = self._connect("test")
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.name}"')
                cur.execute("SHOW server_version")
                self.version = str(cur.fetchone()[0])
        finally:
            conn.close()
        return self

    def schema_url(self, schema: str) -> str:
        """A URL whose search_path is a new, empty schema (as tests/.../fixtures_pg.py),
        numbered: the next code of a --code list asks for the same names."""
        self._schemas += 1
        schema = f"{schema}_{self._schemas}"
        conn = self._connect(self.name)
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            conn.close()
        return f"postgresql://postgres@{self.host}:{self.port}/{self.name}?options=" + quote(
            f"-csearch_path={schema}"
        )

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        conn = self._connect("test")
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            conn.close()


# -- replies ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyCheck:
    """How the replies received match the requests."""

    answered: int  # requests with exactly one reply to their sender
    duplicates: int  # requests whose sender got more than one reply
    missing: int  # requests without a reply
    resent: int  # the same outgoing Message-ID received more than once
    last_arrival: float | None  # when the last request got its (first) reply


def check_replies(requests: Sequence[Request], replies: Sequence[Any]) -> ReplyCheck:
    """Match replies (bench.smtp.Reply) to requests by In-Reply-To and recipient."""
    wanted = {r.message_id: r.sender.lower() for r in requests}
    counts: dict[str, int] = dict.fromkeys(wanted, 0)
    first: dict[str, float] = {}
    seen: set[str] = set()
    resent = 0
    for reply in replies:
        if reply.message_id in seen:
            resent += 1
        seen.add(reply.message_id)
        sender = wanted.get(reply.in_reply_to)
        if sender is None or sender not in reply.rcpt_tos:
            continue  # agent notices and anything else that is not the customer's answer
        counts[reply.in_reply_to] += 1
        first.setdefault(reply.in_reply_to, reply.arrived)
    return ReplyCheck(
        answered=sum(1 for n in counts.values() if n == 1),
        duplicates=sum(1 for n in counts.values() if n > 1),
        missing=sum(1 for n in counts.values() if n == 0),
        resent=resent,
        last_arrival=max(first.values()) if len(first) == len(wanted) else None,
    )


# -- the machine --------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (all cores)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / _TICK


def _own_seconds() -> float:
    """CPU seconds of this process, its reaped children and its live children (Dovecot's
    master, whose own count includes the IMAP sessions it reaped)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == me:  # fields[1] is the parent; 11..14 utime stime cutime cstime
            total += sum(int(x) for x in fields[11:15]) / _TICK
    return total


class CpuMeter:
    """How much CPU processes other than the benchmark's took during a measurement.

    The machine may be shared (a test suite running next to the benchmark); this says
    how many cores, on average, others used, so a slow number can be told apart from a
    busy machine. PostgreSQL's backends count as "others": their CPU is not ours to read.
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._busy, self._own = _busy_seconds(), _own_seconds()

    def others(self) -> float:
        """Average cores used by other processes since the meter started."""
        wall = max(1e-6, time.monotonic() - self.started)
        busy, own = _busy_seconds() - self._busy, _own_seconds() - self._own
        return max(0.0, busy - own) / wall


# -- the code measured ---------------------------------------------------------------

CODE_DIRS = ("mailbot", "rules", "templates")


def _git(*args: str) -> str:
    # --no-optional-locks: reading the state must not even refresh git's index.
    command = ["git", "--no-optional-locks", "-C", str(REPO), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "mailbot").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def snapshot_code(target: Path, source: str) -> str:
    """Copy mailbot/, rules/ and templates/ to ``target``; every mailbot process runs there.

    mailbot/ is edited while benchmarks run, so each run measures one fixed copy:
    ``head`` is the last commit (``git archive``; reproducible, named by its hash), any
    other commit-ish that commit, ``worktree`` the working tree as it is at the start.
    Returns what was copied. The copy is byte-compiled, as an installed package is:
    otherwise every mailbot process would compile its ~150 modules again (~0.5 s of CPU
    a run, counted as mailbot's).
    """
    target.mkdir(parents=True)
    copied = _copy_code(target, source)
    compileall.compile_dir(target / "mailbot", quiet=1)
    return copied


def _copy_code(target: Path, source: str) -> str:
    head = _git("rev-parse", "--short", "HEAD") or "unknown commit"
    if source != "worktree":
        commit = "HEAD" if source == "head" else source
        short = _git("rev-parse", "--short", commit)
        if not short:
            raise SystemExit(f"--code {source}: not a commit of this repository")
        command = ["git", "-C", str(REPO), "archive", "--format=tar", short, *CODE_DIRS]
        archive = subprocess.run(command, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
        name = "HEAD; " if source == "head" else ""
        return f"commit {short} ({name}mailbot/*.py sha256 {_digest(target)})"
    for name in CODE_DIRS:
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    changed = _git("status", "--porcelain", "--", *CODE_DIRS).splitlines()
    dirty = f" + uncommitted changes in {len(changed)} files" if changed else ""
    return f"working tree at {head}{dirty} (mailbot/*.py sha256 {_digest(target)})"


def imports_from(code: Path, env: dict[str, str]) -> str:
    """Where ``python -m mailbot.cli`` started in ``code`` imports mailbot from."""
    command = [sys.executable, "-c", "import mailbot; print(mailbot.__file__)"]
    done = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()


def machine() -> dict[str, str]:
    """Cores, CPU model, RAM, kernel and tool versions, for the results."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    try:
        dovecot = subprocess.run(
            ["/usr/sbin/dovecot", "--version"], capture_output=True, text=True, check=False
        ).stdout.split()[0]
    except (OSError, IndexError):
        dovecot = "unknown"
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": model,
        "ram": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "dovecot": dovecot,
    }
