"""The command line as admins use it: options anywhere, help everywhere, one-line errors,
tickets found by customer or order, as JSON, with the mails sent in the desk's zone."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot import __version__
from mailbot.admin.grammar import build_parser
from mailbot.cli import COMMANDS, main
from mailbot.demo import build_demo

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, handled once: fifteen tickets, their replies sent to the outbox folder."""
    target = tmp_path_factory.mktemp("habits") / "demo"
    config = build_demo(target, datetime.now(UTC), REPO)
    assert main(["--config", str(config), "run", "--once"]) == 0
    return config


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"mailbot {__version__}\n"


def test_every_command_and_argument_has_help() -> None:
    def walk(parser: argparse.ArgumentParser, name: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if not choice.help:
                        missing.append(f"{name} {choice.dest}")
                for sub_name, sub in action.choices.items():
                    missing += walk(sub, f"{name} {sub_name}")
            elif not action.help:
                missing.append(f"{name} {action.dest}")
        return missing

    assert walk(build_parser(COMMANDS), "mailbot") == []


def test_config_before_or_after_the_command(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tickets", "--config", str(demo), "--limit", "1"]) == 0
    after = capsys.readouterr().out
    assert main(["--config", str(demo), "tickets", "--limit", "1"]) == 0
    assert capsys.readouterr().out == after and after.count("\n") == 2


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "no such file"),
        ("dir", "is a directory; give one mail file (.eml)"),
        (b"", "is empty, not a mail"),
        (bytes(range(256)) * 4, "not a mail (no header fields such as From: or Subject:)"),
        (b"just some words\nand more\n", "not a mail (no header fields"),
    ],
)
def test_simulate_refuses_what_is_not_a_mail_in_one_line(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, said: str
) -> None:
    target = tmp_path / "input.eml"
    if content == "dir":
        target.mkdir()
    elif isinstance(content, bytes):
        target.write_bytes(content)
    assert main(["simulate", str(target), "--config", str(demo)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"mailbot: {target}: {said}" + captured.err.split(said, 1)[1]
    assert captured.err.count("\n") == 1 and captured.out == ""


def test_an_unknown_state_is_refused_with_the_known_ones(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--config", str(demo), "tickets", "--state", "bogus"])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert "argument --state: invalid choice: 'bogus' (choose from 'new', 'needs_info'" in err


def test_tickets_by_customer_and_order_as_json(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(demo), "tickets", "--json"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert len(everything) == 15
    first = next(t for t in everything if t["order"] and t["rma"])
    assert (
        main(["tickets", "--customer", first["customer"].upper(), "--json", "--config", str(demo)])
        == 0
    )
    mine = json.loads(capsys.readouterr().out)
    assert {t["customer"] for t in mine} == {first["customer"]} and first in mine
    assert main(["tickets", "--order", first["order"], "--config", str(demo)]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["TICKET", "STATE", "SCENARIO", "ORDER", "RMA", "CUSTOMER"]
    assert [r.split()[0] for r in rows] == [
        t["reference"] for t in everything if t["order"] == first["order"]
    ]


def _reference_of_order(demo: Path, order: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The ticket of a demo order: which one is T-000001 depends on the order the inbox
    lists the demo's mails in, which their Maildir names decide, not the test."""
    assert main(["--config", str(demo), "tickets", "--order", order, "--json"]) == 0
    [ticket] = json.loads(capsys.readouterr().out)
    reference: str = ticket["reference"]
    return reference


def test_the_ticket_view_lists_every_mail_sent_in_the_desks_zone(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = _reference_of_order(demo, "100201", capsys)  # the RMA issued at once
    assert main(["--config", str(demo), "ticket", reference, "--json"]) == 0
    ticket = json.loads(capsys.readouterr().out)
    [mail] = ticket["mails"]
    assert mail["to"] == ticket["customer"] and mail["status"] == "sent"
    assert f"[{ticket['reference']}]" in mail["subject"]
    # Europe/Berlin (rules/policy.toml): +01:00 in winter, +02:00 in summer.
    assert mail["sent_at"].endswith(("+01:00", "+02:00"))
    assert main(["--config", str(demo), "ticket", str(int(reference.removeprefix("T-")))]) == 0
    out = capsys.readouterr().out
    sent_line = next(line for line in out.splitlines() if f"to {mail['to']}:" in line)
    assert sent_line.count(" CET") + sent_line.count(" CEST") == 2
    assert mail["subject"] in sent_line and "(sent " in sent_line
    assert "timeline:" in out and "bot: decision rma_issued" in out


def test_verbose_is_mailbots_debug_not_the_databases_sql(demo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "--config", str(demo), "-v", "ticket", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "mails sent:" in done.stdout
    assert "SELECT" not in done.stderr and '"tickets"' not in done.stderr
