"""`mailbot check` and the loaders: every mistake of config and rule files in one run, each
as `file:line: key: problem`, never a traceback; `run` refuses the same config in the same
words."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from mailbot.checking.configschema import Table
from mailbot.checking.explain import problems
from mailbot.checking.ruleschema import CuePack
from mailbot.cli import main
from mailbot.config import load_config
from mailbot.core.cuebook import CUE_SECTIONS
from mailbot.errors import InvalidConfig, OrderImportError, RulebookError
from mailbot.rulefiles import load_rulebook
from mailbot.store.orderscsv import MAX_REPORTED, read_orders

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, rules: Path | None = None, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[maildir]\npath = "inbox"\n\n[outbox]\ndirectory = "outbox"\n\n'
        '[smtp]\nfrom = "Returns <returns@example.com>"\n\n'
        f'[paths]\nrules = "{rules or REPO / "rules"}"\ntemplates = "{REPO / "templates"}"\n'
        + extra
    )
    return path


def _rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    return rules


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_three_config_mistakes_are_reported_together_with_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(
        tmp_path,
        extra='\n[agent]\naddresses = ["a@example.com"]\n\n'
        '[service]\nworkers = 0\npoll_interval = "often"\n',
    )
    assert main(["--config", str(path), "check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    said = [
        f"{path}:{_line(path, '[agent]')}: agent: unknown section; did you mean agents?",
        f"{path}:{_line(path, 'workers')}: service.workers: must be greater than 0, not 0",
        f"{path}:{_line(path, 'poll_interval')}: service.poll_interval:"
        " must be a number, not 'often'",
    ]
    # (check goes on to the rules and templates the config names)
    assert [line for line in err.splitlines() if line.startswith(str(path))] == said
    # `run` refuses it in the same words, before it touches the inbox.
    assert main(["run", "--once", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == said


def test_check_of_a_config_that_does_not_load_still_checks_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = _rules(tmp_path)
    _edit(rules / "reminders.toml", "send_hour = 9", "send_hour = 24")
    path = _config(
        tmp_path,
        rules,
        extra='[orders]\ncsv = "missing.csv"\n[imap]\nhost = "h"\nusername = "u"\npassword = "p"\n',
    )
    assert main(["--config", str(path), "check"]) == 2
    err = capsys.readouterr().err.splitlines()
    inbox = (
        f"{path}:{_line(path, '[imap]')}: imap: configure exactly one inbox: [imap] or [maildir]"
    )
    assert inbox in err
    assert f"{rules / 'reminders.toml'}:8: reminders.send_hour: must be 0 to 23, not 24" in err
    assert f"{tmp_path / 'missing.csv'}: cannot read: No such file or directory" in err


def test_unknown_key_without_a_near_name_lists_the_known_ones(tmp_path: Path) -> None:
    path = _config(tmp_path, extra='[desk]\nlanguage = "de"\ncolour = "blue"\n')
    with pytest.raises(InvalidConfig) as caught:
        load_config(path)
    line = _line(path, "colour")
    assert str(caught.value) == f"{path}:{line}: desk.colour: unknown key (known: language)"


def test_rule_file_mistakes_are_all_named_by_file_line_and_key(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    policy, reminders = rules / "policy.toml", rules / "reminders.toml"
    _edit(policy, "return_days = 30", "retrun_days = 30")
    _edit(policy, 'holiday_country = "DE"', 'holiday_country = "DE"\nholiday_subdivison = "BY"')
    _edit(reminders, "send_hour = 9", "send_hour = 24")
    _edit(rules / "cues" / "de.toml", "[grammar]", "[gramar]")
    _edit(rules / "evidence.toml", "count = 3", "count = true")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    said = [str(p) for p in caught.value.problems]
    evidence = rules / "evidence.toml"
    assert said == [
        f"{rules / 'cues' / 'de.toml'}:{_line(rules / 'cues' / 'de.toml', '[gramar]')}:"
        " cues.de.gramar: unknown section; did you mean grammar?",
        f"{evidence}:{_line(evidence, 'count = true')}: evidence.quality_defect[0].count:"
        " must be a whole number, not True",
        f"{policy}:{_line(policy, 'holiday_subdivison')}: policy.holiday_subdivison:"
        " unknown key; did you mean holiday_subdivision?",
        f"{policy}:{_line(policy, 'retrun_days')}: windows.retrun_days:"
        " unknown key; did you mean return_days?",
        f"{reminders}:{_line(reminders, 'send_hour')}: reminders.send_hour:"
        " must be 0 to 23, not 24",
    ]


def test_a_missing_rule_key_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    _edit(rules / "policy.toml", "return_days = 30\n", "")
    _edit(rules / "reminders.toml", "follow_up_days = 3\n", "")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    said = [f"{p.key}: {p.problem}" for p in caught.value.problems]
    assert said == [
        "windows.return_days: is required",
        "reminders.follow_up_days: is required",
    ]


def test_value_problems_the_schema_cannot_see_come_from_the_core_in_the_same_run(
    tmp_path: Path,
) -> None:
    rules = _rules(tmp_path)
    _edit(rules / "policy.toml", 'timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"')
    _edit(rules / "policy.toml", "shop_name =", "shop_nam =")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    said = {f"{p.key}: {p.problem}" for p in caught.value.problems}
    assert said == {
        "policy.shop_nam: unknown key; did you mean shop_name?",
        "policy.timezone: unknown time zone 'Mars/Olympus'",
    }


def test_the_cue_pack_schema_has_every_section_the_core_reads() -> None:
    declared = set(CuePack.model_fields) - {"language", "grammar"}
    assert declared == set(CUE_SECTIONS)


def test_a_template_with_an_undefined_variable_fails_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    refused = templates / "customer" / "refused.txt.j2"
    refused.write_text(refused.read_text() + "{{ no_such_variable }}\n")
    path = _config(tmp_path)
    _edit(path, str(REPO / "templates"), str(templates))
    assert main(["--config", str(path), "check"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"refused\.txt\.j2.*'no_such_variable' is undefined", err), err


def test_every_bad_order_row_is_named_up_to_a_cap(tmp_path: Path) -> None:
    header = (
        "order_id,customer_email,product,sku,quantity,payment_price,purchase_cost,"
        "export_postage,currency,delivered_at,tracking_number,carrier"
    )
    good = "100{n:03d},a@example.com,Board,SKU,1,10.00,5.00,1.00,EUR,2026-11-01T10:00:00+01:00,,"
    rows = [good.format(n=n) for n in range(40)]
    rows[3] = rows[3].replace(",1,", ",one,", 1)
    rows[7] = rows[7].replace("a@example.com", "nobody", 1)
    csv = tmp_path / "orders.csv"
    csv.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(OrderImportError) as caught:
        read_orders(csv)
    assert str(caught.value).splitlines() == [
        f"{csv}:5: column quantity: 'one' is not a whole number",
        f"{csv}:9: column customer_email: 'nobody' is not an email address",
    ]
    csv.write_text("\n".join([header, *(r.replace(",1,", ",x,", 1) for r in rows)]) + "\n")
    with pytest.raises(OrderImportError) as caught:
        read_orders(csv)
    lines = str(caught.value).splitlines()
    assert len(lines) == MAX_REPORTED + 1 and lines[0].startswith(f"{csv}:2: column quantity")
    assert lines[-1] == f"{csv}: {40 - MAX_REPORTED} more bad rows"


def test_each_pattern_checked_key_says_its_own_shape(tmp_path: Path) -> None:
    path = _config(tmp_path, extra='[desk]\nlanguage = "German"\n[metrics]\nlisten = "9464"\n')
    with pytest.raises(InvalidConfig) as caught:
        load_config(path)
    assert str(caught.value).splitlines() == [
        f"{path}:{_line(path, 'German')}: desk.language: must look like a language tag"
        " (en, de, zh_Hans), not 'German'",
        f"{path}:{_line(path, '9464')}: metrics.listen: must look like host:port"
        " (127.0.0.1:9464), not '9464'",
    ]


def test_a_pattern_without_its_words_names_the_pattern() -> None:
    class Coded(Table):
        code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]

    assert problems(Coded, {"code": "eur"})[0] == [
        ("code", "must match the pattern ^[A-Z]{3}$, not 'eur'")
    ]


def test_a_cue_with_a_comma_that_could_never_match_is_named(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    _edit(rules / "cues" / "de.toml", '"defekt" = 3', '"defekt" = 3\n"nicht sicher, ob" = 3')
    load_rulebook(rules)  # a comma before a subordinating word ("ob") is read
    _edit(rules / "cues" / "de.toml", '"defekt" = 3', '"defekt" = 3\n"kaputt, leider" = 3')
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    said = [f"{p.key}: {p.problem}" for p in caught.value.problems]
    assert said == [
        'cues.de.quality_defect."kaputt, leider": a comma in a cue must be followed by a word'
        " of [grammar] boundaries (\"nicht sicher, ob\"); 'leider' is not one"
    ]
