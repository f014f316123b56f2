"""The service: the desk's adapters and settings, and the jobs `mailbot run` runs.

Each job lives in a module of its own: one message in handle.py (agents' mail in
agents.py), the inbox pass in inboxpass.py, sending in sending.py, reminders in
reminders.py; scheduler.py and workers.py run them; bootstrap.py builds this from the
config. The clock is injected here, at the composition root: every job reads it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.core.correlate import Threads
from mailbot.core.notify import rules_error_notices
from mailbot.core.rulebook import Rulebook
from mailbot.errors import RulebookError
from mailbot.inbound.source import Inbox
from mailbot.outbound.delivery import SendReport
from mailbot.outbound.letters import Mailer, message_id_domain
from mailbot.outbound.render import Renderer
from mailbot.outbound.senders import Sender
from mailbot.rulefiles import load_rulebook, rules_fingerprint
from mailbot.shell import inboxpass, reminders, sending
from mailbot.shell.handled import Handled
from mailbot.shell.inboxpass import RunSummary
from mailbot.shell.reminders import ReminderReport
from mailbot.shell.workers import worker_name
from mailbot.store import Store

if TYPE_CHECKING:
    from mailbot.inbound.dkimcheck import DkimVerifier

log = logging.getLogger("mailbot")


@dataclass
class Service:
    """Handles inbound mail, sends the outbox and fires reminders; holds the adapters."""

    inbox: Inbox
    store: Store
    sender: Sender
    renderer: Renderer
    rules: Rulebook
    from_addr: str
    instance: str
    agents: tuple[str, ...]
    clock: Callable[[], datetime]
    agent_secret: str | None = None
    # Days an agent token stays valid after the day it was issued.
    token_days: int = 30
    # Our server's authserv-id, set only when the admin declared that the server removes
    # Authentication-Results arriving from outside (else such headers prove nothing).
    authserv_id: str | None = None
    # Verifies agents' DKIM signatures itself (None: not configured).
    dkim: DkimVerifier | None = None
    copy_decisions: bool = False
    replies_per_sender_hour: int = 10
    max_message_bytes: int = 100_000_000
    # Seconds one message may take (mailbot/shell/watchdog.py); 0: no limit.
    message_time_limit: float = 60.0
    # A reply that failed to send waits this long before its next try, doubling to the max.
    retry_delay: timedelta = timedelta(seconds=30)
    retry_delay_max: timedelta = timedelta(hours=1)
    # Where the rules came from: edits are picked up by reload_rules().
    rules_dir: Path | None = None
    # This process, as the owner of its claims on inbound messages.
    worker: str = field(default_factory=worker_name)
    mailer: Mailer = field(init=False, repr=False)
    # The bare address of from_addr, lowercased: our own mail is never answered.
    own_address: str = field(init=False, repr=False)
    send_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _rules_seen: tuple[tuple[str, int, int], ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        self.rebuild_mailer()
        if self.rules_dir is not None:
            self._rules_seen = rules_fingerprint(self.rules_dir)

    def rebuild_mailer(self) -> None:
        """The mail writer from the current renderer, addresses and secret, and our own
        bare address (at start and after a reload)."""
        self.mailer = Mailer(
            self.renderer, self.from_addr, self.instance, self.agents, self.agent_secret,
            message_id_domain(self.from_addr),
        )  # fmt: skip
        self.own_address = parseaddr(self.from_addr)[1].lower()

    def reload_rules(self) -> bool:
        """Load the rule files again if an admin changed them; True when new rules apply.

        A broken edit never stops the service: the last good rules stay in force, the
        problems (file, line, key) are logged and the agents get one notice per edit.
        """
        if self.rules_dir is None:
            return False
        seen = rules_fingerprint(self.rules_dir)
        if seen == self._rules_seen:
            return False
        self._rules_seen = seen
        try:
            rules = load_rulebook(self.rules_dir)
        except RulebookError as exc:
            problems = [str(p) for p in exc.problems]
            log.error("rules not reloaded, the last good ones stay in force:\n%s", exc)
            now = self.clock()
            notices = rules_error_notices(problems, self.rules.version, self.agents)
            letters = self.mailer.write(notices, None, Threads(), now, "auto-generated")
            mails = [letter.mail for letter in letters]
            self.store.queue_notices(None, "rules_error", "; ".join(problems), mails, now)
            return False
        log.info("rules reloaded: version %s (was %s)", rules.version, self.rules.version)
        self.rules = rules
        return True

    def process_inbox(
        self, on_handled: Callable[[Handled, RunSummary], None] | None = None
    ) -> RunSummary:
        """Handle every pending message (shell/inboxpass.py)."""
        return inboxpass.process_inbox(self, on_handled)

    def send_outbox(self) -> SendReport:
        """Send every due mail (shell/sending.py)."""
        return sending.send_outbox(self)

    def run_reminders(self) -> ReminderReport:
        """Fire every reminder and expiry that is due now (shell/reminders.py)."""
        return reminders.run_reminders(self)
