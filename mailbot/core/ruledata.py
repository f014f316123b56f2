"""Typed values read out of parsed rule files (nested dicts), a problem recorded per bad
key: what core/rulereader.py builds the Rulebook with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailbot.core.pattern import CompilePattern
from mailbot.core.rulebook import RuleProblem


class Reader:
    """Reads typed values out of nested dicts, recording a problem per bad key."""

    def __init__(self, data: Mapping[str, Any], compile_pattern: CompilePattern) -> None:
        self.data = data
        self.problems: list[RuleProblem] = []
        self.compile_pattern = compile_pattern

    def sub(self, data: Mapping[str, Any]) -> Reader:
        """A reader of one nested table, with the same pattern engine."""
        return Reader(data, self.compile_pattern)

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is None:
                    self.problems.append(RuleProblem(key, "missing"))
                    # A value of the right type, so that checks after this one run on.
                    return kind()
                return default
            node = node[part]
        if kind is int and (isinstance(node, bool) or not isinstance(node, int)):
            self.problems.append(RuleProblem(key, f"must be a whole number, not {node!r}"))
            return default if default is not None else 0
        if not isinstance(node, kind):
            self.problems.append(RuleProblem(key, f"must be a {kind.__name__}, not {node!r}"))
            return default if default is not None else kind()
        return node

    def positive(self, key: str) -> int:
        value: int = self.get(key, int)
        if value <= 0 and not any(p.key == key for p in self.problems):
            self.problems.append(RuleProblem(key, f"must be greater than 0, not {value}"))
        return value

    def days(self, key: str) -> tuple[int, ...]:
        values: list[Any] = self.get(key, list)
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
            self.problems.append(RuleProblem(key, "must be a list of whole numbers, 0 or more"))
            return ()
        return tuple(sorted(set(values), reverse=True))

    def strings(self, key: str, default: list[str] | None = None) -> tuple[str, ...]:
        values: list[Any] = self.get(key, list, default)
        if any(not isinstance(v, str) or not v.strip() for v in values):
            self.problems.append(RuleProblem(key, "must be a list of non-empty strings"))
            return ()
        return tuple(v.strip() for v in values)
