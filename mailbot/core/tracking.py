"""Tracking numbers in a customer's text, and the carrier their format names."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from mailbot.core.pattern import Pattern

# Candidates: whole runs of letters and digits ("RR123456789CN", "123456789012").
_CANDIDATE = re.compile(r"(?<![A-Z0-9])[A-Z0-9]{10,35}(?![A-Z0-9])")
# A number written in groups, as carriers print them ("1234 5678 9012", "JJD 0099 …",
# "RR 123 456 789 CN"): groups of two or more letters or digits, one space or hyphen
# apart. A run may take in words around the number, so its parts are tried too.
_GROUPED = re.compile(r"(?<![A-Z0-9+])[A-Z0-9]{2,}(?:[ -][A-Z0-9]{2,}){1,9}(?![A-Z0-9])")
_SEPARATOR = re.compile(r"[ -]")
# Upper-case ASCII letters only. str.upper() also turns "ſ", "ı", "ﬁ", "ß"… into ASCII
# letters (and changes the length), which made up numbers the customer never wrote.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


@dataclass(frozen=True)
class CarrierFormat:
    """One carrier's tracking-number formats."""

    name: str
    accepted: bool
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True)
class Tracking:
    """A tracking number found in text and the carrier it belongs to (None: unknown)."""

    number: str
    carrier: CarrierFormat | None


def _carrier_of(number: str, carriers: tuple[CarrierFormat, ...]) -> CarrierFormat | None:
    for carrier in carriers:
        if any(p.fullmatch(number) for p in carrier.patterns):
            return carrier
    return None


def find_tracking(
    text: str, carriers: tuple[CarrierFormat, ...], exclude: tuple[str, ...] = ()
) -> Tracking | None:
    """The first tracking number in `text`: a known format first (written in one piece,
    else in groups: "1234 5678 9012"), else any number-like token with at least 8 digits
    (reported with carrier None). `exclude` lists numbers that are not tracking numbers
    (the order number, the RMA number)."""
    unknown: str | None = None
    # Candidates are upper case: so must the excluded numbers be to compare with them.
    excluded = {x.translate(_ASCII_UPPER) for x in exclude}
    upper = text.translate(_ASCII_UPPER)
    for match in _CANDIDATE.finditer(upper):
        number = match.group(0)
        if number in excluded:
            continue
        carrier = _carrier_of(number, carriers)
        if carrier is not None:
            return Tracking(number, carrier)
        if unknown is None and sum(c.isdigit() for c in number) >= 8:
            unknown = number
    grouped = _find_grouped(upper, carriers, excluded)
    if grouped is not None:
        return grouped
    return Tracking(unknown, None) if unknown else None


def _find_grouped(
    upper: str, carriers: tuple[CarrierFormat, ...], excluded: set[str]
) -> Tracking | None:
    """The first number of a known format written in groups; a run preceded by "+" is a
    phone number. Only known formats count: joined words are no tracking number."""
    for match in _GROUPED.finditer(upper):
        groups = _SEPARATOR.split(match.group(0))
        # Leftmost first, longest first: "DHL 1234 567 890 TODAY" -> "1234567890".
        for start in range(len(groups)):
            for end in range(len(groups), start + 1, -1):
                number = "".join(groups[start:end])
                if not 10 <= len(number) <= 35 or number in excluded:
                    continue
                if not any(c.isdigit() for c in number):
                    continue
                carrier = _carrier_of(number, carriers)
                if carrier is not None:
                    return Tracking(number, carrier)
    return None
