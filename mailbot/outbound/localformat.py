"""Dates, money, numbers and lists in the reader's language (Babel, CLDR data), as
template filters: ``{{ ship_by | day }}``, ``{{ refund | money }}``,
``{{ carriers | either }}``. Each reads the language the reply is rendered in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context

from mailbot.core.model import Money
from mailbot.outbound.catalogs import Language

LANGUAGE = "reply_language"  # the context key the renderer sets


def language(context: Context) -> Language:
    """The language the reply is being rendered in."""
    found = context.get(LANGUAGE)
    assert isinstance(found, Language), "rendered without a language"
    return found


# A reminder planned by a version that worded dates and amounts in the core keeps
# them as English text in its stored context: shown as they are, never a failure.
Worded = str


@pass_context
def day(context: Context, value: datetime | Worded) -> str:
    """'10 December 2026', '10. Dezember 2026', '10 de diciembre de 2026', in the
    value's zone (without the weekday, so that it fits after "on", "am", "el", "w dniu")."""
    if isinstance(value, Worded):
        return value
    return format_date(value, "long", locale=language(context).locale)


@pass_context
def day_time(context: Context, value: datetime | Worded) -> str:
    """The day, the time and the zone: '10 December 2026, 14:05 CET'."""
    if isinstance(value, Worded):
        return value
    locale = language(context).locale
    time = format_time(value, "short", tzinfo=value.tzinfo, locale=locale)
    return f"{format_date(value, 'long', locale=locale)}, {time} {value.tzname() or ''}".strip()


@pass_context
def money(context: Context, value: Money | Worded) -> str:
    """'78,10 €', 'US$45.10'."""
    if isinstance(value, Worded):
        return value
    if not isinstance(value, Money):
        # The renderer turns this into a TemplateError naming the template and line: the
        # reply fails (and its message is retried, then quarantined), never the pass.
        raise ValueError(f"no amount of money to write (got {value!r})")
    return format_currency(value.amount, value.currency, locale=language(context).locale)


@pass_context
def number(context: Context, value: int | float | Decimal) -> str:
    """'1.234' in German, '1,234' in English."""
    return format_decimal(value, locale=language(context).locale)


@pass_context
def either(context: Context, items: Iterable[str]) -> str:
    """'FedEx or DHL', 'FedEx oder DHL', 'FedEx或DHL'."""
    return format_list(list(items), style="or", locale=language(context).locale)


FILTERS = {"day": day, "day_time": day_time, "money": money, "number": number, "either": either}
