"""The command line over the bundled demo: Maildir in, .eml files out, SQLite."""

from __future__ import annotations

import json
import mailbox
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.demo import build_demo
from mailbot.testing import make_request

REPO = Path(__file__).resolve().parents[2]


def test_demo_answers_every_request_and_a_rerun_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo"
    assert main(["demo", "--dir", str(target)]) == 0
    out = capsys.readouterr().out
    assert len([line for line in out.splitlines() if line.startswith("T-")]) == 15
    # One reply per request, and two notices to the agent (h: not the order's customer;
    # k: a cloud link to check).
    written = list((target / "outbox").glob("*.eml"))
    assert len(written) == 17
    # Each customer is answered in the language they wrote in.
    parsed = [BytesParser(policy=default_policy).parsebytes(p.read_bytes()) for p in written]
    languages = {str(m["To"]).split("@")[0]: m["Content-Language"] for m in parsed}
    assert languages["s.wagner"] == "de" and languages["camille.laurent"] == "fr"
    assert languages["lucia.fernandez"] == "es" and languages["wang.fang"] == "zh-Hans"
    assert languages["anna.becker"] == "en"
    config = str(target / "config.toml")
    assert main(["--config", config, "run", "--once"]) == 0
    assert len(list((target / "outbox").glob("*.eml"))) == 17

    assert main(["--config", config, "tickets", "--state", "approved"]) == 0
    header, *approved = capsys.readouterr().out.splitlines()
    assert header.split()[:2] == ["TICKET", "STATE"]
    assert len(approved) == 3 and all("RMA" in line for line in approved)
    assert main(["--config", config, "ticket", approved[0].split()[0]]) == 0
    timeline = capsys.readouterr().out
    assert "bot: decision rma_issued" in timeline and "- evidence complete" in timeline


def test_simulate_json_decides_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo"
    main(["demo", "--dir", str(target)])
    capsys.readouterr()
    (target / "mailbot.db").unlink()
    processed = mailbox.Maildir(target / "inbox" / ".processed", create=False)
    raw = next(
        processed.get_bytes(k) for k in processed.iterkeys() if b"demo-g-" in processed.get_bytes(k)
    )
    eml = tmp_path / "request.eml"
    eml.write_bytes(raw)

    assert main(["--config", str(target / "config.toml"), "simulate", str(eml), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["scenario"], result["outcome"], result["state"]) == (
        "demand_change",
        "rma_issued",
        "approved",
    )
    assert (result["language"], result["kind"]) == ("en", "return")
    assert "= €78.10" in result["replies"][0]["text"]
    assert result["replies"][0]["language"] == "en"
    assert not (target / "mailbot.db").exists()


def test_bad_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[maildir]\npath = "m"\n[outbox]\ndirectory = "o"\n[smtp]\nfrom = 7\n')
    assert main(["--config", str(config), "check"]) == 2
    assert f"{config}:6: smtp.from: must be a string, not 7" in capsys.readouterr().err


def test_orders_import_and_a_bad_row_named_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo"
    main(["demo", "--dir", str(target)])
    config = str(target / "config.toml")
    rows = (target / "orders.csv").read_text().splitlines()
    extra = tmp_path / "more.csv"
    new_row = rows[1].replace("100201", "100999", 1)
    extra.write_text("\n".join([rows[0], new_row]) + "\n")
    capsys.readouterr()
    assert main(["--config", config, "orders", "import", str(extra)]) == 0
    assert "1 orders imported" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join(
            [rows[0], rows[1], new_row.replace("100999", "101000", 1).replace(",1,", ",one,", 1)]
        )
        + "\n"
    )
    assert main(["--config", config, "orders", "import", str(bad)]) == 2
    assert f"{bad}:3: column quantity: 'one' is not a whole number" in capsys.readouterr().err


def test_run_keeps_polling_until_stopped(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    config = build_demo(target, datetime.now(UTC), REPO)
    config.write_text(config.read_text() + "\n[service]\npoll_interval = 0.2\n")
    outbox = target / "outbox"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: len(list(outbox.glob("[!.]*.eml"))) == 17, proc)
        late = make_request(
            sender="anna.becker@example.com", subject="Return order 100201", body="It is broken."
        )
        mailbox.Maildir(target / "inbox", create=False).add(late)
        _wait_for(lambda: len(list(outbox.glob("[!.]*.eml"))) == 18, proc)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    # Generous: on a busy machine the interpreter's start alone can take many seconds.
    deadline = time.monotonic() + 120
    while not condition():
        assert proc.poll() is None, "mailbot run stopped by itself"
        assert time.monotonic() < deadline, "mailbot run did not get there in 120 s"
        time.sleep(0.1)


