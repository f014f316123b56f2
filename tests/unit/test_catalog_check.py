"""`mailbot check` on catalogs: a missing translation and a broken placeholder are named
with the catalog file and the message; every template renders in every language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mailbot.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def desk(tmp_path: Path) -> tuple[Path, Path]:
    """A config over a copy of the templates and catalogs: (config, templates)."""
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    config = tmp_path / "config.toml"
    config.write_text(
        '[maildir]\npath = "inbox"\n[outbox]\ndirectory = "out"\n'
        '[smtp]\nfrom = "returns@shop.example"\n'
        f'[paths]\nrules = "{REPO / "rules"}"\ntemplates = "{templates}"\n'
    )
    return config, templates


def _po(templates: Path, tag: str) -> Path:
    return templates / "locale" / tag / "LC_MESSAGES" / "mailbot.po"


def _edit(po: Path, *changes: tuple[str, str]) -> None:
    text = po.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    po.write_text(text, encoding="utf-8")


def _check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--config", str(config), "check"])
    return code, capsys.readouterr().err


def test_the_shipped_catalogs_pass(
    desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _check(desk[0], capsys) == (0, "")


def test_a_missing_translation_is_named(
    desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, templates = desk
    po = _po(templates, "de")
    _edit(po, ('msgstr "Bitte senden Sie den falschen Artikel nicht zurück."', 'msgstr ""'))
    code, err = _check(config, capsys)
    assert code == 1
    assert (
        f"{po}: no translation of 'Please do not send the wrong item back.' (used in"
        f" {templates / 'customer/kept_with_compensation.txt.j2'}:" in err
    )


def test_a_new_template_message_without_translations_is_named_in_every_catalog(
    desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, templates = desk
    shipped = templates / "customer" / "shipped.txt.j2"
    shipped.write_text(
        shipped.read_text().replace(
            '{% include "customer/_signature',
            '{% trans %}Have a nice day.{% endtrans %}\n\n{% include "customer/_signature',
        )
    )
    code, err = _check(config, capsys)
    assert code == 1
    named = [line for line in err.splitlines() if "'Have a nice day.'" in line]
    assert len(named) == 9  # every catalog but the source language's


def test_a_renamed_or_dropped_placeholder_is_named(
    desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, templates = desk
    po = _po(templates, "fr")
    _edit(
        po,
        ('msgstr "Numéro RMA\u202f: %(rma)s"', 'msgstr "Numéro RMA\u202f: %(rmz)s"'),
        ('"Votre retour %(rma)s est en route"', '"Votre retour est en route"'),
    )
    code, err = _check(config, capsys)
    assert code == 1
    assert "the translation of 'RMA number: %(rma)s' has %(rmz)s" in err
    assert "the translation of 'RMA number: %(rma)s' drops %(rma)s" in err
    assert "the translation of 'Your return %(rma)s is on its way' drops %(rma)s" in err
    assert all(line.startswith(str(po)) for line in err.splitlines() if "translation of" in line)


def test_a_template_that_fails_in_one_language_is_named(
    desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, templates = desk
    # A translation that formats the placeholder as a number, which it is not.
    _edit(_po(templates, "ru"), ('"Ваш возврат %(rma)s в пути"', '"Ваш возврат %(rma)d в пути"'))
    code, err = _check(config, capsys)
    assert code == 1
    assert "shipped.txt.j2" in err and "(in ru)" in err


def test_a_template_without_a_sample_is_named(
    desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, templates = desk
    (templates / "customer" / "which_order.txt.j2").write_text(
        "Subject: {% trans %}Which of your orders?{% endtrans %}\n\nText.\n"
    )
    code, err = _check(config, capsys)
    assert code == 1
    assert "which_order.txt.j2: no sample context in" in err and "[customer.which_order]" in err


def test_changed_rule_wording_is_named_in_every_catalog(
    desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config, _ = desk
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    policy = rules / "policy.toml"
    policy.write_text(
        policy.read_text().replace(
            'refused_note = "Postal services are not accepted."',
            'refused_note = "We do not accept parcels sent by post."',
        )
    )
    config.write_text(config.read_text().replace(str(REPO / "rules"), str(rules)))
    code, err = _check(config, capsys)
    assert code == 1
    named = [line for line in err.splitlines() if "'We do not accept parcels" in line]
    assert len(named) == 9 and all(f"(used in {policy}:" in line for line in named)


def test_a_desk_language_without_a_catalog_is_named(
    desk: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = desk
    config.write_text(config.read_text() + '[desk]\nlanguage = "ja"\n')
    code, err = _check(config, capsys)
    assert code == 1 and "[desk] language 'ja' has no catalog in" in err
