"""Order rows: imported from the shop's CSV, read by order number and by customer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mailbot.core.model import Order
from mailbot.store.base import StoreBase
from mailbot.store.records import (
    order_fields,
    order_from_row,
)

# Orders upserted per statement: 12 columns each stay below SQLite's old 999 variables.
ORDER_BATCH = 80


class OrderRows(StoreBase):
    """The orders table."""

    def import_orders(self, orders: Iterable[Order]) -> int:
        """Insert or update orders by order_id; return how many were written.

        One upsert per batch: processes starting together (each loads the orders CSV)
        wait for each other's rows instead of both inserting the same order.
        """
        Or = self.m.order
        count = 0
        with self._tx():
            for batch in _batches(orders, ORDER_BATCH):
                rows = {o.order_id: order_fields(o) for o in batch}  # the last row of an id wins
                keep = [f for f in Or._meta.sorted_fields if f.name not in ("id", "order_id")]
                Or.insert_many(list(rows.values())).on_conflict(
                    conflict_target=[Or.order_id], preserve=keep
                ).execute()
                count += len(batch)
        return count

    def get_order(self, order_id: str) -> Order | None:
        """The order with this id, or None."""
        rows = self.sql.select(self.m.order, '"order_id" = ?', [order_id], "LIMIT 1")
        return order_from_row(rows[0]) if rows else None

    def orders_of(self, customer_email: str) -> tuple[Order, ...]:
        """The orders of this customer (addresses are stored in lower case)."""
        rows = self.sql.select(self.m.order, '"customer_email" = ?', [customer_email.lower()])
        return tuple(order_from_row(row) for row in rows)


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
