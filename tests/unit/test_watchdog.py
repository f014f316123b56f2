"""The per-message time limit: what it interrupts, and where it is not armed."""

from __future__ import annotations

import re
import signal
import threading
import time

import pytest

from mailbot.shell.watchdog import MessageTimeout, time_limit


def test_python_code_past_the_limit_is_interrupted() -> None:
    message = re.escape("handling imap:1:7 took longer than 0.1 s")
    with pytest.raises(MessageTimeout, match=message), time_limit(0.1, "handling imap:1:7"):
        while True:
            time.sleep(0.01)


def test_a_backtracking_re_match_is_interrupted() -> None:
    # `re` checks for signals inside its matching loop: this match would run for hours.
    with pytest.raises(MessageTimeout), time_limit(0.2, "matching"):
        re.search(r"(a+)+$", "a" * 60 + "!")


def test_it_is_not_an_exception_that_a_broad_handler_swallows() -> None:
    with pytest.raises(MessageTimeout), time_limit(0.1, "parsing"):
        try:
            time.sleep(5)
        except Exception:  # what a parser does to carry on after any error
            pytest.fail("the time limit was swallowed")


def test_the_block_ending_in_time_leaves_no_alarm_behind() -> None:
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(0.2, "quick"):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before
    time.sleep(0.3)  # no late alarm


def test_off_the_main_thread_it_is_not_armed() -> None:
    outcome: list[str] = []

    def work() -> None:
        with time_limit(0.05, "in a thread"):
            time.sleep(0.2)
        outcome.append("finished")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert outcome == ["finished"]
