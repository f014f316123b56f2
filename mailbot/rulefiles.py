"""rules/*.toml and rules/cues/*.toml -> Rulebook, with every error naming its file, line
and key."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import holidays
import tomli
from holidays.registry import EntityLoader

from mailbot.checking.tomllines import line_of as _line_of
from mailbot.checking.validate import covered, in_order, rule_problems
from mailbot.core.rulebook import InvalidRules, Rulebook
from mailbot.core.rulereader import build_rulebook
from mailbot.errors import RulebookError, RuleFileError
from mailbot.patterns import compile_pattern

_TOML_LINE = re.compile(r"at line (\d+)")


def _rule_files(directory: Path) -> list[Path]:
    """rules/*.toml and the cue packs rules/cues/*.toml, in a stable order."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.toml")) + sorted(directory.glob("cues/*.toml"))


def _parse(path: Path, errors: list[RuleFileError]) -> dict[str, Any] | None:
    try:
        return tomli.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(RuleFileError(str(path), "", f"cannot read: {exc}"))
    except tomli.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        errors.append(
            RuleFileError(
                str(path), "", f"not valid TOML: {exc}", int(found.group(1)) if found else None
            )
        )
    return None


def _merge(files: list[Path]) -> tuple[dict[str, Any], dict[str, Path], list[RuleFileError]]:
    """The files' tables in one dict; a cue pack rules/cues/de.toml becomes `cues.de`."""
    data: dict[str, Any] = {}
    owner: dict[str, Path] = {}
    errors: list[RuleFileError] = []
    for path in files:
        parsed = _parse(path, errors)
        if parsed is None:
            continue
        if path.parent.name == "cues":
            data.setdefault("cues", {})[path.stem] = parsed
            owner[f"cues.{path.stem}"] = path
            continue
        for table, value in parsed.items():
            if table in owner:
                errors.append(
                    RuleFileError(str(path), table, f"already defined in {owner[table].name}")
                )
                continue
            owner[table] = path
            data[table] = value
    return data, owner, errors


class PublicHolidays(Collection[date]):
    """The public holidays of a country (and subdivision) in some years, computed at the
    first question: the holidays library imports all its ~250 countries to give one,
    ~50 ms of CPU that a run over an empty inbox never needs (issue 17)."""

    def __init__(self, country: str, subdivision: str | None, years: range) -> None:
        self.country, self.subdivision, self.years = country, subdivision, years

    @cached_property
    def _days(self) -> frozenset[date]:
        found = holidays.country_holidays(self.country, subdiv=self.subdivision, years=self.years)
        return frozenset(found.keys())

    def __contains__(self, day: object) -> bool:
        return day in self._days

    def __iter__(self) -> Iterator[date]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)


def _holidays(
    data: dict[str, Any], owner: dict[str, Path]
) -> tuple[Collection[date], list[RuleFileError]]:
    """Public holidays of the configured country, last year to five years ahead."""
    policy = data.get("policy", {})
    country = policy.get("holiday_country") if isinstance(policy, dict) else None
    subdivision = policy.get("holiday_subdivision") if isinstance(policy, dict) else None
    if not isinstance(country, str) or not isinstance(subdivision, str | None):
        return frozenset(), []  # the schema reports the missing or mistyped key
    this_year = date.today().year
    calendar = PublicHolidays(country.upper(), subdivision, range(this_year - 1, this_year + 6))
    # The library's own name for a country is a loader that imports nothing yet; a
    # subdivision is known only to the country's class, so it is checked now, at load.
    if subdivision is None and isinstance(getattr(holidays, calendar.country, None), EntityLoader):
        return calendar, []
    try:
        len(calendar)
    except (NotImplementedError, KeyError) as exc:
        path = owner["policy"]
        key = (
            "policy.holiday_subdivision"
            if subdivision and "ubdiv" in str(exc)
            else "policy.holiday_country"
        )
        line = _line_of(path.read_text(encoding="utf-8"), key)
        return frozenset(), [
            RuleFileError(str(path), key, f"unknown to the holidays library: {exc}", line)
        ]
    return calendar, []


def load_rulebook(directory: Path) -> Rulebook:
    """Read and validate every rules/*.toml file; raise RulebookError with all problems."""
    files = _rule_files(directory)
    if not files:
        raise RulebookError([RuleFileError(str(directory), "", "no rule files (*.toml) found")])
    data, owner, errors = _merge(files)
    if errors:
        raise RulebookError(errors)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()[:10]
    # The declared schema names unknown, missing and mistyped keys; the core then judges
    # the values (patterns, formulas, zones), and says only what the schema did not.
    problems, suggested = rule_problems(data, owner, directory)
    calendar, calendar_problems = _holidays(data, owner)
    problems += calendar_problems
    said = suggested | {p.key for p in problems}
    try:
        rulebook = build_rulebook(
            data, compile_pattern=compile_pattern, version_suffix=digest, holidays=calendar
        )
    except InvalidRules as exc:
        problems += [
            _locate(p.key, p.problem, owner, directory)
            for p in exc.problems
            if not covered(p.key, said)
        ]
    if problems:
        raise RulebookError(in_order(problems))
    return rulebook


def _locate(key: str, problem: str, owner: dict[str, Path], directory: Path) -> RuleFileError:
    table = key.split(".")[0].split("[")[0]
    pack = ".".join(key.split(".")[:2])
    if table == "cues" and pack in owner:
        # A cue pack's keys are its file's own: `cues.de.grammar.gap` is `grammar.gap`.
        pack_file = owner[pack]
        inner = key[len(pack) + 1 :]
        line = _line_of(pack_file.read_text(encoding="utf-8"), inner) if inner else None
        return RuleFileError(str(pack_file), key, problem, line)
    path = owner.get(table)
    if path is None:
        return RuleFileError(str(directory), key, f"{problem} (no rule file defines [{table}])")
    return RuleFileError(str(path), key, problem, _line_of(path.read_text(encoding="utf-8"), key))


def rules_fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every rule file: changes when an admin edits."""
    files = _rule_files(directory)
    found = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((str(path.relative_to(directory)), stat.st_size, stat.st_mtime_ns))
    return tuple(found)
