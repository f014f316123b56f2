"""config.toml and the rule files against their declared schemas, each problem as a
RuleFileError (`file:line: key: problem`). The loaders call these, so `run` refuses what
`check` reports, in the same words."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailbot.checking.configschema import ConfigFile
from mailbot.checking.explain import problems
from mailbot.checking.ruleschema import RuleFiles
from mailbot.checking.tomllines import line_of
from mailbot.errors import RuleFileError


def config_problems(path: Path, text: str, data: Mapping[str, Any]) -> list[RuleFileError]:
    """Every problem of a parsed config file's shape."""
    found, _ = problems(ConfigFile, data)
    return in_order([RuleFileError(str(path), key, p, line_of(text, key)) for key, p in found])


def in_order(problems: list[RuleFileError]) -> list[RuleFileError]:
    """By file, then line, as an editor walks them."""
    return sorted(problems, key=lambda p: (p.path, p.line or 0))


def rule_problems(
    data: Mapping[str, Any], owner: Mapping[str, Path], directory: Path
) -> tuple[list[RuleFileError], set[str]]:
    """Every problem of the merged rule data's shape, each in the file that holds it, and
    the keys whose problems these already say (a misspelt key's correct name)."""
    texts: dict[Path, str] = {}

    def where(path: Path, key: str) -> int | None:
        if path not in texts:
            texts[path] = path.read_text(encoding="utf-8")
        return line_of(texts[path], key) if key else None

    found = []
    shape, suggested = problems(RuleFiles, data)
    for key, problem in shape:
        table = key.split(".")[0].split("[")[0]
        pack = ".".join(key.split(".")[:2])
        if table == "cues" and pack in owner:
            # A pack's keys are its file's own: `cues.de.grammar.gap` is `grammar.gap`.
            found.append(
                RuleFileError(
                    str(owner[pack]), key, problem, where(owner[pack], key[len(pack) + 1 :])
                )
            )
        elif table in owner:
            found.append(RuleFileError(str(owner[table]), key, problem, where(owner[table], key)))
        else:
            found.append(
                RuleFileError(str(directory), key, f"{problem} (no rule file has [{table}])")
            )
    return found, suggested


def covered(key: str, reported: set[str]) -> bool:
    """Whether a problem of `key` is already said by a problem of one of the `reported`
    keys (the same key, a table around it, or a key inside it)."""
    for other in reported:
        for outer, inner in ((other, key), (key, other)):
            if inner == outer or inner.startswith((outer + ".", outer + "[")):
                return True
    return False
