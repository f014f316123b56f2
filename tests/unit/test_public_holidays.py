"""The rule book's public holidays: the configured country's, a subdivision's own, and a
country or subdivision the holidays library does not know refused at load with file,
line and key. The dates are computed at the first question, so loading the rules does
not import the library's countries."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from mailbot.errors import RulebookError
from mailbot.rulefiles import load_rulebook

REPO = Path(__file__).resolve().parents[2]


def _rules(tmp_path: Path, country: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    policy = rules / "policy.toml"
    text = policy.read_text()
    assert 'holiday_country = "DE"' in text
    policy.write_text(text.replace('holiday_country = "DE"', country, 1))
    return rules


def test_the_shipped_country_and_a_subdivision_of_it(tmp_path: Path) -> None:
    year = date.today().year
    germany = load_rulebook(REPO / "rules").holidays
    assert date(year, 12, 25) in germany and date(year, 12, 24) not in germany
    assert date(year + 5, 10, 3) in germany and date(year - 2, 10, 3) not in germany
    bavaria = load_rulebook(_rules(tmp_path, 'holiday_country = "de"\nholiday_subdivision = "BY"'))
    assert date(year, 1, 6) in bavaria.holidays and date(year, 1, 6) not in germany
    assert len(bavaria.holidays) > len(germany)


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ('holiday_country = "XQ"', "policy.holiday_country"),
        ('holiday_country = "DE"\nholiday_subdivision = "ZZ"', "policy.holiday_subdivision"),
    ],
)
def test_what_the_library_does_not_know_is_refused_at_load(
    tmp_path: Path, setting: str, key: str
) -> None:
    rules = _rules(tmp_path, setting)
    with pytest.raises(RulebookError) as raised:
        load_rulebook(rules)
    [problem] = raised.value.problems
    line = next(
        i
        for i, text in enumerate((rules / "policy.toml").read_text().splitlines(), 1)
        if text.startswith(key.split(".")[1])
    )
    assert (problem.path, problem.key, problem.line) == (str(rules / "policy.toml"), key, line)
    assert "unknown to the holidays library" in problem.problem


def test_loading_the_rules_imports_no_country_until_a_date_is_asked() -> None:
    script = (
        "import sys; from datetime import date; from pathlib import Path\n"
        "from mailbot.rulefiles import load_rulebook\n"
        f"rules = load_rulebook(Path({str(REPO / 'rules')!r}))\n"
        "print('holidays.countries' in sys.modules)\n"
        "christmas = date(date.today().year, 12, 25)\n"
        "print(christmas in rules.holidays, 'holidays.countries' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True"]
