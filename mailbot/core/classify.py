"""Which return scenario a request is, with the phrases that decided it."""

from __future__ import annotations

from dataclasses import dataclass

from mailbot.core.model import Scenario
from mailbot.core.rulebook import Rulebook
from mailbot.core.text import find_phrases


@dataclass(frozen=True)
class Classification:
    """The scenario and the evidence for it: the phrases found for each scenario."""

    scenario: Scenario
    matches: dict[Scenario, list[str]]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Human-readable grounds, e.g. `quality_defect: "broken", "dead"`."""
        return tuple(
            f"{s.value}: " + ", ".join(f'"{p}"' for p in found)
            for s, found in self.matches.items()
            if found
        )


def classify(subject: str, text: str, rules: Rulebook) -> Classification:
    """Classify from keyword phrases; UNKNOWN when none or several scenarios match.

    Several scenarios matching is ambiguous on purpose: asking the customer costs one
    email, guessing wrong costs a wrong answer.
    """
    source = f"{subject}\n{text}"
    matches = {
        scenario: find_phrases(source, phrases, rules.negations)
        for scenario, phrases in rules.phrases.items()
    }
    hits = [s for s, found in matches.items() if found]
    scenario = hits[0] if len(hits) == 1 else Scenario.UNKNOWN
    return Classification(scenario, matches)
