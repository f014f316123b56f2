"""Fixtures of the integration tests: a private Dovecot for the session and a fresh IMAP
account per test; SMTP and database fixtures live in fixtures_*.py and are shared here.

scripts/test runs the suite in two processes (pytest-xdist), each a session of its own:
its own Dovecot, PostgreSQL database and temp dirs, servers on free ports. A test that
needs a fixed port, path or database name would clash with its twin in the other one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.integration.dovecot import DovecotServer, ImapAccount
from tests.integration.fixtures_pg import db_url, pg_database, pg_url  # noqa: F401
from tests.integration.fixtures_smtp import SmtpServer, smtp_server  # noqa: F401

# The agents' token secret the test configs name (secret_env); bots started as
# subprocesses inherit it.
AGENT_SECRET = "integration-test-agent-secret"
os.environ["TEST_AGENT_SECRET"] = AGENT_SECRET


def _running_server(extra_config: str = "") -> Iterator[DovecotServer]:
    """Dovecot on a free loopback port; fails (never skips) with its log if it cannot run."""
    # Not pytest's tmp_path: its parents are private to us, and Dovecot's mail user
    # must be able to pass through to the mail directories.
    root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
    server = DovecotServer(root, extra_config)
    try:
        server.start()
    except Exception as error:
        server.stop()
        pytest.fail(f"Dovecot did not start: {error}\n--- dovecot log ---\n{server.log}")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """The shared test server, with Dovecot's default capabilities (MOVE, UIDPLUS…)."""
    yield from _running_server()


@pytest.fixture(scope="session", params=["UIDPLUS", ""], ids=["no-move", "no-move-no-uidplus"])
def limited_server(request: pytest.FixtureRequest) -> Iterator[DovecotServer]:
    """A server that announces neither MOVE nor (in one variant) UIDPLUS."""
    yield from _running_server(f"imap_capability = IMAP4rev1 LITERAL+ {request.param}")


@pytest.fixture
def limited_account(limited_server: DovecotServer) -> ImapAccount:
    """A fresh account on a server without MOVE."""
    return ImapAccount(limited_server, limited_server.new_user())


@pytest.fixture
def imap_account(dovecot_server: DovecotServer) -> ImapAccount:
    """An account nobody used before: its INBOX is empty."""
    return ImapAccount(dovecot_server, dovecot_server.new_user())


Desk = tuple[Path, dict[str, EmailMessage]]  # the config, the demo replies by letter


@pytest.fixture
def desk(
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Desk:
    """The demo requests answered once (SQLite)."""
    from tests.integration.test_run_end_to_end import _first_run

    return _first_run(tmp_path, imap_account, smtp_server, monkeypatch)
