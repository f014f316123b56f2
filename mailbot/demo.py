"""A ready-to-run demo of the returns desk.

``build_demo`` writes a self-contained demo directory: an orders CSV, a Maildir inbox
holding one request per scenario, an empty outbox directory and a ``config.toml``
pointing at all of them. The orders and requests are data, in examples/demo.toml
(examples/README.md lists them); mails are made by mailbot/testing.py.
"""

from __future__ import annotations

import csv
import mailbox
import shutil
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from mailbot.core.model import Order
from mailbot.store.orderscsv import COLUMNS
from mailbot.testing import domain_of, make_request

# Written into every demo directory; only a directory holding it is ever wiped.
MARKER = ".mailbot-demo"
# The demo's data, beside the rules and templates in a checkout of the repository.
DEMO_DATA = Path(__file__).resolve().parents[1] / "examples" / "demo.toml"


@dataclass(frozen=True)
class DemoOrder:
    """One demo order line; delivery is given relative to the demo's "now"."""

    order_id: str
    customer_email: str
    product: str
    sku: str
    quantity: int
    payment_price: Decimal
    purchase_cost: Decimal
    export_postage: Decimal
    delivered_ago: timedelta
    tracking_number: str
    carrier: str
    currency: str = "EUR"

    def delivered_at(self, now: datetime) -> datetime:
        """Delivery time for a demo run at ``now`` (whole seconds)."""
        return (now - self.delivered_ago).replace(microsecond=0)

    def to_order(self, now: datetime) -> Order:
        """This order as the core's ``Order``, delivered relative to ``now``."""
        return Order(
            order_id=self.order_id,
            customer_email=self.customer_email,
            product=self.product,
            sku=self.sku,
            quantity=self.quantity,
            payment_price=self.payment_price,
            purchase_cost=self.purchase_cost,
            export_postage=self.export_postage,
            currency=self.currency,
            delivered_at=self.delivered_at(now),
            tracking_number=self.tracking_number,
            carrier=self.carrier,
        )

    def row(self, now: datetime) -> dict[str, str]:
        """The orders CSV row, ``delivered_at`` as ISO 8601 with UTC offset."""
        return {
            "order_id": self.order_id,
            "customer_email": self.customer_email,
            "product": self.product,
            "sku": self.sku,
            "quantity": str(self.quantity),
            "payment_price": str(self.payment_price),
            "purchase_cost": str(self.purchase_cost),
            "export_postage": str(self.export_postage),
            "currency": self.currency,
            "delivered_at": self.delivered_at(now).isoformat(),
            "tracking_number": self.tracking_number,
            "carrier": self.carrier,
        }


@dataclass(frozen=True)
class DemoRequest:
    """One demo customer email and the answer the shop's rules should give."""

    key: str
    order_id: str
    sender: str
    subject: str
    body: str
    attachments: tuple[str, ...]
    expected: str


@cache
def demo_orders(path: Path = DEMO_DATA) -> tuple[DemoOrder, ...]:
    """The demo's orders, from examples/demo.toml."""
    with path.open("rb") as file:
        rows = tomllib.load(file)["order"]
    return tuple(
        DemoOrder(
            order_id=row["order_id"],
            customer_email=row["customer_email"],
            product=row["product"],
            sku=row["sku"],
            quantity=row["quantity"],
            payment_price=Decimal(row["payment_price"]),
            purchase_cost=Decimal(row["purchase_cost"]),
            export_postage=Decimal(row["export_postage"]),
            delivered_ago=timedelta(days=row["delivered_days_ago"]),
            tracking_number=row["tracking_number"],
            carrier=row["carrier"],
            currency=row["currency"],
        )
        for row in rows
    )


@cache
def demo_requests(path: Path = DEMO_DATA) -> tuple[DemoRequest, ...]:
    """The demo's customer requests, one per scenario, from examples/demo.toml."""
    with path.open("rb") as file:
        rows = tomllib.load(file)["request"]
    return tuple(
        DemoRequest(
            key=row["key"],
            order_id=row["order_id"],
            sender=row["sender"],
            subject=row["subject"],
            body=row["body"],
            attachments=tuple(row["attachments"]),
            expected=row["expected"],
        )
        for row in rows
    )


def build_demo(target: Path, now: datetime, repo_root: Path) -> Path:
    """(Re)create the demo under ``target`` and return its ``config.toml`` path.

    ``now`` must be timezone-aware; deliveries and message dates are relative to it.
    ``target`` is wiped first only when it holds the demo marker file or is empty;
    any other existing directory (or a file) raises ``FileExistsError``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("build_demo needs a timezone-aware 'now'")
    _prepare_target(target)
    (target / MARKER).write_text("Created by mailbot.demo; rebuilt on every run.\n")
    _write_orders(target / "orders.csv", now)
    _write_inbox(target / "inbox", repo_root / "examples" / "media", now)
    (target / "outbox").mkdir()
    config = target / "config.toml"
    config.write_text(_config_text(repo_root.resolve()), encoding="utf-8")
    return config


def _prepare_target(target: Path) -> None:
    """Make ``target`` an empty directory, refusing to wipe anything not a demo."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise FileExistsError(f"{target}: exists and is not a demo directory")
    if target.is_dir() and any(target.iterdir()):
        if not (target / MARKER).is_file():
            raise FileExistsError(
                f"{target}: not empty and has no {MARKER} marker; refusing to delete it"
            )
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)


def _write_orders(path: Path, now: datetime) -> None:
    """Write the demo orders CSV with deliveries relative to ``now``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for order in demo_orders():
            writer.writerow(order.row(now))


def _write_inbox(path: Path, media: Path, now: datetime) -> None:
    """Deliver every demo request into a new Maildir at ``path``."""
    inbox = mailbox.Maildir(path, create=True)
    try:
        requests = demo_requests()
        for index, request in enumerate(requests):
            sent_at = now - timedelta(minutes=len(requests) - index)
            inbox.add(_request_bytes(request, media, sent_at))
    finally:
        inbox.close()


def _request_bytes(request: DemoRequest, media: Path, sent_at: datetime) -> bytes:
    """The email bytes of one demo request, sent at ``sent_at``."""
    stamp = sent_at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return make_request(
        sender=request.sender,
        subject=request.subject,
        body=request.body,
        attachments=[media / name for name in request.attachments],
        message_id=f"<demo-{request.key}-{stamp}@{domain_of(request.sender)}>",
        date=sent_at,
    )


def _config_text(repo_root: Path) -> str:
    """The demo's config.toml; data paths are relative to the config file's directory."""
    return (
        "[maildir]\n"
        'path = "inbox"\n'
        'processed_folder = "processed"\n'
        "[outbox]\n"
        'directory = "outbox"\n'
        "[smtp]\n"
        'from = "Shop Returns <returns@shop.example>"\n'
        "[database]\n"
        'url = "sqlite:///mailbot.db"\n'
        "[orders]\n"
        'csv = "orders.csv"\n'
        "[agents]\n"
        'addresses = ["agent@shop.example"]\n'
        "# Signs the token in mail to agents. Demo only: use secret_file in production.\n"
        'secret = "demo-only-agent-secret-0123456789"\n'
        "[paths]\n"
        f"rules = {_toml_string(repo_root / 'rules')}\n"
        f"templates = {_toml_string(repo_root / 'templates')}\n"
    )


def _toml_string(path: Path) -> str:
    """A path as a TOML basic string (backslashes and quotes escaped)."""
    text = path.as_posix().replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
