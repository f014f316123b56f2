"""Schema versions: a database made before versions were recorded (the committed fixture,
written by mailbot 0.1's demo) is upgraded and then works; a newer one is refused."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.demo import build_demo
from mailbot.store import Store
from mailbot.store.migrations import CURRENT, schema_version

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "data" / "schema" / "before-versions.db"


def _demo_on_fixture(tmp_path: Path) -> Path:
    config = build_demo(tmp_path / "demo", datetime.now(UTC), REPO)
    shutil.copyfile(FIXTURE, config.parent / "mailbot.db")
    return config


def test_a_database_from_before_versions_is_upgraded_and_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _demo_on_fixture(tmp_path)
    db = config.parent / "mailbot.db"
    with sqlite3.connect(db) as plain:
        old_tickets = plain.execute("SELECT reference, rma FROM tickets ORDER BY id").fetchall()
    assert len(old_tickets) == 11
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert capsys.readouterr().out == f"database schema upgraded from version 0 to {CURRENT}\n"
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert capsys.readouterr().out == f"database schema is at version {CURRENT}, the current one\n"

    # The smoke test of the suite (test_cli's demo run) on the upgraded database: the demo's
    # requests are handled beside the old tickets (some join an old one of the same
    # customer and order), all replies written.
    assert main(["--config", str(config), "run", "--once"]) == 0
    assert len(list((config.parent / "outbox").glob("*.eml"))) == 17
    store = Store(f"sqlite:///{db}")
    tickets = store.tickets.listed(limit=100)
    assert 15 < len(tickets) <= 26
    for reference, rma in old_tickets:
        kept = store.tickets.find(reference)
        assert kept is not None and kept.rma == rma
    assert main(["--config", str(config), "ticket", old_tickets[0][0]]) == 0
    assert "bot: decision rma_issued" in capsys.readouterr().out


def test_run_upgrades_at_start(tmp_path: Path) -> None:
    config = _demo_on_fixture(tmp_path)
    assert main(["--config", str(config), "run", "--once"]) == 0
    store = Store(f"sqlite:///{config.parent / 'mailbot.db'}")
    assert schema_version(store.db.engine) == CURRENT


def test_a_database_from_a_newer_mailbot_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _demo_on_fixture(tmp_path)
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    with sqlite3.connect(config.parent / "mailbot.db") as plain:
        plain.execute(
            "INSERT INTO schema_version VALUES (?, 'from the future', '2030-01-01')",
            (CURRENT + 1,),
        )
    capsys.readouterr()
    assert main(["--config", str(config), "run", "--once"]) == 2
    assert capsys.readouterr().err == (
        f"mailbot: the database has schema version {CURRENT + 1}, newer than this"
        f" mailbot's ({CURRENT}): run the mailbot that upgraded it, or a newer one\n"
    )
