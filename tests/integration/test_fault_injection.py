"""Issue 5, "Nothing lost, nothing twice": `mailbot run` killed and servers restarted.

1. `mailbot run --once` over 60 requests is SIGKILLed again and again at random moments
   (seeded; the seed and the kill times are printed on failure; set
   MAILBOT_FAULT_SEED to replay one), then run to completion. Every request is answered,
   none twice: the only duplicates allowed are the documented at-least-once resends,
   which carry the SAME Message-ID (mailbot/outbound/delivery.py).
2. `mailbot run` as a service sees its SMTP server vanish while replies are pending
   and its IMAP server restart; it must recover by itself, answer everything once and
   keep running, without spinning while a server is gone.
3. The backlog a restart finds is answered by one `run --once`, however long it is.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from mailbot.cli import main
from mailbot.store import Store
from mailbot.testing import make_request
from tests.integration.dovecot import DovecotServer, ImapAccount
from tests.integration.fixtures_smtp import RecordingHandler, SmtpServer, start_server
from tests.integration.test_reminders_end_to_end import _libfaketime
from tests.integration.test_run_end_to_end import AGENT, REPO, _write_config

MEDIA = REPO / "examples" / "media"
REQUESTS = 60
KILLS = 20
# A quarter of the kills strike during start-up (imports, schema, order import, IMAP
# login), 0.05 s after the start up to the length of a whole run; the others strike at
# work, from the run's first handled message (decisions, MOVEs, then the SMTP sends)
# up to WORK_KILL_SPAN times the work of a whole run. Both lengths are measured on an
# undisturbed first run, and shortened whenever a run ends before its kill (a busy
# machine got quiet), so the kills land inside runs whatever the machine's speed.
STARTUP_KILLS = 0.25
WORK_KILL_SPAN = 1.5
# Requests appended to the inbox before each run while killing (the rest after).
WAVE = 3
# A run killed after it claimed outbox rows holds them for this long (Store's
# claim_lease); the last pass runs with its clock moved past it.
LEASE_EXPIRED = "+11m"
# Same-Message-ID resends tolerated in test 1 (one per kill between the SMTP server's
# acceptance and the `sent` mark; each kill has a narrow window for it).
MAX_RESENDS = 3


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    """One generated customer request and a phrase its answer must contain."""

    message_id: str
    raw: bytes
    expect: str


def _request(
    index: int,
    sender: str,
    subject: str,
    body: str,
    expect: str,
    attachments: tuple[str, ...] = (),
) -> Request:
    message_id = f"<fi-{index:03d}@customers.example>"
    raw = make_request(
        sender=sender,
        subject=subject,
        body=body,
        attachments=[MEDIA / name for name in attachments],
        message_id=message_id,
    )
    return Request(message_id, raw, expect)


def _window(i: int) -> Request:
    return _request(
        i,
        "Marco Rossi <m.rossi@example.it>",
        f"Order 100204: power supply broken ({i})",
        "Hello,\n\nthe bench power supply of order 100204 is broken, the output jumps.\n",
        "within 30 days of delivery",
        ("video-03.mp4",),
    )


def _late_wrong_item(i: int) -> Request:
    return _request(
        i,
        "Petr Novák <p.novak@example.cz>",
        f"Order 100206 - wrong item ({i})",
        "Hello,\n\nyou sent me the wrong item for order 100206, it is an Uno R3.\n",
        "48 hours",
        ("photo-small-01.jpg",),
    )


def _stranger(i: int) -> Request:
    order = 100201 + i % 3
    return _request(
        i,
        f"Stranger {i} <stranger-{i}@example.org>",
        f"Order {order} defective",
        f"Hi,\n\nthe item from order {order} is defective, it does not power on.\n",
        f"could not match order {order}",
    )


def _no_order_number(i: int) -> Request:
    return _request(
        i,
        f"Customer {i} <customer-{i}@example.net>",
        f"Broken board ({i})",
        "Hello,\n\nthe board I bought from you arrived dead. How can I return it?\n",
        "order number",
    )


def _unknown_order(i: int) -> Request:
    return _request(
        i,
        f"Buyer {i} <buyer-{i}@example.net>",
        f"Order {990000 + i} broken",
        f"Hello,\n\norder {990000 + i} arrived broken, it does not power on.\n",
        f"could not match order {990000 + i}",
    )


# Kinds that continue nothing, so each mail opens a ticket of its own: refusals are
# final, strangers and mails without a known order start afresh. A customer gets at
# most 10 replies an hour (service.replies_per_sender_hour): 8 each at most.
_REPEATABLE: tuple[tuple[Callable[[int], Request], int], ...] = (
    (_window, 8),
    (_late_wrong_item, 8),
    (_stranger, 1000),
    (_no_order_number, 1000),
    (_unknown_order, 1000),
)

# Requests that open a ticket a later mail of the same customer and order would
# continue: each comes once.
_ONCE: tuple[Callable[[int], Request], ...] = (
    lambda i: _request(
        i,
        "Claire Dubois <claire.dubois@example.fr>",
        "Return of order 100207",
        "Hello,\n\nI changed my mind and no longer need the soldering station from order"
        " 100207. I want to return it. Attached: a photo of the product and one of the"
        " packaging.\n",
        "= €78.10",
        ("photo-hd-11.jpg", "photo-hd-12.jpg"),
    ),
    lambda i: _request(
        i,
        "Sam Taylor <sam.taylor@example.co.uk>",
        "Wrong item received - order #100205",
        "Hi,\n\nI received the wrong model with order #100205: a Raspberry Pi 4 instead"
        " of a Raspberry Pi 5. Screenshot and photos attached.\n",
        "Option 2, return the item",
        ("screenshot-order.png", "photo-hd-01.jpg", "photo-hd-02.jpg"),
    ),
    lambda i: _request(
        i,
        "Jürgen Müller <j.mueller@example.de>",
        "Defective ESP32 boards, order 100202",
        "Hi,\n\nboth ESP32-S3 boards of my order 100202 are defective - they do not"
        " power up. One video attached.\n",
        "2 videos of the fault from different angles (1 of 3 received)",
        ("video-01.mp4", "fault-statement.txt"),
    ),
    lambda i: _request(
        i,
        "Katharina Schmidt <k.schmidt@example.at>",
        "Return",
        "Hello,\n\nI want to return my order 100209.\n",
        "what is the reason?",
    ),
    lambda i: _request(
        i,
        "Lucia Rossi <l.rossi@example.it>",
        "Defect - order 100211",
        "Hello,\n\nthe power supply from order 100211 is defective. The videos are too"
        " big for email: https://drive.google.com/drive/folders/1aBcDeFgHiJkLmNoP\n",
        "drive.google.com",
        ("video-02.mp4",),
    ),
)


def _requests(count: int, rng: random.Random, first: int = 0) -> list[Request]:
    """`count` requests numbered from `first`: each one-off kind once, then the
    repeatable kinds in turn (within their limits), in a shuffled order."""
    kinds = list(_ONCE)
    left = {kind: limit for kind, limit in _REPEATABLE}
    while len(kinds) < count:
        for kind, _limit in _REPEATABLE:
            if len(kinds) < count and left[kind] > 0:
                kinds.append(kind)
                left[kind] -= 1
    rng.shuffle(kinds)
    return [kind(first + n) for n, kind in enumerate(kinds)]


# --------------------------------------------------------------------------- checks


@dataclass
class Delivered:
    """What the SMTP server got, sorted by the request each mail answers."""

    by_request: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    to_agents: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    bodies: dict[str, str] = field(default_factory=dict)


def _delivered(handler: RecordingHandler) -> Delivered:
    found = Delivered()
    for received in list(handler.received):
        msg = received.parsed()
        parent, message_id = str(msg["In-Reply-To"]), str(msg["Message-ID"])
        if str(msg["To"]) == AGENT:
            found.to_agents[(parent, str(msg["Subject"]))].append(message_id)
        else:
            found.by_request[parent].append(message_id)
            body = msg.get_body(("plain",))
            text = str(body.get_content()) if body is not None else ""
            found.bodies[message_id] = f"{msg['Subject']}\n{text}"
    return found


def _answers_problems(requests: list[Request], delivered: Delivered) -> tuple[list[str], int]:
    """Every problem with the answers (missing, second answer, wrong answer), and how
    many same-Message-ID resends there were."""
    problems: list[str] = []
    resends = 0
    wanted = {r.message_id for r in requests}
    for request in requests:
        ids = delivered.by_request.get(request.message_id, [])
        distinct = sorted(set(ids))
        if not distinct:
            problems.append(f"{request.message_id}: no answer")
            continue
        if len(distinct) > 1:
            problems.append(f"{request.message_id}: {len(distinct)} different answers {distinct}")
        resends += len(ids) - len(distinct)
        text = delivered.bodies[distinct[0]]
        if request.expect not in text:
            problems.append(f"{request.message_id}: answer lacks {request.expect!r}: {text[:300]}")
    stray = sorted(set(delivered.by_request) - wanted)
    if stray:
        problems.append(f"answers to mail nobody sent: {stray}")
    for (parent, subject), ids in delivered.to_agents.items():
        if len(set(ids)) > 1:
            problems.append(f"agent notice {subject!r} about {parent} sent as {sorted(set(ids))}")
        resends += len(ids) - len(set(ids))
    return problems, resends


def _database_problems(db_url: str, count: int) -> list[str]:
    """Problems with what the database holds after `count` requests were handled."""
    store = Store(db_url)
    db = store.db
    try:
        problems = []
        inbound = db.scalar('SELECT COUNT(*) FROM "inbound"')
        tickets = db.scalar('SELECT COUNT(*) FROM "tickets"')
        incoming = db.rows('SELECT "ticket_id" FROM "messages" WHERE "direction" = ?', ["in"])
        on_tickets = len({ticket_id for (ticket_id,) in incoming})
        unsent = [
            (o.message_id, o.status)
            for o in store.outbox.statuses(limit=10**6)
            if o.status != "sent"
        ]
        if inbound != count:
            problems.append(f"{inbound} inbound rows, not {count}")
        if tickets != count:
            problems.append(f"{tickets} tickets, not {count}")
        if len(incoming) != count or on_tickets != count:
            problems.append(
                f"{len(incoming)} incoming messages on {on_tickets} tickets, not one on each of"
                f" {count}"
            )
        if unsent:
            problems.append(f"outbox rows not sent: {unsent}")
        return problems
    finally:
        store.close()


def _unsent(db_url: str) -> tuple[int, int]:
    """Pending outbox rows: (due now, held by the lease of a run that was killed)."""
    store = Store(db_url)
    try:
        pending = [s for s in store.outbox.statuses(limit=10**6) if s.status == "pending"]
        now = datetime.now(UTC)
        due = sum(1 for s in pending if s.next_attempt_at is not None and s.next_attempt_at <= now)
        return due, len(pending) - due
    finally:
        store.close()


# --------------------------------------------------------------------------- processes


def _mailbot(
    config: Path, password: str, log: Path, *args: str, faketime: str | None = None
) -> subprocess.Popen[bytes]:
    """`mailbot run ARGS` as a subprocess, its output appended to `log`."""
    env = {**os.environ, "TEST_IMAP_PASSWORD": password}
    if faketime is not None:
        env.update(LD_PRELOAD=_libfaketime(), FAKETIME=faketime)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


@dataclass(frozen=True)
class Kill:
    """When to SIGKILL a run: `seconds` after its start or after its first handled mail."""

    after: str  # "start" or "first handled"
    seconds: float

    def __str__(self) -> str:
        return f"{self.seconds} s after {self.after}"


def _kill_at(
    proc: subprocess.Popen[bytes], kill: Kill, log: Path, start: int, began: float
) -> tuple[bool, float | None]:
    """SIGKILL `proc` at `kill` (its log begins at offset `start` of `log`): whether it
    was killed (False if it ended first), and when its anchor (start or first handled
    message, time.monotonic()) was; None if it ended before handling anything."""
    if kill.after == "first handled":
        if not _first_handled(proc, log, start):
            return False, None
        began = time.monotonic()
    try:
        proc.wait(timeout=max(0.0, began + kill.seconds - time.monotonic()))
        return False, began
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        return True, began


def _first_handled(proc: subprocess.Popen[bytes], log: Path, start: int) -> bool:
    """Wait until the run logs its first handled message (True) or ends (False)."""
    while proc.poll() is None:
        with log.open("rb") as handle:
            handle.seek(start)
            if b" INFO key=" in handle.read():
                return True
        time.sleep(0.005)
    return False


def _seed() -> int:
    chosen = os.environ.get("MAILBOT_FAULT_SEED")
    return int(chosen) if chosen else random.SystemRandom().randrange(2**32)


def _folder_state(account: ImapAccount, folder: str) -> list[str]:
    """One line per message in `folder`: UID, flags and Message-ID (for failure reports)."""
    client = account.server.client(account.user)
    try:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        found = (
            client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
        )
        return [
            f"{folder} uid {uid} flags {found[uid][b'FLAGS']}"
            f" {found[uid][b'BODY[HEADER.FIELDS (MESSAGE-ID)]'].decode().strip()}"
            for uid in sorted(found)
        ]
    finally:
        client.logout()


def _log_tail(log: Path, lines: int = 40) -> list[str]:
    return log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else []


# --------------------------------------------------------------------------- test 1


def test_killed_again_and_again_nothing_lost_nothing_twice(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    db_url: str,
) -> None:
    seed = _seed()
    rng = random.Random(seed)
    requests = _requests(REQUESTS, rng)
    config = _write_config(tmp_path, imap_account, smtp_server, db_url, datetime.now(UTC), "")
    log = tmp_path / "mailbot.log"
    history: list[str] = []

    def report() -> str:
        replay = f"seed={seed} (MAILBOT_FAULT_SEED={seed} replays the kill times)"
        return "\n".join([replay, *history, "--- mailbot's last log lines:", *_log_tail(log)])

    def run(kill: Kill | None = None, faketime: str | None = None) -> bool:
        """One `mailbot run --once`, SIGKILLed at `kill`; True if it was killed."""
        number = len(history) + 1
        with log.open("a") as out:
            out.write(f"--- run {number} ({datetime.now(UTC):%H:%M:%S.%f}), {kill or 'no kill'}\n")
        start = log.stat().st_size
        started = time.monotonic()
        proc = _mailbot(config, imap_account.password, log, "--once", faketime=faketime)
        killed, anchor = False, None
        try:
            if kill is not None:
                killed, anchor = _kill_at(proc, kill, log, start, started)
            if not killed:
                proc.wait(timeout=120)
        finally:
            _kill(proc)
        took = time.monotonic() - started
        if kill is not None and not killed and anchor is not None and proc.returncode == 0:
            # The run ended before its kill: the machine is faster now than when the
            # lengths were measured (a busy machine got quiet). Kill within what a run
            # takes now, or most kills would miss.
            pace[kill.after] = min(pace[kill.after], time.monotonic() - anchor)
        outcome = "SIGKILLed" if killed else f"exit {proc.returncode}"
        clock = f", clock {faketime}" if faketime else ""
        history.append(f"run {number} ({kill or 'no kill'}{clock}): {outcome} after {took:.2f} s")
        codes.append(None if killed else proc.returncode)
        return killed

    codes: list[int | None] = []
    # How long a run lasts from its start and from its first handled mail (seconds).
    pace: dict[str, float] = {}
    # The mail arrives in waves, so that kills land in every phase again and again.
    waiting = list(requests)
    # Calibration: the first wave, undisturbed, gives how long a run and its work last.
    for request in waiting[:WAVE]:
        imap_account.append(request.raw)
    del waiting[:WAVE]
    began, start = time.monotonic(), log.stat().st_size if log.exists() else 0
    proc = _mailbot(config, imap_account.password, log, "--once")
    try:
        assert _first_handled(proc, log, start), _log_tail(log)
        working = time.monotonic()
        assert proc.wait(timeout=120) == 0, _log_tail(log)
    finally:
        _kill(proc)
    whole, work = time.monotonic() - began, time.monotonic() - working
    history.append(f"calibration run: {whole:.2f} s, {work:.2f} s of it after the first mail")
    pace["start"], pace["first handled"] = whole, work
    kills = 0
    while kills < KILLS and len(history) < 3 * KILLS:
        for request in waiting[:WAVE]:
            imap_account.append(request.raw)
        del waiting[:WAVE]
        if not waiting or rng.random() < STARTUP_KILLS:
            # (Once all mail is in, a run may have nothing to handle: no anchor.)
            kill = Kill("start", round(rng.uniform(0.05, max(0.1, pace["start"])), 3))
        else:
            span = WORK_KILL_SPAN * pace["first handled"]
            kill = Kill("first handled", round(rng.uniform(0, span), 3))
        kills += run(kill)
    assert kills == KILLS, report()
    for request in waiting:
        imap_account.append(request.raw)
    # Then it runs undisturbed until it exits 0 with the inbox empty.
    for _ in range(5):
        run()
        if codes[-1] == 0 and not imap_account.list_folder("INBOX"):
            break
    else:
        state = "\n".join(_folder_state(imap_account, "INBOX"))
        pytest.fail(f"mailbot run --once did not finish cleanly\n{state}\n{report()}")
    problems: list[str] = []
    due, leased = _unsent(db_url)
    history.append(f"after the clean run: {due} replies due but unsent, {leased} under a lease")
    if due:
        problems.append(f"`run --once` exited 0 and left {due} due replies unsent")
    # Replies a killed run had claimed come back when its lease ends: move the clock on.
    for _ in range(3):
        if sum(_unsent(db_url)) == 0:
            break
        run(faketime=LEASE_EXPIRED)
        assert codes[-1] == 0, report()

    answer_problems, resends = _answers_problems(requests, _delivered(smtp_server.handler))
    problems += answer_problems + _database_problems(db_url, REQUESTS)
    history.append(f"{resends} same-Message-ID resends")
    if resends > MAX_RESENDS:
        problems.append(f"{resends} same-Message-ID resends, more than {MAX_RESENDS}")
    inbox, processed = imap_account.list_folder("INBOX"), imap_account.list_folder("Processed")
    if inbox or len(processed) != REQUESTS:
        problems.append(f"INBOX holds {len(inbox)}, Processed {len(processed)}, not 0, {REQUESTS}")
    if quarantined := imap_account.list_folder("Quarantine"):
        problems.append(f"{len(quarantined)} messages were quarantined")
    assert not problems, "\n".join([*problems, report()])
    print(report())


# --------------------------------------------------------------------------- test 2

# How long the IMAP server stays down; the service must neither die nor spin meanwhile.
OUTAGE = 4.0
# A service that waits poll_interval (1 s) or backs off between tries writes a few log
# lines a second about the missing server, not hundreds; and it sleeps.
MAX_OUTAGE_LINES_PER_SECOND = 4
MAX_OUTAGE_CPU_SHARE = 0.3


class RestartableSmtp:
    """The aiosmtpd test server, stopped and started again on the same port."""

    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self._controller: Controller | None
        self._controller, self.port = start_server(self.handler)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
            controller.start()
            self._controller = controller


@pytest.fixture
def private_dovecot() -> Iterator[DovecotServer]:
    """A Dovecot of this test's own, which it may stop and start (the session's is shared)."""
    root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
    server = DovecotServer(root)
    try:
        try:
            server.start()
        except Exception as error:
            pytest.fail(f"Dovecot did not start: {error}\n--- dovecot log ---\n{server.log}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def restartable_smtp() -> Iterator[RestartableSmtp]:
    server = RestartableSmtp()
    try:
        yield server
    finally:
        server.stop()


def _children(pid: int) -> list[int]:
    """The ids of the processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _stop_dovecot(server: DovecotServer) -> None:
    """Stop Dovecot as `systemctl stop` does: the master and every process it started.

    DovecotServer.stop() ends the master only; its imap processes live on for a while
    and keep serving the sessions they have, which would hide the outage from the bot.
    """
    master = server._process
    assert master is not None, "Dovecot is not running"
    children = _children(master.pid)
    server.stop()
    for pid in children:
        with contextlib.suppress(ProcessLookupError):  # it ended with the master
            os.kill(pid, signal.SIGKILL)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _recorded_and_failed(db_url: str, inbound: int, failed: int) -> bool:
    """True once `inbound` messages are recorded and at least `failed` replies wait for a
    retry after a failed send."""
    store = Store(db_url)
    try:
        waiting = [
            s for s in store.outbox.statuses(limit=10**6) if s.status == "pending" and s.last_error
        ]
        recorded = store.db.scalar('SELECT COUNT(*) FROM "inbound"')
        return bool(recorded == inbound and len(waiting) >= failed)
    finally:
        store.close()


