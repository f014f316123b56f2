"""A reminder's context as JSON, datetimes and Money included.

Reply contexts hold facts a reply words when it is rendered (core/model.Reply): a
reminder keeps the context of the reply it follows for days, so those facts must come
back as they were, a datetime with its time zone, an amount as a Decimal. They are
stored as small tagged objects ({"$datetime": …}, {"$money": …}).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailbot.core.model import Money


def _tagged(value: object) -> object:
    if isinstance(value, datetime):
        zone = getattr(value.tzinfo, "key", "")
        return {"$datetime": value.isoformat(), "zone": zone}
    if isinstance(value, Money):
        return {"$money": str(value.amount), "currency": value.currency}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    return str(value)


def _untagged(obj: dict[str, Any]) -> object:
    if "$datetime" in obj:
        moment = datetime.fromisoformat(obj["$datetime"])
        try:
            return moment.astimezone(ZoneInfo(obj["zone"])) if obj.get("zone") else moment
        except (ZoneInfoNotFoundError, ValueError):
            return moment
    if "$money" in obj:
        return Money(Decimal(obj["$money"]), obj.get("currency", ""))
    if "$decimal" in obj:
        return Decimal(obj["$decimal"])
    return obj


def dumps(context: dict[str, object]) -> str:
    """`context` as JSON text; datetimes, Money and Decimals tagged."""
    return json.dumps(context, ensure_ascii=False, default=_tagged)


def loads(text: str) -> dict[str, object]:
    """The context `dumps` wrote, datetimes, Money and Decimals as they were."""
    value = json.loads(text, object_hook=_untagged)
    return value if isinstance(value, dict) else {}
