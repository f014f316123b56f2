"""How the store holds up with 100,000 tickets: the reminder sweep and ticket listings.

    .venv/bin/python bench/tickets_100k.py [--tickets 100000]

Fills a fresh SQLite file and a fresh PostgreSQL database (127.0.0.1:5432, trust auth)
with tickets in every state, one pending reminder each (spread over 30 days, so about
1 in 300 is due), then times what `mailbot run` and `mailbot tickets` do with them.
Everything it creates is removed afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2  # type: ignore[import-untyped]

from mailbot.core.model import TicketState
from mailbot.store import Store
from mailbot.store.models import build_models

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CHUNK = 1000


def fill(store: Store, tickets: int, rng: random.Random) -> float:
    """Insert `tickets` tickets with one pending reminder each; return seconds taken."""
    models = build_models(store.db.engine)
    T, R = models.ticket, models.reminder
    states = [s.value for s in TicketState]
    started = time.perf_counter()
    for first in range(0, tickets, CHUNK):
        rows = [
            {
                "reference": f"B-{n:07d}",
                "state": rng.choice(states),
                "scenario": "quality_defect",
                "customer_email": f"c{n % 20000}@example.com",
                "order_id": f"{100000 + n % 50000}",
                "created_at": NOW - timedelta(days=rng.random() * 60),
                "updated_at": NOW,
                "state_since": NOW - timedelta(days=rng.random() * 10),
            }
            for n in range(first, min(first + CHUNK, tickets))
        ]
        with store.db.transaction():
            T.insert_many(rows).execute()
    ids = [r.id for r in T.select(T.id)]
    for first in range(0, len(ids), CHUNK):
        rows = [
            {
                "ticket": ticket_id,
                "kind": "info_follow_up",
                "due_at": NOW + timedelta(days=rng.random() * 30 - 0.1),
                "state": "needs_info",
                "context": "{}",
                "created_at": NOW,
            }
            for ticket_id in ids[first : first + CHUNK]
        ]
        with store.db.transaction():
            R.insert_many(rows).execute()
    return time.perf_counter() - started


def timed(action: Callable[[], object], runs: int = 5) -> float:
    """Median milliseconds of `action` over `runs` runs."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(store: Store) -> dict[str, float]:
    """What the service and the CLI do, in milliseconds (median)."""
    sweep_at = [NOW]

    def sweep() -> None:  # a claim of the first due batch, as run_reminders does
        sweep_at[0] += timedelta(minutes=11)  # past the previous claim's lease
        store.reminders.claim_due(sweep_at[0], 50)

    return {
        "reminder sweep: claim 50 due of 100k": timed(sweep),
        "tickets (newest 50)": timed(lambda: store.tickets.listed(limit=50)),
        "tickets --state approved (page 20)": timed(
            lambda: store.tickets.listed(state="approved", limit=50, offset=1000)
        ),
        "ticket T-… by reference": timed(lambda: store.tickets.find("T-050000")),
        "a customer's ticket for an order": timed(
            lambda: store.tickets.latest("c123@example.com", "100123")
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        sqlite.create_tables()
        fill_s = fill(sqlite, args.tickets, random.Random(1))
        results["SQLite"] = {"fill (s)": fill_s, **measure(sqlite)}
        sqlite.close()
    name = f"mailbot_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(f"{PG_SERVER}/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        pg = Store(f"{PG_SERVER}/{name}")
        pg.create_tables()
        fill_s = fill(pg, args.tickets, random.Random(1))
        pg.db.execute("ANALYZE")
        results["PostgreSQL"] = {"fill (s)": fill_s, **measure(pg)}
        pg.close()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
    print(f"{args.tickets} tickets, one pending reminder each; median of 5 runs, ms")
    print(f"| {'operation':<40} | " + " | ".join(f"{k:>10}" for k in results) + " |")
    print(f"|{'-' * 42}|" + "|".join("-" * 12 for _ in results) + "|")
    for op in results["SQLite"]:
        print(f"| {op:<40} | " + " | ".join(f"{r[op]:>10.1f}" for r in results.values()) + " |")


if __name__ == "__main__":
    main()
