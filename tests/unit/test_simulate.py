"""`simulate` takes the steps `run` takes (one `handle`, over a read-only unit of work):
the same verdict for mail the loop guard stops, and it writes nothing."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.config import load_config
from mailbot.shell.bootstrap import build_service
from mailbot.shell.handled import Handled
from mailbot.shell.simulate import simulate
from mailbot.store import Store
from mailbot.testing import make_request


@pytest.fixture
def demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The demo, after its run: every request handled and recorded."""
    target = tmp_path / "demo"
    assert main(["demo", "--dir", str(target)]) == 0
    capsys.readouterr()
    return target


def _simulated_then_run(demo: Path, raw: bytes) -> tuple[Handled, Handled]:
    """The verdict of `simulate` on `raw`, then of `run` on the same mail delivered."""
    config = load_config(demo / "config.toml")
    eml = demo.parent / "mail.eml"
    eml.write_bytes(raw)
    simulated = simulate(config, eml).handled
    mailbox.Maildir(demo / "inbox", create=False).add(raw)
    service = build_service(config)
    [ran] = service.process_inbox().handled
    service.store.close()
    return simulated, ran


def _count(demo: Path, table: str) -> int:
    store = Store(f"sqlite:///{demo / 'mailbot.db'}")
    count = int(store.db.scalar(f'SELECT COUNT(*) FROM "{table}"'))
    store.close()
    return count


def test_an_out_of_office_gets_the_same_verdict_from_simulate_and_run(demo: Path) -> None:
    away = make_request(
        sender="anna.becker@example.com",
        subject="Automatic reply: Return request - Order 100201",
        body="I am out of the office until Monday and will read your mail then.",
        message_id="<away-1@example.com>",
    )
    raw = b"Auto-Submitted: auto-replied\n" + away
    audit_before = _count(demo, "audit_events")
    simulated, ran = _simulated_then_run(demo, raw)
    assert (simulated.outcome, simulated.reasons) == (ran.outcome, ran.reasons)
    assert ran.outcome == "skipped" and ran.reasons == ("Auto-Submitted: auto-replied",)
    # The dry run wrote nothing; the run recorded one skip.
    assert _count(demo, "audit_events") == audit_before + 1


def test_a_duplicate_message_id_gets_the_same_verdict_from_simulate_and_run(
    demo: Path,
) -> None:
    processed = mailbox.Maildir(demo / "inbox" / ".processed", create=False)
    raw = next(
        data for key in processed.iterkeys() if b"demo-g-" in (data := processed.get_bytes(key))
    )
    outbox_before = _count(demo, "outbox")
    simulated, ran = _simulated_then_run(demo, raw)
    assert (simulated.outcome, simulated.reasons) == (ran.outcome, ran.reasons)
    assert ran.outcome == "skipped"
    assert ran.reasons[0].startswith("already handled: same Message-ID as maildir:")
    assert _count(demo, "outbox") == outbox_before  # answered once, by the first run


def test_a_dry_run_shows_the_answer_and_writes_nothing(demo: Path) -> None:
    raw = make_request(
        sender="anna.becker@example.com",
        subject="Return request - Order 100201",
        body="Hello, the board from order 100201 arrived dead, it does not power on.",
    )
    eml = demo.parent / "request.eml"
    eml.write_bytes(raw)
    tickets_before = _count(demo, "tickets")
    outcome = simulate(load_config(demo / "config.toml"), eml)
    assert outcome.decision is not None and outcome.letters
    assert outcome.letters[0].reply.to == "anna.becker@example.com"
    assert outcome.handled.ticket.startswith("T-")
    assert _count(demo, "tickets") == tickets_before
