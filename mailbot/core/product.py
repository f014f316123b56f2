"""What a mail says about the product, held against the products of the order data.

A careful person on the desk uses the product a customer names in two ways:

- which order: with no order number and several of the sender's orders in the return
  window, the one whose product the mail names is the one meant. It is named by a model
  ("UT61E+", "DS1054Z", "UT89X万用表") or by the product's own name ("das Fluke 117",
  "de Weller", "Saleae Logic 8") that no other of those orders has; a word two of them
  share ("one of the ESP32 boards", "MG996R", "Raspberry Pi") names neither.
- what arrived: a model of the ordered model's family that is not the ordered one
  ("ESP8266" for "ESP32", "LRS-150-12" for "LRS-150-24", "DHT11" for "DHT22", "SG90"
  for "MG90S", "IP30" for "IP65"), or a size or rating in a unit the product's name
  states but of another value ("4GB" for "8 GB", "12 V" for "24 V", "1 m" for "2 m"),
  is what a wrong item looks like. A customer who describes a fault and names the
  ordered model is complaining about the ordered product: another model there is one
  it is compared with ("with the DHT11 it worked"), and a value in a fault is a
  measurement ("set to 12 V, 29 V at the output"); they are shown and weigh nothing.

How product words are found is core/productwords.py; the weights are the admin's
(rules/classify.toml [products]).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailbot.core.mailreading import Cue
from mailbot.core.model import Order, Scenario
from mailbot.core.productwords import (
    ProductRules,
    models,
    names,
    values,
    words,
    written_name,
)

_DIGITS = re.compile(r"\d+")
_LEAD = re.compile(r"[a-z]*")
# A model names one order when it is this long ("BME280", "ESP32"): "V2", "S3" do not.
_NAMING_LENGTH = 4
# Models of one family are about as long: "DS1ZA262100417" is the serial number on a
# DS1054Z, not another model.
_LENGTH_SPREAD = 3


def _shared(order: Order, others: Iterable[Order], rules: ProductRules) -> set[str]:
    """Everything of the other orders' products a mail could name, lower case."""
    found: set[str] = set()
    for other in others:
        if other is not order:
            text = f"{other.product} {other.sku}"
            found |= words(text) | {key for m in models(text, rules.units) for key in m.keys}
    return found


def named_orders(
    subject: str, text: str, orders: Iterable[Order], rules: ProductRules
) -> list[tuple[Order, str]]:
    """Of `orders`, those whose product the mail names by a model or a name that none of
    the others has, each with the words that name it."""
    listed = tuple(orders)
    mail = f"{subject}\n\n{text}"
    written: dict[str, str] = {}
    for m in models(mail, rules.units):
        written = m.keys | written
    named: list[tuple[Order, str]] = []
    for order in listed:
        shared = _shared(order, listed, rules)
        own = {
            key
            for m in models(f"{order.product} {order.sku}", rules.units)
            for key in m.keys
            if len(key) >= _NAMING_LENGTH
        }
        said = [written[key] for key in sorted(own - shared) if key in written]
        for name in sorted(names(order.product, rules.common_words)):
            if name.lower() not in shared and (found := written_name(mail, name)):
                said.append(found)
        if said:
            named.append((order, min(said, key=mail.find)))  # the first the mail writes
    return named


def _lead(model: str) -> str:
    """The letters a model starts with: "esp" of "esp32"."""
    match = _LEAD.match(model)
    return match.group() if match else ""


def _skeleton(model: str) -> str:
    """The model with each run of digits as one "#": "esp#", "lrs-#-#"."""
    return _DIGITS.sub("#", model)


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by at most one letter changed, added or dropped."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def family(ordered: str, written: str) -> bool:
    """Whether `written` is another model of `ordered`'s family: the same letters around
    other numbers ("esp32"/"esp8266", "lrs-150-24"/"lrs-150-12", "ip65"/"ip30"), the
    same leading letters before other numbers ("ws2812b"/"ws2815"), or the same numbers
    after nearly the same letters ("bme280"/"bmp280", "mg90s"/"sg90", "ka3005d"/
    "ka3005p"). One that begins the other is the same model written shorter
    ("ws2812"/"ws2812b"); "stm32" and "esp32" share only a number."""
    if ordered.startswith(written) or written.startswith(ordered):
        return False
    if abs(len(ordered) - len(written)) > _LENGTH_SPREAD:
        return False
    digits, other_digits = _DIGITS.findall(ordered), _DIGITS.findall(written)
    if len(digits) != len(other_digits):
        return False
    if _skeleton(ordered) == _skeleton(written):
        return True
    lead, other_lead = _lead(ordered), _lead(written)
    if digits != other_digits:
        return len(lead) >= 2 and lead == other_lead
    return min(len(lead), len(other_lead)) >= 2 and _one_edit(lead, other_lead)


def _cue(words: str, ordered: str, weight: float) -> Cue:
    return Cue(Scenario.WRONG_ITEM.value, cue=ordered, words=words, weight=weight, where="order")


def arrived_otherwise(
    subject: str, text: str, product: str, rules: ProductRules, fault: bool
) -> list[Cue]:
    """What the mail says of the product that is not the ordered `product`, as wrong-item
    cues in the customer's words (each with what the order says). Models of the ordered
    one's family: the first weighs `model_mismatch`, its `beside_ordered` share when the
    mail writes the ordered model too (it may compare the two: "the DHT22 reads NaN,
    the DHT11 worked"), nothing when it also describes a `fault`. Values in the units
    the name states that it does not cover: the first of the weightiest unit weighs
    that unit's weight, nothing in a fault. The others are shown, weighing nothing."""
    mail = f"{subject}\n{text}"
    ordered = models(product, rules.units)
    ordered_keys: dict[str, str] = {}
    for o in ordered:
        ordered_keys |= o.keys
    written = models(mail, rules.units)
    names_ordered = any(key in ordered_keys for m in written for key in m.keys)
    weight = rules.model_mismatch * (rules.beside_ordered if names_ordered else 1.0)
    if fault and names_ordered:
        weight = 0.0
    cues: list[Cue] = []
    seen: set[str] = set()
    for m in written:
        # Joined models are held against joined ones ("LRS-150-12" against "LRS-150-24"),
        # parts against parts ("ESP8266" against the "ESP32" of "ESP32-WROOM-32").
        pairs = [(o.key, o.words, m.key, m.words) for o in ordered if o.joined and m.joined]
        pairs += [
            (o, ordered_words, p.lower(), p)
            for o, ordered_words in ordered_keys.items()
            for p in m.parts
            if p.lower() not in ordered_keys
        ]
        for ordered_key, ordered_words, key, said in pairs:
            if key not in seen and family(ordered_key, key):
                seen.add(key)
                cues.append(_cue(said, ordered_words, 0.0 if cues else weight))
    stated = values(product, rules.units)
    other = [
        v
        for v in values(mail, rules.units)
        if (same := [s for s in stated if s.unit == v.unit])
        and not any(s.covers(v.high) for s in same)
    ]
    heaviest = max((v.unit.weight for v in other), default=0.0)
    counted = fault
    for v in other:
        if v.words.lower() not in seen:
            seen.add(v.words.lower())
            counts = not counted and v.unit.weight == heaviest
            counted = counted or counts
            said = next(s.words for s in stated if s.unit == v.unit)
            cues.append(_cue(v.words, said, v.unit.weight if counts else 0.0))
    return cues