def _imap_lines(log: Path, start: int, port: int) -> list[str]:
    """The lines `log` has from offset `start` on that name the IMAP server."""
    with log.open("rb") as handle:
        handle.seek(start)
        lines = handle.read().decode(errors="replace").splitlines()
    return [line for line in lines if f"127.0.0.1:{port}" in line]


def _all_sent(db_url: str, inbound: int) -> bool:
    """True once `inbound` messages are recorded and no reply waits to be sent."""
    store = Store(db_url)
    try:
        pending = store.db.scalar('SELECT COUNT(*) FROM "outbox" WHERE "status" != \'sent\'')
        return bool(store.db.scalar('SELECT COUNT(*) FROM "inbound"') == inbound and pending == 0)
    finally:
        store.close()


def test_service_recovers_from_smtp_outage_and_imap_restart(
    tmp_path: Path,
    private_dovecot: DovecotServer,
    restartable_smtp: RestartableSmtp,
) -> None:
    dovecot, smtp = private_dovecot, restartable_smtp
    account = ImapAccount(dovecot, dovecot.new_user())
    db_url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    config = _write_config(
        tmp_path, account, SmtpServer("127.0.0.1", smtp.port, smtp.handler), db_url, None, ""
    )
    config.write_text(
        config.read_text()
        + "\n[service]\npoll_interval = 1\noutbox_interval = 1\nreminder_interval = 5\n"
        # Replies that failed during the SMTP outage are tried again within seconds.
        + "retry_delay = 2\nretry_delay_max = 16\n"
    )
    requests = _requests(24, random.Random(5))
    first, during_smtp_outage, after_imap_restart = requests[:8], requests[8:16], requests[16:]
    log = tmp_path / "mailbot.log"
    events: list[str] = []
    started = time.monotonic()

    def note(event: str) -> None:
        events.append(f"{time.monotonic() - started:6.1f} s  {event}")

    def report() -> str:
        return "\n".join([*events, "--- mailbot's last log lines:", *_log_tail(log, 60)])

    def answered(batch: list[Request]) -> bool:
        got = _delivered(smtp.handler).by_request
        return all(r.message_id in got for r in batch)

    def wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert proc.poll() is None, f"mailbot run exited ({proc.returncode})\n{report()}"
            assert time.monotonic() < deadline, f"not within {seconds} s: {what}\n{report()}"
            time.sleep(0.2)
        note(what)

    proc = _mailbot(config, account.password, log)
    try:
        for request in first:
            account.append(request.raw)
        wait(lambda: answered(first), 120, "first batch answered")

        smtp.stop()
        note("SMTP server stopped")
        for request in during_smtp_outage:
            account.append(request.raw)
        wait(
            lambda: _recorded_and_failed(db_url, 16, len(during_smtp_outage)),
            120,
            "second batch recorded, its replies failed to send and wait for a retry",
        )

        cpu_before, log_before = _cpu_seconds(proc.pid), log.stat().st_size
        outage_started = time.monotonic()
        _stop_dovecot(dovecot)
        note("IMAP server stopped, its sessions cut")
        smtp.start()
        note("SMTP server started again")
        # However slowly a busy machine lets it notice, then OUTAGE seconds more.
        wait(lambda: bool(_imap_lines(log, log_before, dovecot.port)), 60, "IMAP outage noticed")
        time.sleep(OUTAGE)
        outage = time.monotonic() - outage_started
        cpu_share = (_cpu_seconds(proc.pid) - cpu_before) / outage
        about_imap = _imap_lines(log, log_before, dovecot.port)
        note(
            f"IMAP down {outage:.1f} s: {len(about_imap)} log lines about it,"
            f" {cpu_share:.0%} of a CPU used"
        )
        try:
            dovecot.start()
        except Exception as error:
            pytest.fail(f"Dovecot did not start again: {error}\n{dovecot.log}")
        note("IMAP server started again")
        for request in after_imap_restart:
            account.append(request.raw)
        wait(lambda: answered(after_imap_restart), 120, "third batch answered")
        wait(lambda: answered(requests), 180, "second batch answered (retry after backoff)")
        # Nothing left to send: a second answer could only come from a pending row.
        wait(lambda: _all_sent(db_url, len(requests)), 60, "every reply marked sent")
        assert proc.poll() is None, f"mailbot run exited ({proc.returncode})\n{report()}"
    finally:
        if proc.poll() is None:
            proc.terminate()
            stopping = time.monotonic()
            try:
                # Longer than the bot's 30 s IMAP timeout: a slow stop shows in the events.
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                note("did not stop within 90 s of SIGTERM")
            note(f"SIGTERM: exit {proc.returncode} after {time.monotonic() - stopping:.1f} s")
        _kill(proc)

    delivered = _delivered(smtp.handler)
    problems, resends = _answers_problems(requests, delivered)
    if resends:
        problems.append(f"{resends} answers were delivered twice (same Message-ID)")
    problems += _database_problems(db_url, len(requests))
    if not about_imap:
        problems.append("the bot never noticed that the IMAP server was gone")
    if len(about_imap) > MAX_OUTAGE_LINES_PER_SECOND * outage + 2:
        problems.append(
            f"spinning while IMAP was down: {len(about_imap)} log lines in {outage:.1f} s"
        )
    if cpu_share > MAX_OUTAGE_CPU_SHARE:
        problems.append(f"busy while IMAP was down: {cpu_share:.0%} of a CPU")
    if proc.returncode != 0:
        problems.append(f"SIGTERM ended it with exit {proc.returncode}, not 0")
    assert not problems, "\n".join([*problems, report()])
    print(report())


# --------------------------------------------------------------------------- test 3


def test_one_run_once_answers_a_backlog_bigger_than_one_outbox_batch(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After an outage the inbox holds a backlog; the one `run --once` that handles it
    must also send every answer it queued, not the first outbox batch (50) alone."""
    requests = _requests(REQUESTS, random.Random(3))
    db_url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    config = _write_config(tmp_path, imap_account, smtp_server, db_url, None, "")
    for request in requests:
        imap_account.append(request.raw)
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)

    assert main(["--config", str(config), "run", "--once"]) == 0

    problems, _resends = _answers_problems(requests, _delivered(smtp_server.handler))
    due, leased = _unsent(db_url)
    if due or leased:
        problems.insert(0, f"`run --once` exited 0 with {due + leased} queued replies unsent")
    assert not problems, "\n".join(problems)
