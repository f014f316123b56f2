"""Every error mailbot raises on purpose, under one base class.

Each names what is wrong and where, for the person who can fix it.
"""

from __future__ import annotations


class MailbotError(Exception):
    """Base of all mailbot errors."""


class ConfigError(MailbotError):
    """The configuration file is missing, unreadable or has a bad key."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        section, _, name = key.partition(".")
        where = f"[{section}] {name}".rstrip() if key else ""
        super().__init__(f"{path}: {where} {problem}" if key else f"{path}: {problem}")


class InvalidConfig(ConfigError):
    """The configuration file breaks its declared schema; carries every problem found."""

    def __init__(self, problems: list[RuleFileError]) -> None:
        first = problems[0]
        super().__init__(first.path, first.key, first.problem)
        self.problems = problems
        self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return str(self.args[0])


class RuleFileError(MailbotError):
    """One rule file problem, naming the file, line (when known) and key."""

    def __init__(self, path: str, key: str, problem: str, line: int | None = None) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


class RulebookError(MailbotError):
    """One or more rule files are invalid; carries every problem found."""

    def __init__(self, problems: list[RuleFileError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class TemplateError(MailbotError):
    """A reply template is missing or does not render."""


class OrderImportError(MailbotError):
    """A row of an orders CSV is invalid (file and line named)."""


class InboxError(MailbotError):
    """The inbox could not be reached or read."""


class SendError(MailbotError):
    """A reply could not be handed to the mail server."""
