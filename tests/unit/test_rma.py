"""RMA numbers: format, Damm check digit, unpredictability source."""

from __future__ import annotations

import random

from mailbot.store.rma import RMA_PATTERN, damm_digit, is_valid_rma, new_rma

SAMPLES = [new_rma(random.Random(seed)) for seed in range(300)]


def test_format_and_validity() -> None:
    for rma in SAMPLES + [new_rma() for _ in range(200)]:
        assert RMA_PATTERN.fullmatch(rma), rma
        assert is_valid_rma(rma), rma


def test_known_damm_value() -> None:
    # The worked example from the Damm algorithm's description: 572 -> check digit 4.
    assert damm_digit("572") == 4
    assert is_valid_rma("RMA" + "00000572" + str(damm_digit("00000572")))


def test_every_single_digit_substitution_is_caught() -> None:
    for rma in SAMPLES:
        digits = rma[3:]
        for pos in range(len(digits)):
            for d in "0123456789":
                if d != digits[pos]:
                    typo = "RMA" + digits[:pos] + d + digits[pos + 1 :]
                    assert not is_valid_rma(typo), (rma, typo)


def test_every_adjacent_transposition_is_caught() -> None:
    for rma in SAMPLES:
        digits = rma[3:]
        for pos in range(len(digits) - 1):
            a, b = digits[pos], digits[pos + 1]
            if a != b:
                swapped = "RMA" + digits[:pos] + b + a + digits[pos + 2 :]
                assert not is_valid_rma(swapped), (rma, swapped)


def test_rejects_malformed() -> None:
    good = SAMPLES[0]
    for bad in [
        "",
        good.lower(),
        good[:-1],
        good + "0",
        " " + good,
        "RMB" + good[3:],
        "RMA12345678x",
        "RMA" + "١٢٣٤٥٦٧٨٩",
    ]:
        assert not is_valid_rma(bad), bad


def test_system_source_is_not_sequential() -> None:
    drawn = {new_rma() for _ in range(1000)}
    # 10^8 possibilities: a repeat in 1000 draws (p ~ 0.5%) would hint at a bad source.
    assert len(drawn) >= 999


def test_seeded_source_is_reproducible() -> None:
    assert new_rma(random.Random(7)) == new_rma(random.Random(7))


def test_pattern_finds_rma_in_text() -> None:
    rma = SAMPLES[1]
    match = RMA_PATTERN.search(f"Re: my return {rma}, thanks")
    assert match is not None and match.group(0) == rma
    assert RMA_PATTERN.search(f"X{rma}1") is None
