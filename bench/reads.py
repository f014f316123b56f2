"""Where mailbot's IMAP bytes go, and what it concluded from them (issue 17).

Reads the bench corpus (bench/corpus.py, the mail of run.py) through mailbot's own IMAP
reader from a private Dovecot, tallies the bytes of every FETCH answer by what was
asked for, and sniffs every attachment. With ``--facts FILE`` it writes each
attachment's facts as JSON lines, so two versions of the reader can be compared fact
by fact (the fingerprints by which attachments they make equal, since their formula
may change):

    .venv/bin/python bench/reads.py --messages 1000 --facts /tmp/after.jsonl
    .venv/bin/python bench/reads.py --compare /tmp/before.jsonl /tmp/after.jsonl

Bytes are Dovecot's own count (``out=`` of the session, as run.py reports them) and,
per kind, the lengths of the literals imapclient handed back.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from imapclient import IMAPClient  # noqa: E402

from bench.corpus import MIB, corpus  # noqa: E402
from bench.harness import fill, imap_bytes_since, log_offset  # noqa: E402
from mailbot.inbound.imap import ImapInbox, fetching  # noqa: E402
from mailbot.media.sniff import sniff  # noqa: E402
from tests.integration.dovecot import DovecotServer  # noqa: E402

_KIND = re.compile(rb"^BODY\[([0-9.]+|HEADER|TEXT)\](?:<(\d+)>)?$")


def kind_of(key: bytes, value: Any) -> str:
    """What a FETCH answer item was: structure, header, text, head, tail or more."""
    if key in (b"BODYSTRUCTURE", b"RFC822.SIZE", b"SEQ"):
        return "structure"
    found = _KIND.match(key)
    if not found:
        return key.decode(errors="replace")
    part, offset = found.group(1), found.group(2)
    if part in (b"HEADER", b"TEXT"):
        return part.decode().lower()
    return "part whole" if offset is None else ("part head" if offset == b"0" else "part later")


def measure(
    count: int, total_mib: float, seed: int
) -> tuple[int, Counter[str], list[dict[str, Any]]]:
    requests = corpus(count, int(total_mib * MIB), (20, 60), seed, workers=2)
    tally: Counter[str] = Counter()
    real_fetch, real_each = fetching.fetch, fetching.fetch_each

    def tally_answer(answer: dict[int, Any]) -> dict[int, Any]:
        for fields in answer.values():
            for key, value in fields.items():
                if isinstance(value, bytes):
                    tally[kind_of(key, value)] += len(value)
        return answer

    def counting(client: IMAPClient, uids: Sequence[int], items: Sequence[str]) -> Any:
        return tally_answer(real_fetch(client, uids, items))

    def counting_each(client: IMAPClient, wanted: Mapping[int, Sequence[str]]) -> Any:
        return tally_answer(real_each(client, wanted))

    fetching.fetch, fetching.fetch_each = counting, counting_each
    facts: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="mailbot-reads-") as root:
        server = DovecotServer(Path(root))
        server.start()
        try:
            user = server.new_user()
            fill(server, user, requests)
            offset = log_offset(server)
            inbox = ImapInbox(server.host, server.port, "none", user, server.password)
            for fetched in inbox.fetch(inbox.pending()):
                for sample in fetched.parsed.attachments:
                    found = asdict(sniff(sample))
                    found["taken_at"] = str(found["taken_at"])
                    facts.append({"message": fetched.parsed.message_id, **found})
            inbox.close()
            sent, _ = imap_bytes_since(server, user, offset)
        finally:
            server.stop()
    return sent, tally, facts


def compare(before: Path, after: Path) -> int:
    """Differences between two facts files; fingerprints compared as partitions."""
    old = [json.loads(line) for line in before.read_text().splitlines()]
    new = [json.loads(line) for line in after.read_text().splitlines()]
    if len(old) != len(new):
        print(f"{len(old)} attachments before, {len(new)} after")
        return 1
    differences = 0
    same_old: dict[str, int] = {}
    same_new: dict[str, int] = {}
    for index, (a, b) in enumerate(zip(old, new, strict=True)):
        for field in a:
            if field != "fingerprint" and a[field] != b.get(field):
                differences += 1
                print(f"{a['message']} {a['filename']}: {field} {a[field]!r} -> {b.get(field)!r}")
        # The first attachment with each fingerprint: equal partitions give equal lists.
        if same_old.setdefault(a["fingerprint"], index) != same_new.setdefault(
            b["fingerprint"], index
        ):
            differences += 1
            print(f"{a['message']} {a['filename']}: a different set of identical files")
    print(f"{len(old)} attachments, {differences} differences")
    return 1 if differences else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--total-mib", type=float, help="default 1 MiB per message, as run.py")
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--facts", type=Path, help="write every attachment's facts here")
    p.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    args = p.parse_args()
    if args.compare:
        return compare(*args.compare)
    total = args.total_mib or args.messages * 1.0
    sent, tally, facts = measure(args.messages, total, args.seed)
    mailbox = sum(r.size for r in corpus(args.messages, int(total * MIB), (20, 60), args.seed, 2))
    print(f"IMAP server sent {sent / MIB:.2f} MiB: {100 * sent / mailbox:.2f} % of the"
          f" mailbox's {mailbox / MIB:.1f} MiB; {len(facts)} attachments")  # fmt: skip
    for kind, size in tally.most_common():
        print(f"  {kind:12} {size / MIB:8.2f} MiB")
    if args.facts:
        args.facts.write_text("".join(json.dumps(f, sort_keys=True) + "\n" for f in facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
