"""Which order a mail is about.

The reading finds the numbers a mail writes: order numbers after the words customers
put before them, in any language of the rules ("Bestell-Nr.: 403117", "commande n°
403117", "заказ № 403117", "订单号 403117", "#403117"), and numbers in the shop's own
format ("PS-403117", "ps403117"), each as the order data holds it; and, apart, the
numbers that stand alone ("403117" in a subject). The decision takes the one of those
that is the sender's order (the one the mail names most), else the first order number
written; a number standing alone counts only when it is one of the sender's orders, so
a phone number, postcode, tracking or invoice number is never taken for one. A number
that other words label ("Ticket #4471203", "Vorgangsnummer 4471203", "工单号 4471203":
rules/classify.toml [orders] not_orders) is neither, whatever its form. With no
number at all, the sender's orders in the return window tell (core/ordercheck.py): the
only one, the one whose product the mail names ("the BME280", core/product.py), or the
one picked from a list we sent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailbot.core.model import Order, Reading
from mailbot.core.pattern import Pattern


@dataclass(frozen=True)
class OrderNumberRules:
    """rules/classify.toml [orders]: the admin's patterns (compiled by the shell's RE2)."""

    # An order number after its label, in each language; group 1: the number as written.
    patterns: tuple[Pattern, ...]
    # The shop's own formats; group 1: the number as the order data holds it.
    shop_formats: tuple[Pattern, ...]
    # Numbers other labels name (a ticket, case, tracking, invoice or customer number);
    # group 1: the number, which is then no order number, labelled or alone.
    not_orders: tuple[Pattern, ...] = ()


# A run of 4 to 12 digits on its own: not glued to letters of a word or model number
# ("DS1054Z"), nor part of a date, amount, phone or reference ("12.11.2026", "RE-2026-44817",
# "+49", "4417 5290"'s pieces are alone, but no order is 4 digits long). Chinese text
# writes numbers next to its characters, which do not glue. A fixed pattern of ours (no
# nested repetition): Python's re runs it in linear time.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ALONE = re.compile(rf"(?<![^\W{_HAN}]|[.,/:+\-#])(\d{{4,12}})(?![^\W{_HAN}]|[/+\-]|[.,:]\d)")


def shop_number(written: str, rules: OrderNumberRules) -> str:
    """`written` as the order data holds it: "PS-403117" → "403117" when a shop format
    says so, else upper case."""
    for pattern in rules.shop_formats:
        match = pattern.fullmatch(written)
        if match is not None and (number := match.group(1)):
            return number.upper()
    return written.upper()


def find_numbers(text: str, rules: OrderNumberRules) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The order numbers `text` writes (labelled or in the shop's format, as the order
    data holds them) and the numbers standing alone in it, each in the order written."""
    other = [
        (match.start(1), match.end(1))
        for pattern in rules.not_orders
        for match in pattern.finditer(text)
        if match.group(1)
    ]

    def labelled_other(start: int, stop: int) -> bool:
        return any(a < stop and start < b for a, b in other)

    spans: list[tuple[int, int, str]] = []
    for pattern in rules.patterns:
        for match in pattern.finditer(text):
            number = match.group(1)
            if number and not labelled_other(match.start(1), match.end(1)):
                spans.append((match.start(1), match.end(1), shop_number(number, rules)))
    for pattern in rules.shop_formats:
        for match in pattern.finditer(text):
            number = match.group(1)
            if number and not labelled_other(match.start(1), match.end(1)):
                spans.append((match.start(0), match.end(0), number.upper()))
    spans.sort()
    written: list[str] = []
    end = -1
    for start, stop, number in spans:
        if start >= end:  # "Bestellung PS-403117": the label's match and the format's are one
            written.append(number)
        end = max(end, stop)
    alone = [
        m.group(1)
        for m in _ALONE.finditer(text)
        if not any(start < m.end(1) and m.start(1) < stop for start, stop, _ in spans)
        and not labelled_other(m.start(1), m.end(1))
    ]
    return tuple(written), tuple(alone)


def order_number(reading: Reading, sender_orders: Iterable[Order]) -> str | None:
    """The order the mail names: of the sender's orders it writes (as an order number or
    alone), the one it names most (the first of equals); else the first order number
    written (someone else's, or none at all: the decision says which); else None."""
    mine = {o.order_id for o in sender_orders}
    named = Counter(n for n in (*reading.order_numbers, *reading.numbers) if n in mine)
    if named:
        return named.most_common(1)[0][0]  # most_common keeps the first seen among equals
    return reading.order_numbers[0] if reading.order_numbers else None


def orders_in_window(orders: Iterable[Order], return_days: int, at: datetime) -> tuple[Order, ...]:
    """The orders delivered in the `return_days` before `at`, the latest first."""
    since = at - timedelta(days=return_days)
    listed = [o for o in orders if since <= o.delivered_at <= at]
    return tuple(sorted(listed, key=lambda o: (o.delivered_at, o.order_id), reverse=True))
