"""A ready-to-run demo of the returns desk, and the customer email factory tests use.

``make_request`` builds the bytes of an email as a customer's mail client would send
it (text body, base64 attachments with a type guessed from the file name).
``build_demo`` writes a self-contained demo directory: an orders CSV, a Maildir inbox
holding one request per scenario (see examples/README.md), an empty outbox directory
and a ``config.toml`` pointing at all of them. Standard library only.
"""

from __future__ import annotations

import csv
import mailbox
import mimetypes
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import TypeAlias

from mailbot.core.model import Order

__all__ = [
    "DEMO_ORDERS",
    "DEMO_REQUESTS",
    "MARKER",
    "ORDER_COLUMNS",
    "DemoOrder",
    "DemoRequest",
    "build_demo",
    "make_request",
]

# Written into every demo directory; only a directory holding it is ever wiped.
MARKER = ".mailbot-demo"

ORDER_COLUMNS = (
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

SHOP_ADDRESS = "returns@shop.example"

Attachment: TypeAlias = Path | tuple[str, bytes, str]

# The built-in table only (no /etc/mime.types), so every machine guesses alike.
_MIME_TYPES = mimetypes.MimeTypes()
_MIME_TYPES.add_type("image/heic", ".heic")
_MIME_TYPES.add_type("image/heif", ".heif")


# --------------------------------------------------------------------------- factory


def guess_type(filename: str) -> str:
    """Content type a mail client would declare for ``filename`` (by its name only)."""
    guessed, _encoding = _MIME_TYPES.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def _attachment_parts(attachment: Attachment) -> tuple[str, bytes, str]:
    """Filename, bytes and declared content type of one attachment."""
    if isinstance(attachment, Path):
        return attachment.name, attachment.read_bytes(), guess_type(attachment.name)
    return attachment


def _add_attachment(message: EmailMessage, attachment: Attachment) -> None:
    """Attach one file base64-encoded, declared with the type its name suggests."""
    filename, data, content_type = _attachment_parts(attachment)
    maintype, _, subtype = content_type.partition("/")
    message.add_attachment(
        data,
        maintype=maintype,
        subtype=subtype or "octet-stream",
        filename=filename,
        cte="base64",
    )


def make_request(
    *,
    sender: str,
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
    message_id: str | None = None,
    date: datetime | None = None,
    in_reply_to: str | None = None,
    to: str = SHOP_ADDRESS,
) -> bytes:
    """Build a customer's email and return its bytes (LF line endings, as Maildir stores).

    ``sender`` is an address, optionally with a display name ("Ann <ann@x.example>").
    Each attachment is a file path (type guessed from its name) or a
    ``(filename, data, declared_type)`` tuple. With attachments the message is
    multipart/mixed (text/plain body first); without, a single text/plain part, as
    mail clients send it. ``date`` defaults to now (UTC); ``message_id`` to a fresh
    one on the sender's domain. ``in_reply_to`` also fills ``References``.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=_domain_of(sender))
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["User-Agent"] = "Mozilla Thunderbird"
    message.set_content(body)
    for attachment in attachments:
        _add_attachment(message, attachment)
    return message.as_bytes()


def _domain_of(sender: str) -> str:
    """Domain part of a sender address, or a placeholder when it has none."""
    _name, address = parseaddr(sender)
    return address.rpartition("@")[2] or "customer.example"


# --------------------------------------------------------------------------- demo data


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


DEMO_ORDERS: list[DemoOrder] = [
    DemoOrder(
        order_id="100201",
        customer_email="anna.becker@example.com",
        product="STM32F407 development board",
        sku="STM32F407-DISC",
        quantity=1,
        payment_price=Decimal("49.90"),
        purchase_cost=Decimal("21.30"),
        export_postage=Decimal("9.80"),
        delivered_ago=timedelta(days=5),
        tracking_number="00340434161234567801",
        carrier="DHL",
    ),
    DemoOrder(
        order_id="100202",
        customer_email="j.mueller@example.de",
        product="ESP32-S3 DevKitC-1 (N8R8)",
        sku="ESP32S3-DKC1",
        quantity=2,
        payment_price=Decimal("31.80"),
        purchase_cost=Decimal("14.20"),
        export_postage=Decimal("7.50"),
        delivered_ago=timedelta(days=6),
        tracking_number="794612345602",
        carrier="FedEx",
    ),
    DemoOrder(
        order_id="100203",
        customer_email="li.wei@example.net",
        product="Rigol DS1054Z digital oscilloscope",
        sku="RIGOL-DS1054Z",
        quantity=1,
        payment_price=Decimal("389.00"),
        purchase_cost=Decimal("251.00"),
        export_postage=Decimal("34.90"),
        delivered_ago=timedelta(days=7),
        tracking_number="00340434161234567803",
        carrier="DHL",
    ),
    DemoOrder(
        order_id="100204",
        customer_email="m.rossi@example.it",
        product="Bench power supply 30 V / 5 A",
        sku="PSU-3005D",
        quantity=1,
        payment_price=Decimal("74.50"),
        purchase_cost=Decimal("38.10"),
        export_postage=Decimal("14.90"),
        delivered_ago=timedelta(days=40),
        tracking_number="794612345604",
        carrier="FedEx",
    ),
    DemoOrder(
        order_id="100205",
        customer_email="sam.taylor@example.co.uk",
        product="Raspberry Pi 5 (8 GB)",
        sku="RPI5-8GB",
        quantity=1,
        payment_price=Decimal("92.00"),
        purchase_cost=Decimal("71.40"),
        export_postage=Decimal("9.80"),
        delivered_ago=timedelta(days=1),
        tracking_number="00340434161234567805",
        carrier="DHL",
    ),
    DemoOrder(
        order_id="100206",
        customer_email="p.novak@example.cz",
        product="Arduino Uno R4 WiFi",
        sku="ARD-UNO-R4W",
        quantity=1,
        payment_price=Decimal("27.50"),
        purchase_cost=Decimal("16.90"),
        export_postage=Decimal("7.50"),
        delivered_ago=timedelta(days=4),
        tracking_number="794612345606",
        carrier="FedEx",
    ),
    DemoOrder(
        order_id="100207",
        customer_email="claire.dubois@example.fr",
        product="Hakko FX-888D soldering station",
        sku="HAKKO-FX888D",
        quantity=1,
        payment_price=Decimal("129.00"),
        purchase_cost=Decimal("38.50"),
        export_postage=Decimal("12.40"),
        delivered_ago=timedelta(days=10),
        tracking_number="00340434161234567807",
        carrier="DHL",
    ),
    DemoOrder(
        order_id="100208",
        customer_email="o.hansen@example.dk",
        product="Nordic nRF52840 DK",
        sku="NRF52840-DK",
        quantity=1,
        payment_price=Decimal("58.90"),
        purchase_cost=Decimal("39.00"),
        export_postage=Decimal("9.80"),
        delivered_ago=timedelta(days=3),
        tracking_number="794612345608",
        carrier="FedEx",
    ),
    DemoOrder(
        order_id="100209",
        customer_email="k.schmidt@example.at",
        product="Logic analyser 24 MHz, 8 channels",
        sku="LA-24M8",
        quantity=3,
        payment_price=Decimal("38.70"),
        purchase_cost=Decimal("12.60"),
        export_postage=Decimal("7.50"),
        delivered_ago=timedelta(days=8),
        tracking_number="00340434161234567809",
        carrier="DHL",
    ),
    DemoOrder(
        order_id="100210",
        customer_email="r.silva@example.pt",
        product="USB oscilloscope 2 channels, 20 MHz",
        sku="USBSCOPE-2C20",
        quantity=1,
        payment_price=Decimal("119.00"),
        purchase_cost=Decimal("72.00"),
        export_postage=Decimal("12.40"),
        delivered_ago=timedelta(days=2),
        tracking_number="794612345610",
        carrier="FedEx",
    ),
    DemoOrder(
        order_id="100211",
        customer_email="l.rossi@example.it",
        product="Bench power supply 30 V / 5 A",
        sku="PSU-3005",
        quantity=1,
        payment_price=Decimal("74.50"),
        purchase_cost=Decimal("41.00"),
        export_postage=Decimal("11.20"),
        delivered_ago=timedelta(days=6),
        tracking_number="794612345611",
        carrier="FedEx",
    ),
]


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


def _photos(*numbers: int) -> tuple[str, ...]:
    """File names of the numbered HD demo photos."""
    return tuple(f"photo-hd-{n:02d}.jpg" for n in numbers)


VIDEOS = ("video-01.mp4", "video-02.mp4", "video-03.mp4")
HD_PHOTOS = _photos(*range(1, 11))
FULL_DEFECT_EVIDENCE = (*VIDEOS, *HD_PHOTOS, "fault-statement.pdf")

DEMO_REQUESTS: list[DemoRequest] = [
    DemoRequest(
        "a",
        "100201",
        "Anna Becker <anna.becker@example.com>",
        "Return request - Order 100201 - board arrived dead",
        "Hello,\n\nthe STM32F407 development board from order #100201 arrived dead: it does"
        " not power on at all, the power LED stays off on every USB port I tried. It"
        " looks like a manufacturing defect.\n\nAttached are three videos of the fault,"
        " ten photos and my signed fault statement. Please tell me how to send it"
        " back.\n\nKind regards,\nAnna Becker\n",
        FULL_DEFECT_EVIDENCE,
        "RMA issued (quality defect, evidence complete, within 30 days)",
    ),
    DemoRequest(
        "b",
        "100202",
        "Jürgen Müller <j.mueller@example.de>",
        "Defective ESP32 boards, order 100202",
        "Hi,\n\nboth ESP32-S3 boards of my order 100202 are defective - they do not power"
        " up and get hot near the regulator. I have attached two videos, ten photos and"
        " the fault statement.\n\nThanks,\nJürgen\n",
        ("video-01.mp4", "video-phone.mov", *HD_PHOTOS, "fault-statement.pdf"),
        "Missing list: one more video",
    ),
    DemoRequest(
        "c",
        "100203",
        "Li Wei <li.wei@example.net>",
        "Oscilloscope faulty - Order 100203",
        "Dear support,\n\nthe oscilloscope from order #100203 is faulty: channel 2 shows no"
        " signal and the screen flickers. Videos, photos and my fault statement are"
        " attached.\n\nBest regards,\nLi Wei\n",
        (
            "video-01.mp4",
            "video-02.mp4",
            "not-a-video.mp4",
            *_photos(1, 2, 3, 4, 5, 6, 7, 8),
            "photo-small-01.jpg",
            "photo-small-02.jpg",
            "fault-statement.pdf",
        ),
        "Missing list: not-a-video.mp4 is not a video (one video missing);"
        " photo-small-01/02.jpg are below 1280x720 (two HD photos missing)",
    ),
    DemoRequest(
        "d",
        "100204",
        "Marco Rossi <m.rossi@example.it>",
        "Order 100204: power supply broken",
        "Hello,\n\nthe bench power supply of order 100204 is broken, the output voltage"
        " jumps between 0 and 30 V. I attach videos, photos and the fault statement.\n\n"
        "Regards,\nMarco Rossi\n",
        (*VIDEOS, *_photos(1, 2, 3, 4, 5, 6, 7, 8, 9), "photo-phone.heic", "fault-statement.pdf"),
        "Refused: delivered 40 days ago, beyond the 30-day return window",
    ),
    DemoRequest(
        "e",
        "100205",
        "Sam Taylor <sam.taylor@example.co.uk>",
        "Wrong item received - order #100205",
        "Hi there,\n\nI received the wrong model with order #100205: I ordered a Raspberry"
        " Pi 5 (8 GB) but the box contains a Raspberry Pi 4 Model B. A screenshot of my"
        " order and two photos of the package are attached.\n\nCheers,\nSam\n",
        ("screenshot-order.png", "photo-hd-01.jpg", "photo-hd-02.jpg"),
        "Two options offered (keep with 50 % compensation, or return within 5 working days)",
    ),
    DemoRequest(
        "f",
        "100206",
        "Petr Novák <p.novak@example.cz>",
        "Order 100206 - wrong item",
        "Hello,\n\nyou sent me the wrong item for order 100206, it is an Uno R3 and not the"
        " R4 WiFi. Screenshot and photos attached.\n\nPetr Novák\n",
        ("screenshot-order.png", "photo-hd-03.jpg", "photo-hd-04.jpg"),
        "Refused: reported 4 days after delivery, beyond the 48-hour window",
    ),
    DemoRequest(
        "g",
        "100207",
        "Claire Dubois <claire.dubois@example.fr>",
        "Return of order 100207",
        "Hello,\n\nI changed my mind and no longer need the soldering station from order"
        " 100207. I want to return it; it is unused and still sealed in its original"
        " box. Attached: a panoramic photo of the product and one of the packaging.\n\n"
        "Thank you,\nClaire Dubois\n",
        ("photo-hd-11.jpg", "photo-hd-12.jpg"),
        "RMA issued (change of mind), refund 129.00 - 38.50 - 12.40 = 78.10 EUR",
    ),
    DemoRequest(
        "h",
        "100208",
        "Eve Martin <eve.martin@example.org>",
        "Order 100208 defective",
        "Hi,\n\nthe nRF52840 DK from order 100208 is defective, it does not power on."
        " Evidence attached.\n\nEve\n",
        (*VIDEOS, *HD_PHOTOS, "fault-statement.txt"),
        "No RMA: the sender is not the customer of order 100208",
    ),
    DemoRequest(
        "i",
        "100209",
        "Katharina Schmidt <k.schmidt@example.at>",
        "Return",
        "Hello,\n\nI want to return my order 100209.\n\nKatharina Schmidt\n",
        (),
        "Asked which case applies (defect, wrong item or change of mind)",
    ),
    DemoRequest(
        "j",
        "100210",
        "Rui Silva <r.silva@example.pt>",
        "USB oscilloscope faulty",
        "Hello,\n\nthe USB oscilloscope I bought from you two days ago is faulty: it does"
        " not power on when plugged in. How can I return it?\n\nRui Silva\n",
        (),
        "Missing list for order 100210, the sender's only order in the return window",
    ),
    DemoRequest(
        "k",
        "100211",
        "Lucia Rossi <l.rossi@example.it>",
        "Defect - order 100211",
        "Hello,\n\nthe power supply from order 100211 is defective: the output voltage"
        " jumps between 0 and 30 V. The videos are too big for email, here they are:"
        " https://drive.google.com/drive/folders/1aBcDeFgHiJkLmNoP\n\nOne short clip is"
        " attached.\n\nLucia Rossi\n",
        ("video-01.mp4",),
        "To an agent: the files behind a Google Drive link must be checked by a person",
    ),
]


# --------------------------------------------------------------------------- build


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
        writer = csv.DictWriter(handle, fieldnames=ORDER_COLUMNS)
        writer.writeheader()
        for order in DEMO_ORDERS:
            writer.writerow(order.row(now))


def _write_inbox(path: Path, media: Path, now: datetime) -> None:
    """Deliver every demo request into a new Maildir at ``path``."""
    inbox = mailbox.Maildir(path, create=True)
    try:
        for index, request in enumerate(DEMO_REQUESTS):
            sent_at = now - timedelta(minutes=len(DEMO_REQUESTS) - index)
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
        message_id=f"<demo-{request.key}-{stamp}@{_domain_of(request.sender)}>",
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
