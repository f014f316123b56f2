"""The reading step's speed: `mailbot.reading.read` on the bench corpus's mails, no servers.

    .venv/bin/python bench/reading.py [--messages 1000] [--repeat 5]

Reads the subject and body text of every request of the bench corpus (`bench/corpus.py`:
the same mix and texts `bench/run.py` sends) and, as a harder second set, the
multilingual test mails of tests/data/reading/ (short mails in ten languages and quoted
replies from the common clients). Prints the median, 95th percentile and worst time of
one `read` per set, and the first read of all (which builds the cue packs' stems).
Sockets are refused while it reads: a network call would fail the run.
"""

from __future__ import annotations

import argparse
import csv
import re
import socket
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.corpus import BLOCK, TEMPLATES, VARIANTS, plan  # noqa: E402
from mailbot.reading import read  # noqa: E402
from mailbot.rulefiles import load_rulebook  # noqa: E402

DATA = REPO / "tests" / "data" / "reading"


def corpus_mails(count: int, seed: int) -> list[tuple[str, str]]:
    """(subject, body) of the bench corpus's requests, as bench/corpus.py builds them."""
    mails = []
    for spec in plan(count, count * 1_000_000, (1, 1), seed):
        demo = TEMPLATES[VARIANTS[spec.variant][0]]
        order_id = f"7{spec.index:06d}"
        mails.append(
            (
                demo.subject.replace(demo.order_id, order_id),
                demo.body.replace(demo.order_id, order_id),
            )
        )
    return mails


def multilingual_mails() -> list[tuple[str, str]]:
    """The short mails and quoted replies of tests/data/reading/."""
    mails: list[tuple[str, str]] = []
    for name in ("short_mails.tsv", "tiny_mails.tsv"):
        with (DATA / name).open(encoding="utf-8") as f:
            mails += [("", row["text"]) for row in csv.DictReader(f, delimiter="\t")]
    quoted = (DATA / "quoted.txt").read_text(encoding="utf-8")
    found = re.findall(r"#### mail: \S+\n(.*?)\n#### own", quoted, re.S)
    mails += [("Re: Return", mail) for mail in found]
    return mails


@contextmanager
def no_network() -> Iterator[None]:
    """Any socket connection attempt raises while the block runs."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reading step tried to use the network")

    saved = socket.socket.connect, socket.create_connection
    socket.socket.connect, socket.create_connection = refuse, refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect, socket.create_connection = saved  # type: ignore[method-assign]


def timings(mails: Sequence[tuple[str, str]], repeat: int) -> list[float]:
    rules = load_rulebook(REPO / "rules")
    times = []
    for _ in range(repeat):
        for subject, body in mails:
            start = time.perf_counter()
            read(subject, body, rules)
            times.append(time.perf_counter() - start)
    return times


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (
        f"median {statistics.median(ordered) * 1000:.3f} ms, p95 {p95 * 1000:.3f} ms,"
        f" worst {ordered[-1] * 1000:.2f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    p.add_argument("--messages", type=int, default=1000, help="requests of the bench corpus")
    p.add_argument("--repeat", type=int, default=5, help="times each set is read")
    p.add_argument("--seed", type=int, default=6)
    args = p.parse_args(argv)
    rules = load_rulebook(REPO / "rules")
    corpus = corpus_mails(args.messages, args.seed)
    other = multilingual_mails()
    with no_network():
        start = time.perf_counter()
        read(*corpus[0], rules)  # the first read builds the packs' stems
        first = time.perf_counter() - start
        for pack in rules.cue_packs:
            read("", " ".join(sorted(pack.words)), rules)
        results = {
            f"bench corpus ({len(corpus)} mails, {len(set(BLOCK))} kinds)": timings(
                corpus, args.repeat
            ),
            f"multilingual test mails ({len(other)})": timings(other, args.repeat),
        }
    print(f"first read (builds the cue packs): {first * 1000:.1f} ms")
    for name, times in results.items():
        print(f"{name}: {describe(times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