def _logged_at(line: str) -> datetime:
    """The time of a line of the text log ("2026-12-03 16:41:07,500 WARNING …")."""
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


def test_run_backs_off_while_the_imap_server_is_down(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "config.toml"
    config.write_text(
        f'[imap]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'username = "u"\npassword = "p"\n'
        f'[outbox]\ndirectory = "out"\n[smtp]\nfrom = "returns@shop.example"\n'
        f'[paths]\nrules = "{REPO / "rules"}"\ntemplates = "{REPO / "templates"}"\n'
        "[service]\npoll_interval = 0.1\nreminder_interval = 600\n"
    )
    err = tmp_path / "stderr"
    with err.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )

    def failures() -> list[str]:
        return [line for line in err.read_text().splitlines() if " time(s) in a row; " in line]

    try:
        _wait_for(lambda: len(failures()) >= 2, proc)  # the service waits, it does not stop
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    log = err.read_text()
    assert proc.returncode == 0, log
    first, second = failures()[:2]
    assert "failed 1 time(s) in a row; next try in 2 s" in first, log
    assert "failed 2 time(s) in a row; next try in 4 s" in second, log
    # It slept the 2 s it announced before trying again: a back-off, not a tight loop.
    assert (_logged_at(second) - _logged_at(first)).total_seconds() >= 1.99, log  # ms stamps
    assert f"127.0.0.1:{port}" in log and "cannot connect" in log


def test_run_picks_up_rule_edits_and_keeps_the_last_good_rules(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    config = build_demo(target, datetime.now(UTC), REPO)
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    text = config.read_text().replace(str(REPO / "rules"), str(rules))
    config.write_text(text + "\n[service]\npoll_interval = 0.2\n")
    # Replies are "[!.]*.eml": the outbox's ".tmp-*.eml" are being written (then renamed).
    outbox, inbox = target / "outbox", mailbox.Maildir(target / "inbox", create=False)
    err = tmp_path / "stderr"
    with err.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )

    def mails() -> list[str]:
        found = []
        for path in sorted(outbox.glob("[!.]*.eml")):
            msg = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
            body = msg.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            found.append(f"{msg['Subject']}\n{msg['In-Reply-To']}\n{text}")
        return found

    def ask(n: int) -> None:
        inbox.add(
            make_request(
                sender="anna.becker@example.com",
                subject="Return order 100201",
                body="It is broken.",
                message_id=f"<ask-{n}@example.com>",
            )
        )

    def save(text: str) -> None:
        """Save the policy as an editor does: the bot never reads half of it."""
        staged = tmp_path / "policy.toml.new"
        staged.write_text(text)
        os.replace(staged, policy)

    def logged(what: str) -> bool:
        return what in err.read_text()

    policy = rules / "policy.toml"
    good = policy.read_text()
    try:
        _wait_for(lambda: len(mails()) == 17, proc)
        save(good.replace("return_days = 30", 'return_days = "thirty"'))
        ask(1)
        _wait_for(lambda: len(mails()) == 19, proc)  # the answer, and the alert
        alert = next(m for m in mails() if "Rule files not reloaded" in m)
        assert "windows.return_days" in alert and "policy.toml" in alert
        answer = next(m for m in mails() if "<ask-1@example.com>" in m)
        assert "Parts Shop returns desk" in answer  # answered with the last good rules
        save(good.replace('shop_name = "Parts Shop"', 'shop_name = "Parts Shop Berlin"'))
        # A pass that read the rules before the save may still be going: ask once the
        # new rules are in force.
        _wait_for(lambda: logged("rules reloaded"), proc)
        ask(2)
        _wait_for(lambda: len(mails()) == 20, proc)
        assert any(
            "<ask-2@example.com>" in m and "Parts Shop Berlin returns desk" in m for m in mails()
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert logged("rules not reloaded") and logged("rules reloaded")
