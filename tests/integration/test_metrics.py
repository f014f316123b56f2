"""`[metrics] listen`: while `mailbot run` answers mail from a real Dovecot over a real
SMTP server, /metrics is scraped over HTTP and its counters match the mail handled;
/healthz tells that the inbox and the database are fine."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mailbot.cli import main
from mailbot.testing import make_request
from tests.integration.dovecot import ImapAccount, free_port
from tests.integration.fixtures_smtp import SmtpServer
from tests.integration.test_run_end_to_end import _write_config


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def _samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = _get(url)
    assert status == 200, text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _wait_for(what: str, condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert proc.poll() is None, f"mailbot run stopped while waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} in 60 s"
        time.sleep(0.2)


def _decisions(log: Path) -> Counter[str]:
    """Outcomes as the service logged them, one line per message handled."""
    return Counter(re.findall(r"decision=(\S+)", log.read_text()))


def _handled(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> Counter[str]:
    return Counter(
        {dict(labels)["outcome"]: int(v) for (name, labels), v in samples.items()
         if name == "mailbot_mail_handled_total"}
    )  # fmt: skip


def test_metrics_match_the_mail_handled_while_the_service_runs(
    tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer
) -> None:
    config = _write_config(tmp_path, imap_account, smtp_server, f"sqlite:///{tmp_path / 'db'}")
    port = free_port()
    config.write_text(
        config.read_text()
        + f'\n[service]\npoll_interval = 0.5\n\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
    )
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "stderr"
    env = {**os.environ, "TEST_IMAP_PASSWORD": imap_account.password}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run"],
            env=env, stdout=subprocess.DEVNULL, stderr=sink,
        )  # fmt: skip
    try:
        _wait_for("the demo handled", lambda: sum(_decisions(log).values()) == 15, proc)
        _wait_for("a good pass", lambda: _get(f"{base}/healthz")[0] == 200, proc)
        samples = _samples(f"{base}/metrics")
        assert _handled(samples) == _decisions(log)
        assert samples[("mailbot_replies_sent_total", ())] == len(smtp_server.handler.received)
        assert samples[("mailbot_mail_failures_total", ())] == 0
        assert samples[("mailbot_mail_quarantined_total", ())] == 0
        assert samples[("mailbot_replies_dead_total", ())] == 0
        assert samples[("mailbot_inbox_backlog", ())] == 0
        tickets = {
            dict(labels)["state"]: v
            for (name, labels), v in samples.items()
            if name == "mailbot_tickets"
        }
        assert sum(tickets.values()) == 15 and tickets["approved"] == 3
        assert samples[("mailbot_oldest_review_waiting_seconds", ())] > 0  # demo k waits
        assert time.time() - samples[("mailbot_last_good_pass_timestamp_seconds", ())] < 60

        # One more mail: the counters follow.
        before = len(smtp_server.handler.received)
        imap_account.append(
            make_request(sender="stranger@example.net", subject="Hello", body="Do you sell cables?")
        )
        _wait_for("the new mail", lambda: sum(_decisions(log).values()) == 16, proc)
        _wait_for("its reply", lambda: len(smtp_server.handler.received) > before, proc)
        samples = _samples(f"{base}/metrics")
        assert _handled(samples) == _decisions(log)
        assert sum(_handled(samples).values()) == 16

        status, body = _get(f"{base}/healthz")
        report = json.loads(body)
        assert status == 200 and report["status"] == "ok"
        assert report["database"] == {"ok": True}
        assert report["inbox"]["ok"] and report["inbox"]["failed_passes_in_a_row"] == 0
        assert _get(f"{base}/nothing")[0] == 404
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0, log.read_text()


def test_a_port_in_use_is_a_clear_error(
    tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    config = _write_config(tmp_path, imap_account, smtp_server, f"sqlite:///{tmp_path / 'db'}",
                           only="")  # fmt: skip
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config.write_text(config.read_text() + f'\n[metrics]\nlisten = "127.0.0.1:{port}"\n')
        monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
        assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err
    assert "[metrics] listen cannot listen: [Errno 98] Address already in use" in err
