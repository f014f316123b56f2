"""`mailbot eval DIR [--rules DIR] [--templates DIR] [--update-baseline]`: the table,
the misreads, and exit 1 when a mail of the baseline is no longer right (2 on bad
labels, via the CLI)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mailbot.evaluation.baseline import NAME, read_baseline, write_baseline
from mailbot.evaluation.bundles import BUNDLES, attach
from mailbot.evaluation.labels import LabelError, load_eval_set, load_labels
from mailbot.evaluation.score import RIGHT, Scored, misreads, score, table
from mailbot.evaluation.step import Judge
from mailbot.mail.parse import parse_message
from mailbot.outbound.render import Renderer
from mailbot.rulefiles import load_rulebook
from mailbot.store.orderscsv import read_orders


def evaluate(directory: Path, rules_dir: Path, templates_dir: Path) -> list[Scored]:
    """Every labelled mail of `directory` judged and scored."""
    eval_set = load_eval_set(directory)
    labels = load_labels(directory, frozenset(BUNDLES))
    missing = sorted(
        {f for label in labels for f in BUNDLES[label.attach] if not (eval_set.media / f).is_file()}
    )
    if missing:
        raise LabelError([f"{eval_set.media}: bundle file {name} missing" for name in missing])
    judge = Judge.of(
        load_rulebook(rules_dir),
        Renderer(templates_dir),
        read_orders(eval_set.orders),
        eval_set.now,
        eval_set.address,
    )
    scored = []
    for label in labels:
        raw = (directory / label.file).read_bytes()
        parsed = attach(parse_message(raw), label.attach, eval_set.media)
        scored.append(score(label, judge(f"eval:{label.file}", parsed, len(raw))))
    return scored


def cmd_eval(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    scored = evaluate(directory, Path(args.rules), Path(args.templates))
    print(f"{directory}: {len(scored)} labelled mails\n")
    print("\n".join(table(scored)))
    wrong = misreads(scored)
    if wrong:
        print("\nmisreads:")
        print("\n".join(wrong))
    right = {s.label.file for s in scored if s.verdict == RIGHT}
    if args.update_baseline:
        path = write_baseline(directory, right)
        print(f"\nbaseline written: {path} ({len(right)} mails right)")
        return 0
    baseline = read_baseline(directory)
    if baseline is None:
        print(f"\nno {NAME} in {directory}: nothing to compare (--update-baseline writes it)")
        return 0
    labelled = {s.label.file for s in scored}
    regressions = sorted((baseline & labelled) - right)
    gained = len(right - baseline)
    print(f"\nagainst {directory / NAME}: {len(regressions)} regressions, {gained} newly right")
    for name in regressions:
        print(f"  regression: {name} was right and is not now")
    return 1 if regressions else 0
