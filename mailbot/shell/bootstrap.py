"""Composition root: config -> inbox, store, sender, renderer, rulebook, clock.

The clock is injected here: every job reads the time from the service's clock, so a
test moves time by giving another clock (libfaketime is needed only for a whole
`mailbot` process, tests/integration/test_reminders_end_to_end.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.config import Config
from mailbot.inbound.imap import ImapInbox
from mailbot.inbound.maildir import MaildirInbox
from mailbot.inbound.source import Inbox
from mailbot.outbound.render import Renderer
from mailbot.outbound.senders import DirectorySender, Sender, SmtpSender
from mailbot.rulefiles import load_rulebook
from mailbot.shell.service import Service
from mailbot.shell.work import DryRun, csv_orders
from mailbot.store import Store
from mailbot.store.orderscsv import read_orders

if TYPE_CHECKING:
    from mailbot.inbound.dkimcheck import DkimVerifier, TxtLookup


def system_clock() -> datetime:
    """The current time, read afresh at every call (so faketime moves it)."""
    return datetime.now(UTC)


def build_inbox(config: Config) -> Inbox:
    """The configured inbox: IMAP or a Maildir."""
    if config.imap is not None:
        c = config.imap
        return ImapInbox(
            c.host,
            c.port,
            c.security,
            c.username,
            c.password,
            folder=c.folder,
            processed_folder=c.processed_folder,
            verify_tls=c.verify_tls,
            quarantine_folder=c.quarantine_folder,
        )
    assert config.maildir is not None
    m = config.maildir
    return MaildirInbox(m.path, m.processed_folder, m.quarantine_folder)


def build_sender(config: Config) -> Sender:
    """The configured way out: SMTP or a directory of .eml files."""
    if config.smtp is not None:
        c = config.smtp
        return SmtpSender(
            c.host, c.port, c.security, c.username, c.password, verify_tls=c.verify_tls
        )
    assert config.outbox_directory is not None
    return DirectorySender(config.outbox_directory)


def open_store(config: Config) -> Store:
    """The database, tables created, the orders CSV (if configured) loaded."""
    store = Store(config.database_url)
    store.create_tables()
    if config.orders_csv is not None:
        store.orders.import_orders(read_orders(config.orders_csv))
    return store


def open_dry_run(config: Config) -> DryRun:
    """A read-only unit of work over the configured database (an empty one when its
    SQLite file does not exist yet); orders from the orders CSV when one is configured."""
    url = config.database_url
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite:///") and path != ":memory:" and not Path(path).exists():
        store = Store("sqlite:///:memory:")
        store.create_tables()  # in memory: nothing is written anywhere
    else:
        store = Store(url)
    if config.orders_csv is None:
        return DryRun(store)
    return DryRun(store, csv_orders(list(read_orders(config.orders_csv))))


def build_service(
    config: Config,
    dkim_lookup: TxtLookup | None = None,
    *,
    clock: Callable[[], datetime] = system_clock,
    store: Store | None = None,
    inbox: Inbox | None = None,
) -> Service:
    """Everything `mailbot run` needs, wired together; `dkim_lookup` finds the DKIM keys
    of agents' domains (dkimpy's DNS hook; DNS by dnspython unless given another);
    `clock` tells the time to every job; `store` and `inbox` replace the configured
    ones (simulate)."""
    rules = load_rulebook(config.rules_dir)
    renderer = Renderer(config.templates_dir, config.desk_language)
    return Service(
        inbox=inbox if inbox is not None else build_inbox(config),
        store=store if store is not None else open_store(config),
        sender=build_sender(config),
        renderer=renderer,
        rules=rules,
        from_addr=config.from_addr,
        instance=config.instance,
        agents=config.agents,
        clock=clock,
        agent_secret=config.agent_secret,
        token_days=config.token_days,
        authserv_id=(
            config.trusted_authserv_id if config.mta_strips_authentication_results else None
        ),
        dkim=_dkim_verifier(dkim_lookup) if config.verify_dkim else None,
        copy_decisions=config.copy_decisions,
        replies_per_sender_hour=config.replies_per_sender_hour,
        max_message_bytes=config.max_message_bytes,
        message_time_limit=config.message_time_limit,
        retry_delay=timedelta(seconds=config.retry_delay),
        retry_delay_max=timedelta(seconds=config.retry_delay_max),
        rules_dir=config.rules_dir,
    )


def _dkim_verifier(lookup: TxtLookup | None) -> DkimVerifier:
    # Imported only when configured: dkimpy and dnspython take 86 ms and 14 MB to load.
    from mailbot.inbound.dkimcheck import DkimVerifier

    return DkimVerifier(lookup) if lookup else DkimVerifier()
