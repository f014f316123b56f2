"""The engine that runs admin-written patterns (rules/*.toml) over customer text: RE2.

Anyone may write to the support address, so every pattern an admin can edit (the order
number, the carriers' tracking formats, and any pattern rules add later) runs only
here. Python's `re` backtracks: the order-number pattern shipped until 2026-11 took
1.7 s on "order" + 150 spaces + "x" and grows with the fourth power of the run
(bench/README.md, "Patterns": `re`, `regex` with a timeout and google-re2 measured).

`regex` still backtracks (its optimisations hide some cases, not this one: it is
quadratic here), so a timeout would only turn a hang into a failed message that a
customer can repeat at will. RE2 runs every pattern it accepts in time linear in the
text, by construction, and refuses the constructs that need backtracking
(backreferences, lookahead and lookbehind); `compile_pattern` turns that refusal into
a problem `mailbot check` reports with the file, line and key.

Differences from `re` an admin may meet: `\\w`, `\\d` and `\\b` are ASCII only (use
`\\pL` for letters of any script, and `(?:^|[^\\pL\\pN])` for a word start outside
ASCII), repetition counts are at most 1000, and there is no `(?<…)` or `\\1`.
"""

from __future__ import annotations

import re2

from mailbot.core.pattern import Pattern, PatternError

_OPTIONS = re2.Options()
# Our refusal names the file, line and key; RE2's own log line on stderr would only
# repeat it without them.
_OPTIONS.log_errors = False
_NEEDS_BACKTRACKING = ("invalid perl operator", "invalid escape sequence", "bad repetition")


def compile_pattern(text: str) -> Pattern:
    """`text` compiled for searches in linear time; PatternError says why it cannot be."""
    try:
        compiled: Pattern = re2.compile(text, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        if detail.startswith(_NEEDS_BACKTRACKING):
            raise PatternError(
                f"cannot be run in linear time ({detail}): rule patterns run on RE2, which"
                " has no backreferences (\\1), lookahead or lookbehind ((?=, (?!, (?<=, (?<!)"
            ) from None
        raise PatternError(f"invalid regular expression: {detail}") from None
    return compiled
