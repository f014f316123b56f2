"""What `mailbot run` says at start, and SIGHUP: config, rules and templates read again.

A reload is all or nothing for the config and the templates: a config or template with a
problem is logged and the running ones stay. The rules then reload as an edit of them
does (Service.reload_rules: the last good rules stay, the agents are told). What only a
restart can change (the inbox, the database, the way out, the intervals, workers) is
named in the log when it differs.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import fields
from datetime import timedelta

from mailbot import __version__
from mailbot.config import Config, load_config
from mailbot.errors import MailbotError, TemplateError
from mailbot.outbound.render import Renderer
from mailbot.shell.service import Service
from mailbot.store.orderscsv import read_orders

log = logging.getLogger("mailbot")
# Config fields a running service cannot take over.
RESTART_ONLY = (
    "imap",
    "maildir",
    "smtp",
    "outbox_directory",
    "database_url",
    "workers",
    "poll_interval",
    "reminder_interval",
    "outbox_interval",
    "verify_dkim",
)


def safe_url(url: str) -> str:
    """A database url without its password."""
    return re.sub(r"^([a-z]+://[^:/@]*):[^@]*@", r"\1:***@", url)


def inbox_name(config: Config) -> str:
    if config.imap is not None:
        i = config.imap
        return f"imap {i.security} {i.username}@{i.host}:{i.port}/{i.folder}"
    assert config.maildir is not None
    return f"maildir {config.maildir.path}"


def startup_line(config: Config, service: Service, workers: int) -> str:
    """Everything an admin asks first about a running bot, in one line."""
    return (
        f"mailbot {__version__} starting: config {config.path}; inbox {inbox_name(config)};"
        f" database {safe_url(config.database_url)}; rules {config.rules_dir}"
        f" version {service.rules.version}; templates {config.templates_dir};"
        f" workers {workers}"
    )


class Reloader:
    """Set by SIGHUP (`request`), applied by the service loop between passes (`apply`)."""

    def __init__(self, service: Service, config: Config) -> None:
        self.service, self.config = service, config
        self._requested = threading.Event()

    def request(self, signum: int = 0, frame: object = None) -> None:
        """The signal handler: only marks the request (the loop may be mid-message)."""
        self._requested.set()

    def apply(self) -> None:
        """Reload if asked to; never raises (a bad reload leaves everything running)."""
        if not self._requested.is_set():
            return
        self._requested.clear()
        try:
            config = load_config(self.config.path)
            renderer = Renderer(config.templates_dir, config.desk_language)
            problems = renderer.check()
            if problems:
                raise TemplateError("\n".join(problems))
            orders = read_orders(config.orders_csv) if config.orders_csv else None
        except MailbotError as exc:
            log.error("reload refused, the running config and templates stay:\n%s", exc)
            return
        old, self.config = self.config, config
        kept = [f.name for f in fields(Config) if f.name in RESTART_ONLY]
        changed = [name for name in kept if getattr(old, name) != getattr(config, name)]
        if changed:
            log.warning("reload: %s changed; a restart applies it", ", ".join(changed))
        s = self.service
        s.renderer = renderer
        s.from_addr, s.instance, s.agents = config.from_addr, config.instance, config.agents
        s.agent_secret, s.token_days = config.agent_secret, config.token_days
        s.authserv_id = (
            config.trusted_authserv_id if config.mta_strips_authentication_results else None
        )
        s.copy_decisions = config.copy_decisions
        s.replies_per_sender_hour = config.replies_per_sender_hour
        s.max_message_bytes = config.max_message_bytes
        s.message_time_limit = config.message_time_limit
        s.retry_delay = timedelta(seconds=config.retry_delay)
        s.retry_delay_max = timedelta(seconds=config.retry_delay_max)
        s.rules_dir = config.rules_dir
        s.rebuild_mailer()
        if orders is not None:
            s.store.orders.import_orders(orders)
        s.reload_rules()
        log.info("reloaded: config %s, templates %s", config.path, config.templates_dir)
