"""How agent commands are written, for /help and every mail to the agents."""

from __future__ import annotations

from mailbot.core.model import CommandName
from mailbot.core.rulebook import Rulebook

C = CommandName

# How each command is written and what it does, for /help and the notices.
USAGE: dict[CommandName, tuple[str, str]] = {
    C.APPROVE: ("", "approve the return and send the RMA number (even with evidence missing)"),
    C.REJECT: ("<reason>", "refuse the return; the customer gets the reason"),
    C.SCENARIO: ("<defect|wrong|change>", "correct the scenario and check the request again"),
    C.REQUEST: ("<what is missing>", "ask the customer for something"),
    C.COMPLEX: ("", "mark the case complex (review escalates later)"),
    C.EXTEND: ("<days>", "give the customer more days to ship"),
    C.RECEIVED: ("", "the parcel arrived at the warehouse"),
    C.INSPECTED: ("pass|fail|reduced <percent>", "record the inspection"),
    C.REFUND: ("[amount]", "the refund was issued"),
    C.CLOSE: ("", "close the ticket"),
    C.REOPEN: ("", "reopen a closed, rejected or waived ticket for review"),
    C.NOTE: ("<text>", "add a note to the ticket's timeline"),
    C.STATUS: ("", "show the ticket's state"),
    C.HELP: ("", "list the commands"),
}


def command_help(rules: Rulebook) -> list[str]:
    """One line per command: `/word <args> - what it does (also: aliases)`."""
    lines = []
    for name, (args, what) in USAGE.items():
        words = rules.command_words[name]
        if not words:
            continue
        also = f" (also /{', /'.join(words[1:])})" if len(words) > 1 else ""
        lines.append(f"/{words[0]}{' ' + args if args else ''} - {what}{also}")
    return lines
