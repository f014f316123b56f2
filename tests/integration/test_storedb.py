"""The database object (mailbot/store/db.py) and the column values (values.py): rows
written and read back typed, the same on real SQLite and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from mailbot.core.model import Order, Scenario, TicketState
from mailbot.store import Store
from mailbot.store.values import moment, stamp

NOW = datetime(2026, 11, 27, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.create_tables()
    yield s
    s.close()


def test_a_ticket_row_reads_back_typed_with_every_column(store: Store) -> None:
    store.db.execute(
        'INSERT INTO "tickets" ("reference", "state", "scenario", "customer_email",'
        ' "order_id", "created_at", "updated_at", "ship_by", "complex", "reopenable",'
        ' "rules_version", "language") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ["T-000001", "received", "quality_defect", "ana@example.com", None, stamp(NOW),
         stamp(NOW), stamp(NOW + timedelta(days=5)), True, False, "r1", "de"],
    )  # fmt: skip
    ticket = store.tickets.find("T-000001")
    assert ticket is not None and ticket.id == 1
    assert (ticket.reference, ticket.order_id, ticket.rma) == ("T-000001", None, None)
    assert ticket.created_at == NOW and ticket.ship_by == NOW + timedelta(days=5)
    assert ticket.complex is True and ticket.reopenable is False and ticket.state_since is None
    assert ticket.state is TicketState.RECEIVED and ticket.scenario is Scenario.QUALITY_DEFECT
    assert ticket.language == "de"


def test_a_moment_is_fixed_width_utc_text_and_comes_back_aware() -> None:
    east = NOW.astimezone(timezone(timedelta(hours=9)))
    assert stamp(east) == "2026-11-27T08:30:15.123456Z" == stamp(NOW)
    assert moment(stamp(east)) == NOW and moment(stamp(NOW)).tzinfo is not None
    assert stamp(NOW.replace(microsecond=0)) == "2026-11-27T08:30:15.000000Z"
    with pytest.raises(ValueError, match="naive"):
        stamp(NOW.replace(tzinfo=None))


def test_rows_span_several_statements_and_keep_blobs_and_decimals(store: Store) -> None:
    columns = ("message_id", "to_addr", "raw_email", "created_at", "next_attempt_at", "status",
               "attempts")  # fmt: skip
    rows = [(f"<m{n}@x>", "a@b.c", bytes([n % 256]) * 3, stamp(NOW), stamp(NOW), "pending", 0)
            for n in range(250)]  # fmt: skip  # 250 rows of 7: more than one statement
    store.db.insert_rows("outbox", columns, rows)
    stored = store.outbox.statuses(limit=1000)
    assert len(stored) == 250 and stored[-1].message_id == "<m0@x>"
    assert stored[0].status == "pending" and stored[0].attempts == 0
    [item] = store.outbox.claim_due(NOW, limit=1)
    assert item.raw == b"\x00\x00\x00" and item.attempts == 1 and item.created_at == NOW

    store.orders.import_orders([Order("1001", "a@b.c", "Lamp", "L1", 1, Decimal("19.90"),
                               Decimal("7.10"), Decimal("0.00"), "EUR", NOW)])  # fmt: skip
    order = store.orders.get("1001")
    assert order is not None and order.payment_price == Decimal("19.90")
    assert order.delivered_at == NOW and order.quantity == 1
    assert store.orders.get("1002") is None


def test_scalar_rows_and_execute(store: Store) -> None:
    until = stamp(NOW)
    store.db.execute(
        'INSERT INTO "inbound_claims" ("key", "owner", "until") VALUES (?, ?, ?)',
        ["k1", "w", until],
    )
    assert store.db.scalar('SELECT "owner" FROM "inbound_claims" WHERE "key" = ?', ["k1"]) == "w"
    assert store.db.scalar('SELECT "owner" FROM "inbound_claims" WHERE "key" = ?', ["k2"]) is None
    assert store.db.rows('SELECT "key", "until" FROM "inbound_claims"') == [("k1", until)]
    assert store.db.execute('DELETE FROM "inbound_claims" WHERE "key" = ?', ["k1"]) == 1


def test_claims_skip_keys_another_process_claimed_or_recorded(db_url: str) -> None:
    a, b = Store(db_url), Store(db_url)
    a.create_tables()
    try:
        assert a.inbound.claim(["k1", "k2", "k3"], "a", NOW) == ["k1", "k2", "k3"]
        assert b.inbound.claim(["k2", "k4", "k3", "k4"], "b", NOW) == ["k4"]
        # A's lease runs out: B takes over, in the order asked.
        later = NOW + timedelta(hours=1)
        assert b.inbound.claim(["k3", "k1"], "b", later) == ["k3", "k1"]
        assert a.inbound.claim(["k1"], "a", later) == []
        assert a.inbound.claim([], "a", NOW) == []
    finally:
        a.close()
        b.close()
