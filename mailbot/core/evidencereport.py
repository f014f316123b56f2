"""What the evidence check found: each requirement met or not, each attachment's verdict,
and what did not count, for the agents' notices and the customer's reply."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mailbot.core.model import EvidenceKind, Scenario


@dataclass(frozen=True)
class Requirement:
    """One evidence requirement and how far the attachments meet it."""

    key: str
    label: str
    needed: int
    counted: int
    # Attachments of the right kind that did not count, with the reason each was refused.
    refused: tuple[str, ...] = ()
    # How a reply counts these items, one and several (the rule's `reply`).
    reply: tuple[str, str] = ("", "")

    @property
    def met(self) -> bool:
        """True when enough distinct, qualifying items arrived."""
        return self.counted >= self.needed

    @property
    def missing(self) -> int:
        """How many more qualifying items are needed."""
        return max(0, self.needed - self.counted)


class Verdict(StrEnum):
    """What became of one attachment."""

    COUNTED = "counted"
    DUPLICATE = "duplicate"  # the same file, or one that looks the same, came before
    REFUSED = "refused"  # of a needed kind but not good enough (not HD)
    IGNORED = "ignored"  # not a kind this request needs, or not what its name promises


@dataclass(frozen=True)
class AttachmentVerdict:
    """One attachment as judged: its kind, what became of it and why, in one line."""

    filename: str
    kind: EvidenceKind
    verdict: Verdict
    line: str
    # A photo taken before the delivery scan (by more than the rules' tolerance).
    before_delivery: bool = False


@dataclass(frozen=True)
class NotCounted:
    """An attachment that counted for nothing, for the customer's reply: which file,
    why (a key the templates word: not_hd, misnamed, outlook, archive, unknown,
    not_needed, lookalike) and the fact the wording needs (a size, a kind, a file)."""

    file: str
    why: str
    detail: str = ""


@dataclass(frozen=True)
class EvidenceReport:
    """Evidence checked against one scenario's requirements."""

    scenario: Scenario
    requirements: tuple[Requirement, ...]
    duplicates: int = 0
    # Every attachment, oldest first, with its verdict.
    verdicts: tuple[AttachmentVerdict, ...] = ()
    # Photos taken before the delivery scan: one line each, with the date.
    before_delivery: tuple[str, ...] = ()
    # What did not count and why, as facts a reply words in the customer's language.
    not_counted: tuple[NotCounted, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every requirement is met."""
        return all(r.met for r in self.requirements)
