"""prefetch: an iterator read ahead in a thread looks like the iterator itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from mailbot.inbound.prefetch import prefetch


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def _eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Source:
    """Numbers 0.. (endless unless ``stop_at``), counting what was produced, and where."""

    def __init__(self, stop_at: int | None = None, fail_at: int | None = None) -> None:
        self.stop_at, self.fail_at = stop_at, fail_at
        self.produced = 0
        self.closed_in: str | None = None
        self.error = ValueError("broken message")

    def __iter__(self) -> Iterator[int]:
        try:
            while self.stop_at is None or self.produced < self.stop_at:
                if self.produced == self.fail_at:
                    raise self.error
                self.produced += 1
                yield self.produced - 1
        finally:
            self.closed_in = threading.current_thread().name


def test_items_come_in_order() -> None:
    assert list(prefetch(iter(range(1000)), 3)) == list(range(1000))
    assert list(prefetch(iter([]), 1)) == []


def test_an_error_is_raised_after_the_items_before_it() -> None:
    source = Source(fail_at=5)
    got: list[int] = []
    with pytest.raises(ValueError) as raised:
        for item in prefetch(iter(source), 3, name="t-error"):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]
    assert raised.value is source.error
    assert source.closed_in == "t-error"
    assert _threads("t-error") == []


def test_any_exception_of_the_source_is_relayed() -> None:
    class Odd(BaseException):
        pass

    def source() -> Iterator[int]:
        yield 1
        raise Odd()

    with pytest.raises(Odd):
        list(prefetch(source(), 2))


def test_no_thread_before_the_first_item_is_asked_for() -> None:
    source = Source()
    iterator = prefetch(iter(source), 2, name="t-lazy")
    time.sleep(0.05)
    assert _threads("t-lazy") == [] and source.produced == 0
    del iterator


def test_look_ahead_is_bounded() -> None:
    source = Source()
    iterator = prefetch(iter(source), 4, name="t-bounded")
    try:
        for taken in range(1, 6):
            next(iterator)
            # Reaches exactly `ahead` items past the ones taken, and stays there.
            assert _eventually(partial(lambda want: source.produced == want, taken + 4))
            time.sleep(0.02)
            assert source.produced == taken + 4
    finally:
        iterator.close()


def test_weight_budget_stops_reading_ahead() -> None:
    source = Source()
    iterator = prefetch(iter(source), 100, weigh=lambda _: 10, budget=30, name="t-budget")
    try:
        next(iterator)
        assert _eventually(lambda: source.produced == 4)  # 1 taken + 3 waiting (30 bytes)
        time.sleep(0.05)
        assert source.produced == 4
    finally:
        iterator.close()


def test_closing_early_stops_and_joins_the_thread() -> None:
    source = Source()
    iterator = prefetch(iter(source), 3, name="t-close")
    assert [next(iterator), next(iterator)] == [0, 1]
    assert len(_threads("t-close")) == 1
    iterator.close()
    assert _threads("t-close") == []
    assert source.closed_in == "t-close"  # the source's cleanup ran in its own thread
    produced = source.produced
    time.sleep(0.05)
    assert source.produced == produced


def test_an_exception_in_the_consumer_stops_the_thread() -> None:
    source = Source()

    def consume() -> None:
        for item in prefetch(iter(source), 3, name="t-raise"):
            if item == 2:
                raise KeyError(item)

    with pytest.raises(KeyError):
        consume()
    assert _threads("t-raise") == []
    assert source.closed_in == "t-raise"


def test_a_dropped_iterator_stops_the_thread() -> None:
    source = Source()
    iterator = prefetch(iter(source), 3, name="t-drop")
    next(iterator)
    del iterator  # the last reference: the generator is closed at once
    assert _threads("t-drop") == []


def test_a_consumer_that_never_resumes_leaves_the_thread_waiting_not_stuck() -> None:
    source = Source()
    iterator = prefetch(iter(source), 2, name="t-idle")
    next(iterator)
    assert _eventually(lambda: source.produced == 3)
    time.sleep(0.05)
    assert source.produced == 3 and len(_threads("t-idle")) == 1
    started = time.monotonic()
    iterator.close()
    assert time.monotonic() - started < 1.0
    assert _threads("t-idle") == []


def test_join_timeout_when_the_source_waits_for_the_closer() -> None:
    release = threading.Event()
    entered = threading.Event()

    def source() -> Iterator[int]:
        yield 0
        entered.set()
        release.wait(10)  # as a reader waits for a lock its consumer holds
        yield 1

    iterator = prefetch(source(), 1, join_timeout=0.1, name="t-timeout")
    assert next(iterator) == 0
    assert entered.wait(5)
    started = time.monotonic()
    iterator.close()
    assert time.monotonic() - started < 2.0
    release.set()
    assert _eventually(lambda: _threads("t-timeout") == [])


def test_ahead_must_be_positive() -> None:
    with pytest.raises(ValueError):
        next(prefetch(iter([1]), 0))
