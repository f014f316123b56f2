"""The words rule files put into customers' replies, as gettext messages.

`rules/evidence.toml` counts each requirement in a reply (`reply`, a singular and a
plural wording) and `rules/policy.toml` has the carriers note (`carriers.refused_note`,
a sentence of its own). They are English, the source language, like the templates'
messages; each shipped catalog translates them. `extract_rules` lets `pybabel
extract` find them (babel.cfg), `rule_messages` lets `mailbot check` find those a
catalog lacks.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# (line, message): a message is a string, or (singular, plural).
Message = str | tuple[str, str]


def _line_of(text: str, value: str) -> int:
    at = text.find(value)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def messages_in(text: str) -> list[tuple[int, Message]]:
    """The translatable wordings of one rule file's text, with their lines."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []  # `mailbot check` reports the broken file itself
    found: list[tuple[int, Message]] = []
    note = data.get("carriers", {}).get("refused_note")
    if isinstance(note, str) and note:
        found.append((_line_of(text, note), note))
    evidence = data.get("evidence", {})
    for rules in evidence.values() if isinstance(evidence, dict) else ():
        for rule in rules if isinstance(rules, list) else ():
            reply = rule.get("reply") if isinstance(rule, dict) else None
            if isinstance(reply, list) and len(reply) == 2:
                one, other = (str(r) for r in reply)
                found.append((_line_of(text, one), (one, other)))
    return found


def rule_messages(rules_dir: Path) -> Iterator[tuple[str, int, Message]]:
    """(file, line, message) of every rule file in `rules_dir`."""
    for path in sorted(rules_dir.glob("*.toml")):
        for line, message in messages_in(path.read_text(encoding="utf-8")):
            yield str(path), line, message


def extract_rules(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, Message, list[str]]]:
    """A Babel extraction method for rule files (see babel.cfg)."""
    text = fileobj.read().decode("utf-8")
    for line, message in messages_in(text):
        yield line, "ngettext" if isinstance(message, tuple) else "gettext", message, []
