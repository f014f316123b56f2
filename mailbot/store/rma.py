"""RMA numbers: ``RMA`` + 8 random digits + 1 Damm check digit.

The 8 digits come from the operating system's CSPRNG (``secrets``), so knowing one
customer's RMA tells nothing about the next one. The check digit uses the Damm
algorithm rather than Luhn: Damm detects every single-digit substitution *and* every
adjacent transposition (Luhn misses 09<->90), so a mistyped number quoted back by a
customer is rejected instead of matching somebody else's return. Uniqueness is not
this module's job: the store has a unique index and draws again on a collision.
"""

from __future__ import annotations

import random
import re
import secrets

# The standard totally anti-symmetric quasigroup of order 10 (Damm, 2004).
_DAMM_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

RANDOM_DIGITS = 8
# Finds an RMA number in free text (subjects, bodies); validate hits with is_valid_rma.
RMA_PATTERN = re.compile(r"\bRMA(\d{9})\b")
_EXACT = re.compile(r"RMA\d{9}")

# SystemRandom draws from os.urandom, the same source as secrets.
_SYSTEM_RNG: random.Random = secrets.SystemRandom()


def damm_digit(digits: str) -> int:
    """Damm check digit of a string of decimal digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM_TABLE[interim][int(ch)]
    return interim


def new_rma(rng: random.Random | None = None) -> str:
    """Draw a new RMA number, e.g. ``RMA048213370``.

    ``rng`` defaults to the OS CSPRNG; tests may pass a seeded ``random.Random``.
    """
    source = rng if rng is not None else _SYSTEM_RNG
    body = "".join(str(source.randrange(10)) for _ in range(RANDOM_DIGITS))
    return f"RMA{body}{damm_digit(body)}"


def is_valid_rma(value: str) -> bool:
    """True when ``value`` is exactly ``RMA`` + 9 digits with a correct check digit."""
    if not _EXACT.fullmatch(value):
        return False
    # A valid Damm number (body + check digit) runs the quasigroup back to 0.
    return damm_digit(value[3:]) == 0
