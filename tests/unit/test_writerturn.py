"""WriterTurn: writers of one SQLite file take turns on a real flock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mailbot.store.writerturn import WriterTurn

# A second process holds the turn until its stdin closes.
HOLDER = """
import sys
from mailbot.store.writerturn import WriterTurn
with WriterTurn(sys.argv[1]).held():
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_second_thread_waits_for_the_turn_and_gets_it_at_release(tmp_path: Path) -> None:
    turn = WriterTurn(str(tmp_path / "mailbot.db"))
    events: list[str] = []
    started = threading.Event()

    def second() -> None:
        started.set()
        with turn.held():
            events.append("second has it")

    with turn.held():
        thread = threading.Thread(target=second)
        thread.start()
        started.wait(5)
        time.sleep(0.2)  # long enough for the second thread to reach flock
        events.append("first releases")
    thread.join(5)
    assert events == ["first releases", "second has it"]
    assert (tmp_path / "mailbot.db-writers").exists()


def test_nested_turns_of_one_thread_lock_once(tmp_path: Path) -> None:
    turn = WriterTurn(str(tmp_path / "mailbot.db"))
    got = threading.Event()

    def other() -> None:
        with turn.held():
            got.set()

    thread = threading.Thread(target=other)
    with turn.held():
        with turn.held():
            pass
        thread.start()
        assert not got.wait(0.3)  # the inner turn's end did not release the outer one
    assert got.wait(5)
    thread.join(5)


def test_a_turn_held_by_another_process_blocks_until_it_ends(tmp_path: Path) -> None:
    database = str(tmp_path / "mailbot.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline() == "held\n"
        got = threading.Event()

        def take() -> None:
            with WriterTurn(database).held():
                got.set()

        thread = threading.Thread(target=take)
        thread.start()
        assert not got.wait(0.3)
        holder.stdin.close()
        assert got.wait(5)
        thread.join(5)
    finally:
        holder.kill()
        holder.wait()


def test_an_error_in_the_body_releases_the_turn(tmp_path: Path) -> None:
    turn = WriterTurn(str(tmp_path / "mailbot.db"))
    try:
        with turn.held():
            raise ValueError("boom")
    except ValueError:
        pass
    got = threading.Event()

    def other() -> None:
        with turn.held():
            got.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(5)
    assert got.is_set()


def test_without_a_usable_lock_file_the_writer_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "mailbot.db"
    # The lock file's place points into a folder that does not exist: it cannot be made.
    (tmp_path / "mailbot.db-writers").symlink_to(tmp_path / "missing" / "lock")
    turn = WriterTurn(str(database))
    ran = []
    with turn.held():
        ran.append(1)
    with turn.held():
        ran.append(2)
    assert ran == [1, 2]
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "mailbot.db-writers: cannot open" in warning
