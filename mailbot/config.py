"""config.toml -> frozen dataclasses. Every error names the key and what is wrong.

Relative paths are read relative to the config file's folder. Passwords come from the
file, from `password_env` (the name of an environment variable), from `password_file`,
or by default from MAILBOT_IMAP_PASSWORD / MAILBOT_SMTP_PASSWORD.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from mailbot.checking.tomllines import line_of
from mailbot.checking.validate import config_problems
from mailbot.errors import ConfigError, InvalidConfig, RuleFileError

SECURITY = ("ssl", "starttls", "none")
_KINDS = {
    int: "a whole number",
    float: "a number",
    str: "a string",
    bool: "true or false",
    list: "a list",
}
Security = Literal["ssl", "starttls", "none"]
_T = TypeVar("_T")
_DEFAULT_PORTS = {
    "imap": {"ssl": 993, "starttls": 143, "none": 143},
    "smtp": {"ssl": 465, "starttls": 587, "none": 25},
}


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    security: Security
    username: str
    password: str
    folder: str
    processed_folder: str
    verify_tls: bool
    quarantine_folder: str = "Quarantine"


@dataclass(frozen=True)
class MaildirConfig:
    path: Path
    processed_folder: str
    quarantine_folder: str = "quarantine"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: Security
    username: str | None
    password: str | None
    verify_tls: bool


@dataclass(frozen=True)
class Config:
    path: Path
    imap: ImapConfig | None
    maildir: MaildirConfig | None
    smtp: SmtpConfig | None
    outbox_directory: Path | None
    from_addr: str
    database_url: str
    orders_csv: Path | None
    agents: tuple[str, ...]
    rules_dir: Path
    templates_dir: Path
    poll_interval: float
    instance: str
    # `mailbot run`: seconds between the scheduler's reminder sweeps and outbox retries.
    reminder_interval: float = 60.0
    outbox_interval: float = 30.0
    # Seconds before a failed reply is tried again, doubling with each failure to the max.
    retry_delay: float = 30.0
    retry_delay_max: float = 3600.0
    # Signs the per-ticket token in mail to agents; commands carrying it are authentic.
    agent_secret: str | None = None
    # A token is valid this many days after the day it was issued.
    token_days: int = 30
    # mailbot verifies the DKIM signatures of agents' mail itself (DNS lookups).
    verify_dkim: bool = False
    # Authentication-Results from this server (our MX) may vouch for an agent by DKIM...
    trusted_authserv_id: str | None = None
    # ...only when the admin declares that the server removes such headers arriving from
    # outside (RFC 8601 section 5); otherwise anyone could write one.
    mta_strips_authentication_results: bool = False
    # Send the agents a copy of every decision, not only of those that need a person.
    copy_decisions: bool = False
    # At most this many replies to one address per hour: stops any mail loop that gets
    # past the auto-reply headers.
    replies_per_sender_hour: int = 10
    # Larger messages (by the server's RFC822.SIZE) are not read; the customer is asked
    # to split them or send links.
    max_message_bytes: int = 100_000_000
    # Processes `mailbot run` starts (itself included); they share the inbox by claims.
    workers: int = 1
    # Seconds one message's handling may take before it fails (and counts towards
    # quarantine) so that the inbox pass goes on; see mailbot/shell/watchdog.py.
    message_time_limit: float = 60.0
    # The desk's own language: agents' mail, and replies to customers who write in a
    # language the desk has no catalog for.
    desk_language: str = "en"
    # host:port where `mailbot run` serves /metrics and /healthz (None: it does not).
    metrics_listen: str | None = None


class _Section:
    """Typed reads from one table, errors naming `[section] key`."""

    def __init__(self, cfg: _Reader, name: str) -> None:
        self.cfg, self.name = cfg, name
        raw = cfg.data.get(name, {})
        if not isinstance(raw, dict):
            raise ConfigError(str(cfg.path), name, "must be a table")
        self.data: dict[str, Any] = raw

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(str(self.cfg.path), f"{self.name}.{key}" if key else self.name, problem)

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if kind is int and isinstance(value, bool):
            raise self.fail(key, f"must be a whole number, not {value!r}")
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_KINDS.get(kind, kind.__name__)}, not {value!r}")
        return value

    def path(self, key: str, default: Any = ...) -> Path:
        value: str = self.get(key, str, default)
        return (self.cfg.path.parent / Path(value).expanduser()).resolve()

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value: str = self.get(key, str, default)
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def secret(self, env_default: str, required: bool, key: str = "password") -> str | None:
        """A secret: inline `key`, from `key`_env, from `key`_file, or $env_default."""
        if key in self.data:
            return str(self.get(key, str))
        if f"{key}_env" in self.data:
            name: str = self.get(f"{key}_env", str)
            if name not in os.environ:
                raise self.fail(f"{key}_env", f"environment variable {name} is not set")
            return os.environ[name]
        if f"{key}_file" in self.data:
            target = self.path(f"{key}_file")
            try:
                return target.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise self.fail(f"{key}_file", f"cannot read {target}: {exc.strerror}") from None
        if env_default in os.environ:
            return os.environ[env_default]
        if required:
            raise self.fail(key, f"is required (or {key}_env, {key}_file, ${env_default})")
        return None


class _Reader:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path, self.data = path, data

    def section(self, name: str) -> _Section:
        return _Section(self, name)


def _imap(cfg: _Reader) -> ImapConfig | None:
    if "imap" not in cfg.data:
        return None
    s = cfg.section("imap")
    security = s.choice("security", SECURITY, "ssl")
    return ImapConfig(
        host=s.get("host", str),
        port=s.get("port", int, _DEFAULT_PORTS["imap"][security]),
        security=cast(Security, security),
        username=s.get("username", str),
        password=s.secret("MAILBOT_IMAP_PASSWORD", required=True) or "",
        folder=s.get("folder", str, "INBOX"),
        processed_folder=s.get("processed_folder", str, "Processed"),
        verify_tls=s.get("verify_tls", bool, True),
        quarantine_folder=s.get("quarantine_folder", str, "Quarantine"),
    )


def _smtp(cfg: _Reader) -> SmtpConfig | None:
    s = cfg.section("smtp")
    if "host" not in s.data:
        return None
    security = s.choice("security", SECURITY, "starttls")
    username: str | None = s.get("username", str, None)
    return SmtpConfig(
        host=s.get("host", str),
        port=s.get("port", int, _DEFAULT_PORTS["smtp"][security]),
        security=cast(Security, security),
        username=username,
        password=s.secret("MAILBOT_SMTP_PASSWORD", required=username is not None),
        verify_tls=s.get("verify_tls", bool, True),
    )


def _maildir(cfg: _Reader) -> MaildirConfig | None:
    if "maildir" not in cfg.data:
        return None
    s = cfg.section("maildir")
    return MaildirConfig(
        s.path("path"),
        s.get("processed_folder", str, "processed"),
        s.get("quarantine_folder", str, "quarantine"),
    )


def _database_url(cfg: _Reader) -> str:
    s = cfg.section("database")
    url: str = s.get("url", str, "sqlite:///mailbot.db")
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return "sqlite:///" + str((cfg.path.parent / url[len("sqlite:///") :]).resolve())
    if not url.startswith(("postgresql://", "postgres://", "sqlite:///")):
        raise s.fail(
            "url", f"must start with sqlite:/// or postgresql://, not {url.split(':')[0]!r}"
        )
    return url


def load_config(path: Path) -> Config:
    """Read and validate a config file; raise ConfigError naming the key on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(
            str(path), "", "config file not found (use --config or $MAILBOT_CONFIG)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"not valid TOML: {exc}") from None
    problems = config_problems(path, text, data)
    if problems:
        raise InvalidConfig(problems)
    cfg = _Reader(path.resolve(), data)
    # What the schema cannot see (secrets to read, one inbox, one way out) is checked
    # here, every problem collected, so that `check` names them all in one run.
    found: list[ConfigError] = []

    def attempt(build: Callable[[], _T], fallback: _T) -> _T:
        try:
            return build()
        except ConfigError as exc:
            found.append(exc)
            return fallback

    imap, maildir = attempt(lambda: _imap(cfg), None), _maildir(cfg)
    if (imap is None) == (maildir is None) and not found:
        found.append(
            ConfigError(str(path), "imap", "configure exactly one inbox: [imap] or [maildir]")
        )
    smtp = attempt(lambda: _smtp(cfg), None)
    outbox = (
        cfg.section("outbox").path("directory", None)
        if "directory" in cfg.section("outbox").data
        else None
    )
    if (smtp is None) == (outbox is None) and not any(e.key.startswith("smtp") for e in found):
        found.append(
            ConfigError(
                str(path),
                "smtp",
                "configure exactly one way out: [smtp] host or [outbox] directory",
            )
        )
    orders = cfg.section("orders")
    agent_section = cfg.section("agents")
    agents: list[Any] = agent_section.get("addresses", list, [])
    if any(not isinstance(a, str) or "@" not in a for a in agents):
        found.append(agent_section.fail("addresses", "must be a list of email addresses"))
    agent_secret = attempt(
        lambda: agent_section.secret("MAILBOT_AGENT_SECRET", False, key="secret"), None
    )
    if agent_secret is not None and len(agent_secret) < 16:
        found.append(agent_section.fail("secret", "must be at least 16 characters long"))
    database_url = attempt(lambda: _database_url(cfg), "")
    if found:
        raise InvalidConfig(
            [RuleFileError(e.path, e.key, e.problem, line_of(text, e.key)) for e in found]
        )
    paths, service = cfg.section("paths"), cfg.section("service")
    intervals: dict[str, float] = {}
    for key, default in (
        ("poll_interval", 60.0),
        ("reminder_interval", 60.0),
        ("outbox_interval", 30.0),
        ("message_time_limit", 60.0),
        ("retry_delay", 30.0),
        ("retry_delay_max", 3600.0),
    ):
        intervals[key] = service.get(key, float, default)  # > 0: the schema checked
    if intervals["retry_delay_max"] < intervals["retry_delay"]:
        raise service.fail("retry_delay_max", "must not be less than retry_delay")
    return Config(
        path=cfg.path,
        imap=imap,
        maildir=maildir,
        smtp=smtp,
        outbox_directory=outbox,
        from_addr=cfg.section("smtp").get("from", str),
        database_url=database_url,
        orders_csv=orders.path("csv") if "csv" in orders.data else None,
        agents=tuple(a.lower() for a in agents),
        rules_dir=paths.path("rules", "rules"),
        templates_dir=paths.path("templates", "templates"),
        poll_interval=intervals["poll_interval"],
        instance=service.get("instance", str, "mailbot"),
        reminder_interval=intervals["reminder_interval"],
        outbox_interval=intervals["outbox_interval"],
        retry_delay=intervals["retry_delay"],
        retry_delay_max=intervals["retry_delay_max"],
        agent_secret=agent_secret,
        token_days=agent_section.get("token_days", int, 30),
        verify_dkim=agent_section.get("verify_dkim", bool, False),
        trusted_authserv_id=agent_section.get("trusted_authserv_id", str, None),
        mta_strips_authentication_results=agent_section.get(
            "mta_strips_authentication_results", bool, False
        ),
        copy_decisions=agent_section.get("copy_decisions", bool, False),
        replies_per_sender_hour=service.get("replies_per_sender_hour", int, 10),
        max_message_bytes=service.get("max_message_mb", int, 100) * 1_000_000,
        workers=service.get("workers", int, 1),
        message_time_limit=intervals["message_time_limit"],
        desk_language=cfg.section("desk").get("language", str, "en"),
        metrics_listen=cfg.section("metrics").get("listen", str, None),
    )
