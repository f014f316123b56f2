"""What the core needs of an admin-written pattern (rules/*.toml), whatever compiles it.

The core never compiles such a pattern itself: the shell's engine (mailbot/patterns.py)
does, so that customer text meets only an engine whose run time is linear in the text.
The core sees the compiled pattern through this small protocol, and `build_rulebook`
receives the compiler as a callable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol


class PatternMatch(Protocol):
    """One match: its groups and where it lies."""

    def group(self, index: int = 0, /) -> str | None: ...

    def start(self, index: int = 0, /) -> int: ...

    def end(self, index: int = 0, /) -> int: ...


class Pattern(Protocol):
    """A compiled pattern: the searches the core runs over customer text."""

    @property
    def groups(self) -> int: ...

    def search(self, text: str, /) -> PatternMatch | None: ...

    def fullmatch(self, text: str, /) -> PatternMatch | None: ...

    def finditer(self, text: str, /) -> Iterator[PatternMatch]: ...


class PatternError(ValueError):
    """The text is not a pattern the engine accepts; the message says why, for an admin."""


# text -> compiled pattern; raises PatternError.
CompilePattern = Callable[[str], Pattern]
