"""`mailbot eval DIR`: the table, the misreads with their reasons, the baseline of mails
that were right, bad labels named by file and line; and both halves of the repo's set
hold their committed baselines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mailbot.cli import main

REPO = Path(__file__).resolve().parents[2]
RULES = str(REPO / "rules")
TEMPLATES = str(REPO / "templates")
FIXTURE = REPO / "tests" / "data" / "evalset"


@pytest.fixture
def mails(tmp_path: Path) -> Path:
    """A copy of the fixture set (two mails, one labelled right, one misread on purpose)
    whose baseline a test may write."""
    shutil.copytree(FIXTURE, tmp_path / "set")
    toml = tmp_path / "set" / "eval.toml"
    media = str(REPO / "examples" / "media")
    toml.write_text(toml.read_text().replace("../../../examples/media", media))
    return tmp_path / "set" / "mails"


def test_table_counts_right_and_wrong_and_shows_the_misread_with_its_cues(
    mails: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(mails), "--rules", RULES, "--templates", TEMPLATES]) == 0
    out = capsys.readouterr().out
    assert "quality_defect       2      1      0      1     50.0" in out
    assert "en                   2      1      0      1     50.0" in out
    assert "clear return requests asked back: 0 of 2 (0.0 %)" in out
    assert "RMAs issued wrongly: 0" in out
    misreads = out.split("misreads:")[1]
    assert "right.eml" not in misreads
    assert (
        "wrong.eml [en, read en] wrong: expected rma (quality_defect, order 500102);"
        " got acknowledged" in misreads
    )
    assert 'a delivery question ("where is my parcel"' in misreads


def test_a_mail_of_the_baseline_that_is_now_wrong_fails_the_command(
    mails: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (mails / "baseline.txt").write_text("# right before\nright.eml\nwrong.eml\n")
    assert main(["eval", str(mails), "--rules", RULES, "--templates", TEMPLATES]) == 1
    out = capsys.readouterr().out
    assert "1 regressions" in out
    assert "regression: wrong.eml was right and is not now" in out


def test_update_baseline_accepts_the_mails_right_now(
    mails: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (mails / "baseline.txt").write_text("wrong.eml\n")
    args = ["eval", str(mails), "--rules", RULES, "--templates", TEMPLATES]
    assert main([*args, "--update-baseline"]) == 0
    lines = (mails / "baseline.txt").read_text().splitlines()
    assert [line for line in lines if not line.startswith("#")] == ["right.eml"]
    assert main(["eval", str(mails), "--rules", RULES, "--templates", TEMPLATES]) == 0
    assert "0 regressions, 0 newly right" in capsys.readouterr().out


def test_bad_label_rows_are_named_by_file_and_line(
    mails: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = mails / "labels.csv"
    labels.write_text(
        labels.read_text() + "right.eml,en,quality_defect,refund,500101,none,\n"
        "gone.eml,xx,quality_defect,rma,500101,none,\n"
    )
    assert main(["eval", str(mails), "--rules", RULES, "--templates", TEMPLATES]) == 2
    err = capsys.readouterr().err
    assert f"{labels}:4: expect: 'refund' is not one of:" in err
    assert f"{labels}:4: file: right.eml is labelled twice (line 2)" in err
    assert f"{labels}:5: language: 'xx' is not one of:" in err
    assert f"{labels}:5: file: no file gone.eml in {mails}" in err


def test_an_unlabelled_mail_and_a_bad_clock_are_named(
    mails: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (mails / "extra.eml").write_bytes((mails / "right.eml").read_bytes())
    assert main(["eval", str(mails), "--rules", RULES, "--templates", TEMPLATES]) == 2
    assert f"{mails / 'extra.eml'}: no row in labels.csv" in capsys.readouterr().err
    (mails / "extra.eml").unlink()
    toml = mails.parent / "eval.toml"
    toml.write_text(toml.read_text().replace('"2026-11-20T10:00:00+01:00"', '"20 November"'))
    assert main(["eval", str(mails), "--rules", RULES, "--templates", TEMPLATES]) == 2
    assert f"{toml}:2: now: '20 November' is not an ISO 8601 time" in capsys.readouterr().err


@pytest.mark.parametrize("half", ["tune", "holdout", "holdout2"])
def test_each_half_of_the_set_keeps_every_mail_of_its_baseline_right(
    half: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = REPO / "eval" / half
    assert (folder / "baseline.txt").is_file()
    code = main(["eval", str(folder), "--rules", RULES, "--templates", TEMPLATES])
    out = capsys.readouterr().out
    assert code == 0, out[out.find("against") :]
    assert "0 regressions" in out
