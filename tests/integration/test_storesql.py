"""The prepared statements (mailbot/store/sql.py) write and read exactly what the peewee
models do, on real SQLite and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mailbot.store import Store

NOW = datetime(2026, 11, 27, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.create_tables()
    yield s
    s.close()


def test_an_inserted_row_reads_back_through_the_model_with_every_type(store: Store) -> None:
    T = store.m.ticket
    ticket_id = store.sql.insert(
        T,
        {
            "reference": "T-000001",
            "state": "received",
            "scenario": "defect",
            "customer_email": "ana@example.com",
            "order_id": None,
            "created_at": NOW,
            "updated_at": NOW,
            "ship_by": NOW + timedelta(days=5),
            "complex": True,
        },
    )
    row = T.get_by_id(ticket_id)
    assert (row.reference, row.order_id, row.rma) == ("T-000001", None, None)
    assert row.created_at == NOW and row.ship_by == NOW + timedelta(days=5)
    assert row.complex is True and row.reopenable is False  # given, and the default
    assert row.rules_version == ""  # a default the insert did not name

    [read] = store.sql.select(T, '"id" = ?', [ticket_id])
    assert read.created_at == NOW and read.complex is True and read.state_since is None


def test_update_and_save_change_only_the_row_named(store: Store) -> None:
    T = store.m.ticket
    ids = [
        store.sql.insert(T, {"reference": f"T-{n}", "state": "received", "scenario": "defect",
                             "customer_email": "a@b.c", "created_at": NOW, "updated_at": NOW})
        for n in (1, 2)
    ]  # fmt: skip
    assert store.sql.update(T, ids[0], {"state": "approved", "rma": "RMA123456789"}) == 1
    [row] = store.sql.select(T, '"id" = ?', [ids[0]])
    row.reopenable = True
    row.updated_at = NOW + timedelta(hours=1)
    store.sql.save(T, row)
    first, second = T.get_by_id(ids[0]), T.get_by_id(ids[1])
    assert (first.state, first.rma, first.reopenable) == ("approved", "RMA123456789", True)
    assert first.updated_at == NOW + timedelta(hours=1)
    assert (second.state, second.rma, second.updated_at) == ("received", None, NOW)


def test_insert_many_spans_several_statements_and_keeps_blobs_and_decimals(store: Store) -> None:
    Ob = store.m.outbox
    rows = [
        {"message_id": f"<m{n}@x>", "to_addr": "a@b.c", "raw_email": bytes([n % 256]) * 3,
         "created_at": NOW, "next_attempt_at": NOW}
        for n in range(250)  # 250 rows of 12 columns: more than one statement's variables
    ]  # fmt: skip
    store.sql.insert_many(Ob, rows)
    stored = list(Ob.select().order_by(Ob.id))
    assert len(stored) == 250
    assert bytes(stored[7].raw_email) == b"\x07\x07\x07"
    assert stored[0].status == "pending" and stored[0].attempts == 0  # defaults

    O = store.m.order  # noqa: E741
    store.sql.insert(
        O,
        {"order_id": "1001", "customer_email": "a@b.c", "product": "Lamp", "sku": "L1",
         "quantity": 1, "payment_price": Decimal("19.90"), "purchase_cost": Decimal("7.10"),
         "export_postage": Decimal("0.00"), "currency": "EUR", "delivered_at": NOW},
    )  # fmt: skip
    order = store.get_order("1001")
    assert order is not None and order.payment_price == Decimal("19.90")
    assert order.delivered_at == NOW
    assert store.get_order("1002") is None


def test_scalar_rows_and_execute(store: Store) -> None:
    C = store.m.claim
    until = C.until.db_value(NOW)
    store.sql.execute(
        'INSERT INTO "inbound_claims" ("key", "owner", "until") VALUES (?, ?, ?)',
        ["k1", "w", until],
    )
    assert store.sql.scalar('SELECT "owner" FROM "inbound_claims" WHERE "key" = ?', ["k1"]) == "w"
    assert store.sql.scalar('SELECT "owner" FROM "inbound_claims" WHERE "key" = ?', ["k2"]) is None
    assert store.sql.rows('SELECT "key", "until" FROM "inbound_claims"', []) == [("k1", until)]
    assert store.sql.execute('DELETE FROM "inbound_claims" WHERE "key" = ?', ["k1"]) == 1


def test_claims_skip_keys_another_process_claimed_or_recorded(db_url: str) -> None:
    a, b = Store(db_url), Store(db_url)
    a.create_tables()
    try:
        assert a.claim_inbound(["k1", "k2", "k3"], "a", NOW) == ["k1", "k2", "k3"]
        assert b.claim_inbound(["k2", "k4", "k3", "k4"], "b", NOW) == ["k4"]
        # A's lease runs out: B takes over, in the order asked.
        later = NOW + timedelta(hours=1)
        assert b.claim_inbound(["k3", "k1"], "b", later) == ["k3", "k1"]
        assert a.claim_inbound(["k1"], "a", later) == []
        assert a.claim_inbound([], "a", NOW) == []
    finally:
        a.close()
        b.close()
