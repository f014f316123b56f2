"""The declared shape of config.toml: every section and key mailbot reads, with its type
and range. Unknown keys and sections are errors (a typo must not silently switch a
feature off). What needs more than the shape (exactly one inbox, secrets that must be
readable) stays in mailbot/config.py. A key checked with a pattern says in its
`description` what a value looks like: the words of its error (checking/explain.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Positive = Annotated[int, Field(gt=0)]
PositiveSeconds = Annotated[float, Field(gt=0)]
Port = Annotated[int, Field(ge=1, le=65535)]
Security = Literal["ssl", "starttls", "none"]


class Table(BaseModel):
    """A TOML table: strict types (no "993" for 993), no keys beyond the declared."""

    # defer_build: validators are built at the first validation, and only the files'
    # top-level models are ever validated (their tables are part of them): not one
    # validator per table class at every start (~10 ms of CPU, issue 17).
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


class Imap(Table):
    host: str
    port: Port | None = None
    security: Security = "ssl"
    username: str
    password: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    verify_tls: bool = True


class Maildir(Table):
    path: str
    processed_folder: str = "processed"
    quarantine_folder: str = "quarantine"


class Smtp(Table):
    host: str | None = None
    port: Port | None = None
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    verify_tls: bool = True
    from_: str = Field(alias="from")


class Outbox(Table):
    directory: str


class Database(Table):
    url: str = "sqlite:///mailbot.db"


class Orders(Table):
    csv: str | None = None


class Agents(Table):
    addresses: list[str] = []
    secret: str | None = None
    secret_env: str | None = None
    secret_file: str | None = None
    token_days: Positive = 30
    verify_dkim: bool = False
    trusted_authserv_id: str | None = None
    mta_strips_authentication_results: bool = False
    copy_decisions: bool = False


class Desk(Table):
    language: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$",
            description="a language tag (en, de, zh_Hans)",
        ),
    ] = "en"


class Paths(Table):
    rules: str = "rules"
    templates: str = "templates"


class Service(Table):
    poll_interval: PositiveSeconds = 60.0
    reminder_interval: PositiveSeconds = 60.0
    outbox_interval: PositiveSeconds = 30.0
    retry_delay: PositiveSeconds = 30.0
    retry_delay_max: PositiveSeconds = 3600.0
    message_time_limit: PositiveSeconds = 60.0
    replies_per_sender_hour: Positive = 10
    max_message_mb: Positive = 100
    workers: Positive = 1
    instance: str = "mailbot"


class Metrics(Table):
    # The Prometheus endpoint and /healthz; without it, none is served.
    listen: (
        Annotated[
            str,
            Field(
                pattern=r"^\[?[0-9A-Za-z.:-]*\]?:[0-9]{1,5}$",
                description="host:port (127.0.0.1:9464)",
            ),
        ]
        | None
    ) = None


class ConfigFile(Table):
    imap: Imap | None = None
    maildir: Maildir | None = None
    smtp: Smtp
    outbox: Outbox | None = None
    database: Database = Database()
    orders: Orders = Orders()
    agents: Agents = Agents()
    desk: Desk = Desk()
    paths: Paths = Paths()
    service: Service = Service()
    metrics: Metrics = Metrics()
