"""Order rows: imported from the shop's CSV, read by order number and by customer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mailbot.core.model import Order
from mailbot.store.db import Database
from mailbot.store.records import ORDER
from mailbot.store.values import stamp

# Orders upserted per statement: 12 columns each stay below SQLite's old 999 variables.
ORDER_BATCH = 80
_KEPT = ORDER.columns.split(", ")[1:]  # all but the order id: the last row of an id wins
_UPSERT = (
    f'INSERT INTO "orders" ({ORDER.columns}) VALUES {{rows}} ON CONFLICT ("order_id")'
    f" DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in _KEPT)}"
)


class OrderReads:
    """The orders table, read."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, order_id: str) -> Order | None:
        """The order with this id, or None."""
        row = self.db.one(
            f'SELECT {ORDER.columns} FROM "orders" WHERE "order_id" = ? LIMIT 1', [order_id]
        )
        return None if row is None else ORDER.of(row)

    def of_customer(self, customer_email: str) -> tuple[Order, ...]:
        """The orders of this customer (addresses are stored in lower case)."""
        rows = self.db.rows(
            f'SELECT {ORDER.columns} FROM "orders" WHERE "customer_email" = ? ORDER BY "id"',
            [customer_email.lower()],
        )
        return tuple(ORDER.of(row) for row in rows)


class Orders(OrderReads):
    """The orders table."""

    def import_orders(self, orders: Iterable[Order]) -> int:
        """Insert or update orders by order_id; return how many were written.

        One upsert per batch: processes starting together (each loads the orders CSV)
        wait for each other's rows instead of both inserting the same order.
        """
        count = 0
        group = "(" + ", ".join("?" for _ in _KEPT) + ", ?)"
        with self.db.transaction():
            for batch in _batches(orders, ORDER_BATCH):
                rows = {o.order_id: _values(o) for o in batch}  # the last row of an id wins
                params = [value for row in rows.values() for value in row]
                self.db.execute(_UPSERT.format(rows=", ".join(group for _ in rows)), params)
                count += len(batch)
        return count


def _values(o: Order) -> tuple[object, ...]:
    """An order's column values, in the order of ORDER.columns."""
    return (
        o.order_id, o.customer_email, o.product, o.sku, o.quantity, str(o.payment_price),
        str(o.purchase_cost), str(o.export_postage), o.currency, stamp(o.delivered_at),
        o.tracking_number, o.carrier,
    )  # fmt: skip


def _batches(items: Iterable[Order], size: int) -> Iterator[list[Order]]:
    """`items` in lists of `size` (the last may be shorter), taken as they come."""
    batch: list[Order] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
