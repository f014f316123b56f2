"""What of a stranger's words a reply repeats: names shaped like names, bounded links."""

from __future__ import annotations

import pytest

from mailbot.core.echo import greeting_name, listed


@pytest.mark.parametrize(
    "name",
    ["Anna Becker", "Jörg Müller", "J. R. Tolkien", "Seán O'Brien", "Jean-Luc Picard",
     "Maria de la Cruz", "Ludwig van Beethoven", "王小明", "Анна Каренина", "ANNA BECKER"],
)  # fmt: skip
def test_names_are_greeted(name: str) -> None:
    assert greeting_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "Your account is locked, verify at http://evil.example",
        "paypal.com security",
        "support@paypal.com",
        "Call +1 555 0100",
        "Click here now",  # a lower-case word longer than a name particle: prose
        "verify your password",
        "Dear Customer Please Read This",  # more words than a name has
        "Anna--Becker",
        "'quoted'",
        "Anna <b>",
        "A" * 41,
        "",
    ],
)
def test_what_is_not_shaped_like_a_name_is_not_greeted(name: str) -> None:
    assert greeting_name(name) == ""


def test_names_are_tidied_before_judging() -> None:
    assert greeting_name("  Anna \t Becker ") == "Anna Becker"
    assert greeting_name("Jo\u0308rg") == "Jörg"  # combining diaeresis, composed


def test_a_list_of_links_is_bounded_and_says_how_many_more() -> None:
    links = [f"https://drive.google.com/file/{n}" for n in range(25)]
    assert listed(links, 10) == {"links": links[:10], "more_links": 15}
    assert listed(links[:3], 10) == {"links": links[:3], "more_links": 0}
