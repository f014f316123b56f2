"""Order data from CSV: every row checked, errors naming file, line and column."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from mailbot.core.model import Order
from mailbot.errors import OrderImportError

COLUMNS = (
    "order_id",
    "customer_email",
    "product",
    "sku",
    "quantity",
    "payment_price",
    "purchase_cost",
    "export_postage",
    "currency",
    "delivered_at",
    "tracking_number",
    "carrier",
)
# A file whose every row is wrong (a wrong export) is named by its first rows, not by
# a hundred thousand lines.
MAX_REPORTED = 20


def _row_to_order(row: dict[str, str], where: str) -> Order:
    def text(column: str, required: bool = True) -> str:
        value = (row.get(column) or "").strip()
        if required and not value:
            raise OrderImportError(f"{where}: column {column} is empty")
        return value

    def money(column: str) -> Decimal:
        try:
            return Decimal(text(column))
        except InvalidOperation:
            raise OrderImportError(
                f"{where}: column {column}: {row[column]!r} is not an amount"
            ) from None

    try:
        quantity = int(text("quantity"))
    except ValueError:
        raise OrderImportError(
            f"{where}: column quantity: {row['quantity']!r} is not a whole number"
        ) from None
    try:
        delivered = datetime.fromisoformat(text("delivered_at"))
    except ValueError:
        raise OrderImportError(
            f"{where}: column delivered_at: {row['delivered_at']!r} is not an ISO 8601 time"
        ) from None
    if delivered.tzinfo is None:
        raise OrderImportError(
            f"{where}: column delivered_at: {row['delivered_at']!r}"
            " needs a UTC offset (e.g. +01:00)"
        )
    email = text("customer_email").lower()
    if email.count("@") != 1:
        raise OrderImportError(f"{where}: column customer_email: {email!r} is not an email address")
    return Order(
        order_id=text("order_id").upper(),
        customer_email=email,
        product=text("product"),
        sku=text("sku", required=False),
        quantity=quantity,
        payment_price=money("payment_price"),
        purchase_cost=money("purchase_cost"),
        export_postage=money("export_postage"),
        currency=text("currency").upper(),
        delivered_at=delivered,
        tracking_number=text("tracking_number", required=False),
        carrier=text("carrier", required=False),
    )


def read_orders(path: Path) -> list[Order]:
    """Every order in a CSV file; raise OrderImportError naming every bad line (the first
    MAX_REPORTED of them, and how many more there are)."""
    orders: list[Order] = []
    bad: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise OrderImportError(f"{path}: missing column(s): {', '.join(missing)}")
            for row in reader:
                try:
                    orders.append(_row_to_order(row, f"{path}:{reader.line_num}"))
                except OrderImportError as exc:
                    bad.append(str(exc))
    except OSError as exc:
        raise OrderImportError(f"{path}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise OrderImportError(f"{path}: not a readable CSV file: {exc}") from None
    if bad:
        more = len(bad) - MAX_REPORTED
        tail = [f"{path}: {more} more bad rows"] if more > 0 else []
        raise OrderImportError("\n".join(bad[:MAX_REPORTED] + tail))
    return orders
