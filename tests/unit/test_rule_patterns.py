"""Admin-written patterns run on RE2: `mailbot check` refuses what needs backtracking,
naming the file, line and key; what RE2 accepts runs in time linear in the text."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.core.pattern import PatternError
from mailbot.demo import build_demo
from mailbot.patterns import compile_pattern

REPO = Path(__file__).resolve().parents[2]


def _config_with_rules(tmp_path: Path) -> tuple[Path, Path]:
    config = build_demo(tmp_path / "demo", datetime.now(UTC), REPO)
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    config.write_text(config.read_text().replace(str(REPO / "rules"), str(rules)))
    return config, rules


def _replace(path: Path, old: str, new: str) -> int:
    """Replace `old` once; return the line it is on."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def test_check_refuses_patterns_that_need_backtracking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, rules = _config_with_rules(tmp_path)
    # A backreference (the same number twice) and a lookbehind: neither runs in linear time.
    order_line = _replace(rules / "classify.toml", "  '(?i)(?:^|[^\\pL])commande", r"  '(\d+)-\1|")
    tracking_line = _replace(
        rules / "tracking.toml", r"patterns = ['\d{12}'", r"patterns = ['(?<!0)\d{12}'"
    )
    capsys.readouterr()
    assert main(["--config", str(config), "check"]) == 1
    err = capsys.readouterr().err
    assert (
        f"{rules / 'classify.toml'}:{order_line}: orders.patterns[3]: cannot be run in"
        " linear time (invalid escape sequence: \\1)"
    ) in err
    assert (
        f"{rules / 'tracking.toml'}:{tracking_line}: tracking.carrier[3].patterns:"
        " '(?<!0)\\\\d{12}': cannot be run in linear time (invalid perl operator: (?<!)"
    ) in err
    assert "re2.cc" not in err  # the engine's own log stays quiet


def test_a_pattern_that_is_merely_wrong_is_named_as_such() -> None:
    with pytest.raises(PatternError, match=r"^invalid regular expression: missing \)"):
        compile_pattern("(unclosed")


def test_nested_quantifiers_are_harmless_on_re2() -> None:
    # The classic catastrophic pattern for a backtracking engine: (a+)+$ over "aaa…!"
    # takes 2^n steps in `re`. RE2 accepts it and answers from one pass over the text.
    pattern = compile_pattern(r"(a+)+$")
    assert pattern.search("a" * 100_000 + "!") is None
    found = pattern.search("x" + "a" * 100_000)
    assert found is not None and found.start() == 1
