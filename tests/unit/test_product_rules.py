"""rules/classify.toml [products]: the weights and units of the product comparison are
the admin's, checked like every rule (file, line, key)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mailbot.errors import RulebookError
from mailbot.rulefiles import load_rulebook

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_rules_compare_products() -> None:
    products = load_rulebook(REPO / "rules").products
    assert 0 < products.beside_ordered * products.model_mismatch < products.model_mismatch
    assert {u.name for u in products.units} >= {"V", "GB", "mm"}


def test_mistakes_in_the_products_section_are_named_by_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    classify = rules / "classify.toml"
    text = classify.read_text()
    for old, new in (
        ("model_mismatch = 1.5", "model_mismatch = 12"),
        ("beside_ordered = 0.5", "beside_ordered = 2"),
        ('unit = "GB"\nwritten', 'unit = "GB"\nwriten'),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    classify.write_text(text)
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    lines = text.splitlines()

    def line(start: str) -> int:
        return next(i for i, s in enumerate(lines, 1) if s.startswith(start))

    assert [str(p) for p in caught.value.problems] == [
        f"{classify}:{line('model_mismatch')}: products.model_mismatch: must be 0 to 10, not 12",
        f"{classify}:{line('beside_ordered')}: products.beside_ordered: must be 0 to 1, not 2",
        f"{classify}:{line('writen')}: products.units[2].writen: unknown key;"
        " did you mean written?",
    ]
