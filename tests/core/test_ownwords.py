"""The customer's own words, on quoted mails as the common clients write them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailbot.core.ownwords import own_words

_CORPUS = Path(__file__).resolve().parents[1] / "data" / "reading" / "quoted.txt"
_CASES = re.findall(
    r"#### mail: (\S+)\n(.*?)\n#### own\n(.*?)(?=\n#### mail: |\Z)",
    _CORPUS.read_text(encoding="utf-8"),
    re.S,
)


@pytest.mark.parametrize(("name", "mail", "own"), _CASES, ids=[c[0] for c in _CASES])
def test_own_words_of_quoted_mail(name: str, mail: str, own: str) -> None:
    assert own_words(mail).text == own.strip()


def test_the_corpus_covers_the_clients_and_languages() -> None:
    assert len(_CASES) >= 35


def test_quoted_history_is_kept_apart() -> None:
    split = own_words("Broken.\n\nOn Tue, 1 Dec 2026, Shop <a@b.example> wrote:\n> Which case?")
    assert (split.text, split.quoted) == ("Broken.", "Which case?")


def test_a_line_that_only_looks_like_a_header_is_kept() -> None:
    assert own_words("As I wrote: it is broken.\nIt was sent on Monday.").text == (
        "As I wrote: it is broken.\nIt was sent on Monday."
    )


def test_long_hostile_lines_are_read_in_linear_time() -> None:
    line = "On " + "x " * 50_000 + "\n"
    split = own_words(line * 20 + "Am " + "y:" * 50_000)
    assert split.text.startswith("On x")
