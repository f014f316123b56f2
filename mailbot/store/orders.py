"""Order rows: imported from the shop's CSV, read by order number and by customer."""

from __future__ import annotations

from collections.abc import Iterable

from mailbot.core.model import Order
from mailbot.store.base import StoreBase
from mailbot.store.records import (
    order_fields,
    order_from_row,
)


class OrderRows(StoreBase):
    """The orders table."""

    def import_orders(self, orders: Iterable[Order]) -> int:
        """Insert or update orders by order_id; return how many were written."""
        count = 0
        with self._tx():
            for order in orders:
                fields = order_fields(order)
                updated = (
                    self.m.order.update(**fields)
                    .where(self.m.order.order_id == order.order_id)
                    .execute()
                )
                if not updated:
                    self.m.order.create(**fields)
                count += 1
        return count

    def get_order(self, order_id: str) -> Order | None:
        """The order with this id, or None."""
        rows = self.sql.select(self.m.order, '"order_id" = ?', [order_id], "LIMIT 1")
        return order_from_row(rows[0]) if rows else None

    def orders_of(self, customer_email: str) -> tuple[Order, ...]:
        """The orders of this customer (addresses are stored in lower case)."""
        rows = self.sql.select(self.m.order, '"customer_email" = ?', [customer_email.lower()])
        return tuple(order_from_row(row) for row in rows)
