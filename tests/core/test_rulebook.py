"""Rule files: the shipped ones load; broken ones name file, line and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mailbot.errors import RulebookError
from mailbot.rulefiles import load_rulebook
from tests.core.conftest import RULES_DIR


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_shipped_rules_load_with_versioned_hash() -> None:
    rules = load_rulebook(RULES_DIR)
    assert rules.version.startswith("2026-11-26+") and rules.return_days == 30


def test_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    _edit(rules / "policy.toml", "return_days = 30", 'return_days = "thirty"')
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    [problem] = caught.value.problems
    expected_line = (rules / "policy.toml").read_text().splitlines().index(
        'return_days = "thirty"'
    ) + 1
    assert (problem.path, problem.key, problem.line) == (
        str(rules / "policy.toml"),
        "windows.return_days",
        expected_line,
    )
    assert "must be a whole number" in str(problem)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    _edit(rules / "evidence.toml", 'kinds = ["document"]', 'kinds = ["doc"]')
    _edit(rules / "policy.toml", 'timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"')
    _edit(rules / "classify.toml", "  '(?i)\\border", "  '(unclosed(?i)\\border")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    keys = sorted(p.key for p in caught.value.problems)
    assert keys == ["evidence.quality_defect[2].kinds", "orders.patterns[0]", "policy.timezone"]
    kinds = next(p for p in caught.value.problems if p.key.endswith("kinds"))
    lines = (rules / "evidence.toml").read_text().splitlines()
    assert kinds.line is not None and lines[kinds.line - 1] == 'kinds = ["doc"]'
    # A list's item is found on its own line.
    pattern = next(p for p in caught.value.problems if p.key == "orders.patterns[0]")
    lines = (rules / "classify.toml").read_text().splitlines()
    assert pattern.line is not None and lines[pattern.line - 1].startswith("  '(unclosed")


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    _edit(rules / "policy.toml", "ship_within_days = 7", "ship_within_days = = 7")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    [problem] = caught.value.problems
    assert problem.path.endswith("policy.toml") and problem.line is not None
    assert "not valid TOML" in problem.problem


def test_bad_refund_formula_is_refused(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    _edit(
        rules / "policy.toml",
        'demand_change_formula = "payment_price',
        'demand_change_formula = "open(x) + payment_price',
    )
    with pytest.raises(RulebookError, match=r"refund\.demand_change_formula"):
        load_rulebook(rules)


def test_missing_rules_folder(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match="no rule files"):
        load_rulebook(tmp_path / "nowhere")


def test_evidence_checks_are_validated_with_file_line_and_key(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    evidence = rules / "evidence.toml"
    _edit(evidence, "max_distance = 12", "max_distance = 200")
    _edit(evidence, '"1170x2532"', '"1170 by 2532"')
    _edit(evidence, "tolerance_hours = 24", 'tolerance_hours = "a day"')
    _edit(
        evidence,
        "enabled = true\nsize_tolerance_percent",
        "enabled = 1\nsize_tolerance_percent",
    )
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    lines = evidence.read_text().splitlines()
    found = {p.key: (p.line, str(p)) for p in caught.value.problems}
    assert sorted(found) == [
        "checks.near_duplicates.max_distance",
        "checks.photo_dates.tolerance_hours",
        "checks.screenshots.screen_sizes",
        "checks.videos.enabled",
    ]
    line, text = found["checks.near_duplicates.max_distance"]
    assert line is not None and lines[line - 1] == "max_distance = 200"
    assert "must be 0 to 64, not 200" in text and str(evidence) in text
    line, text = found["checks.screenshots.screen_sizes"]
    assert line is not None and lines[line - 1] == "screen_sizes = ["
    assert "'1170 by 2532' is not a size" in text
    assert "must be a whole number" in found["checks.photo_dates.tolerance_hours"][1]
    assert "must be true or false, not 1" in found["checks.videos.enabled"][1]


def test_rule_files_without_the_checks_keep_the_old_policy(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    text = (rules / "evidence.toml").read_text()
    start, end = text.index("[checks.near_duplicates]"), text.index("[links]")
    (rules / "evidence.toml").write_text(text[:start] + text[end:])
    loaded = load_rulebook(rules)
    checks = loaded.checks
    assert (checks.hash_distance, checks.date_tolerance, checks.video_size_percent) == (
        None,
        None,
        None,
    )
    assert not loaded.media.read_metadata and not loaded.media.screen_sizes
    shipped = load_rulebook(RULES_DIR)
    assert shipped.checks.hash_distance == 12 and shipped.media.read_metadata


def test_cue_pack_mistakes_name_file_line_and_key(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    pack = rules / "cues" / "de.toml"
    _edit(pack, '"kaputt" = 3', '"kaputt" = "sehr"')
    _edit(pack, "gap = 2", "gap = 9")
    _edit(pack, "[thanks]", "[dank]")
    _edit(rules / "reading.toml", "margin = 1.5", "margin = -1")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    found = {p.key: p for p in caught.value.problems}
    assert sorted(found) == [
        "cues.de.dank",
        "cues.de.grammar.gap",
        'cues.de.quality_defect."kaputt"',
        "reading.margin",
    ]
    lines = pack.read_text().splitlines()
    for key, line in [
        ('cues.de.quality_defect."kaputt"', '"kaputt" = "sehr"'),
        ("cues.de.grammar.gap", "gap = 9"),
        ("cues.de.dank", "[dank]"),
    ]:
        problem = found[key]
        assert problem.path == str(pack) and problem.line is not None
        assert lines[problem.line - 1] == line, key
    assert "must be a number" in found['cues.de.quality_defect."kaputt"'].problem


def test_default_language_needs_a_pack(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    _edit(rules / "reading.toml", 'default_language = "en"', 'default_language = "sv"')
    with pytest.raises(RulebookError, match="no cue pack for 'sv'"):
        load_rulebook(rules)
