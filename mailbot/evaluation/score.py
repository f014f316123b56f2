"""What the bot did against what the label expects: right, asked back or wrong; the
confusion table per scenario and per language; each misread with the reasons that
misled it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailbot.evaluation.labels import Label
from mailbot.evaluation.step import SKIPPED, Result

# A label's `expect` and the decision outcomes that carry it out (core/decide.py and
# the modules its checks live in).
OUTCOMES: dict[str, frozenset[str]] = {
    "rma": frozenset({"rma_issued"}),
    "options": frozenset({"options_offered"}),
    "missing": frozenset({"evidence_missing"}),
    "refuse": frozenset({"refused"}),
    "review": frozenset({"agent_review", "links_review"}),
    "ask_scenario": frozenset({"ask_scenario"}),
    "ask_order": frozenset({"ask_order_number"}),
    "choose_order": frozenset({"choose_order"}),
    "wrong_sender": frozenset({"order_not_matched"}),
    "acknowledge": frozenset({"acknowledged"}),
    "ignore": frozenset({SKIPPED}),
}
# The customer is asked what the case is or which order: they have to write again.
ASKED = frozenset({"ask_scenario", "ask_order_number", "choose_order"})
RETURNS = ("quality_defect", "wrong_item", "demand_change")
RIGHT, ASKED_BACK, WRONG = "right", "asked", "wrong"


@dataclass(frozen=True)
class Scored:
    label: Label
    result: Result
    verdict: str  # RIGHT, ASKED_BACK or WRONG

    @property
    def wrong_rma(self) -> bool:
        return self.result.rma and self.verdict != RIGHT


def verdict(label: Label, result: Result) -> str:
    """Right when the outcome is the expected one on the expected order (when both
    name one); asked back when the customer is asked instead; else wrong."""
    if result.outcome in OUTCOMES[label.expect]:
        if not (label.order and result.order and result.order != label.order):
            return RIGHT
        return WRONG
    return ASKED_BACK if result.outcome in ASKED else WRONG


def score(label: Label, result: Result) -> Scored:
    return Scored(label, result, verdict(label, result))


def _row(name: str, scored: list[Scored]) -> str:
    counts = [sum(s.verdict == v for s in scored) for v in (RIGHT, ASKED_BACK, WRONG)]
    share = f"{100 * counts[0] / len(scored):5.1f}" if scored else "    -"
    return f"{name:<16}{len(scored):>6}" + "".join(f"{c:>7}" for c in counts) + f"{share:>9}"


def table(scored: list[Scored]) -> list[str]:
    """The confusion table: per labelled scenario, per language, and in all."""
    head = f"{'':<16}{'mails':>6}{'right':>7}{'asked':>7}{'wrong':>7}{'right %':>9}"
    lines = [f"{'scenario':<16}" + head[16:]]
    for name in sorted({s.label.scenario for s in scored}):
        lines.append(_row(name, [s for s in scored if s.label.scenario == name]))
    lines.append(f"{'language':<16}" + head[16:])
    for name in sorted({s.label.language for s in scored}):
        lines.append(_row(name, [s for s in scored if s.label.language == name]))
    lines.append(_row("total", scored))
    clear = [s for s in scored if s.label.scenario in RETURNS]
    asked = sum(s.verdict == ASKED_BACK for s in clear)
    rate = f" ({100 * asked / len(clear):.1f} %)" if clear else ""
    lines.append(f"clear return requests asked back: {asked} of {len(clear)}{rate}")
    wrong_rmas = [s.label.file for s in scored if s.wrong_rma]
    lines.append(f"RMAs issued wrongly: {len(wrong_rmas)}" + (
        f" ({', '.join(wrong_rmas)})" if wrong_rmas else ""))  # fmt: skip
    return lines


def misread(s: Scored) -> list[str]:
    """One misread: the file, what was expected, what the bot did and the reasons it
    gave (they name the cues it found, in the customer's words, and where)."""
    label, result = s.label, s.result
    order = f", order {label.order}" if label.order else ""
    got_order = f", order {result.order}" if result.order else ""
    read = f", read {result.scenario}" if result.scenario else ""
    lines = [
        f"{label.file} [{label.language}, read {result.language or '-'}] {s.verdict}:"
        f" expected {label.expect} ({label.scenario}{order});"
        f" got {result.outcome}{read}{got_order}",
    ]
    if label.note:
        lines.append(f"    note: {label.note}")
    lines.extend(f"    - {reason}" for reason in result.reasons)
    return lines


def misreads(scored: Iterable[Scored]) -> list[str]:
    lines: list[str] = []
    for s in scored:
        if s.verdict != RIGHT:
            lines.extend(misread(s))
    return lines
