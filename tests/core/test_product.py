"""The product a mail names, held against the order data's products: which of the
sender's orders it means, and whether what it says arrived is the ordered product."""

from __future__ import annotations

import pytest

from mailbot.core.product import arrived_otherwise, family, named_orders
from mailbot.core.productwords import ProductRules, models, names, values
from mailbot.core.rulebook import Rulebook
from tests.core.conftest import order


@pytest.fixture(scope="module")
def products(rules: Rulebook) -> ProductRules:
    return rules.products


def test_models_are_letters_and_digits_together_in_any_script(products: ProductRules) -> None:
    text = "Die LRS-150-12 statt ESP32-S3, UT89X万用表, 4GB, 12V, SRD-12VDC-SL-C, 2026-11-19"
    found = {m.words: m.parts for m in models(text, products.units)}
    assert found == {
        "LRS-150-12": (),
        "ESP32-S3": ("ESP32", "S3"),
        "UT89X": ("UT89X",),
        "SRD-12VDC-SL-C": (),
    }


def test_values_in_the_units_of_the_rules(products: ProductRules) -> None:
    text = (
        "12V 12.5A, die 8-GB-Variante, на 24 В, 12VDC, 2 w 1 zestaw, 0-30 V, 12V的电源, 5 Vorgänge"
    )
    found = [(v.unit.name, v.low, v.high, v.words) for v in values(text, products.units)]
    assert found == [
        ("V", 12.0, 12.0, "12V"),
        ("GB", 8.0, 8.0, "8-GB"),
        ("V", 24.0, 24.0, "24 В"),
        ("V", 12.0, 12.0, "12VDC"),
        ("V", 0.0, 30.0, "30 V"),  # a range the product covers
        ("V", 12.0, 12.0, "12V"),
    ]


@pytest.mark.parametrize(
    ("product", "expected"),
    [
        ("Pine64 Pinecil V2 smart soldering iron", {"Pinecil"}),
        ("Fluke 117 digital multimeter", {"Fluke"}),
        ("Saleae Logic 8 USB logic analyser", {"Saleae", "Logic"}),
        ("Weller WE1010 soldering station 70 W", {"Weller"}),
        # A capital that only starts the name, all capitals, common words: no names.
        ("Digital multimeter, auto-range, true RMS", set()),
        ("USB-C to USB-C cable 240 W, 2 m", set()),
        ("Mean Well LRS-50-12 power supply 12 V / 4.2 A", set()),
        ("Arduino Nano Every", {"Arduino", "Nano"}),
    ],
)
def test_a_products_own_names(products: ProductRules, product: str, expected: set[str]) -> None:
    assert names(product, products.common_words) == expected


@pytest.mark.parametrize(
    ("ordered", "written"),
    [
        ("esp32", "esp8266"),
        ("lrs-150-24", "lrs-150-12"),
        ("dht22", "dht11"),
        ("17hs8401", "17hs4401"),
        ("ws2812b", "ws2815"),
        ("bme280", "bmp280"),
        ("mg90s", "sg90"),
        ("ka3005d", "ka3005p"),
        ("ip65", "ip30"),
        ("m3", "m4"),
        ("n16r8", "n8r2"),
        ("8-channel", "4-channel"),
    ],
)
def test_models_of_one_family(ordered: str, written: str) -> None:
    assert family(ordered, written)


@pytest.mark.parametrize(
    ("ordered", "written"),
    [
        ("ws2812b", "ws2812"),  # the same model written shorter
        ("esp32", "esp32s3"),
        ("esp32", "stm32"),  # only the number in common
        ("co2", "i2c"),
        ("s3", "c3"),  # two letters are too few to tell a family
        ("ds1054z", "ds1za262100417"),  # a serial number
        ("a4988", "tmc2209"),
    ],
)
def test_models_of_other_families(ordered: str, written: str) -> None:
    assert not family(ordered, written)


THREE = (
    order(order_id="1", product="UNI-T UT61E+ digital multimeter", sku="UNIT-UT61EP"),
    order(order_id="2", product="Weller WE1010 soldering station 70 W", sku="WEL-WE1010"),
    order(order_id="3", product="Hakko FX-888D soldering station", sku="HAK-FX888D"),
)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("The UT61E+ I got from you reads nonsense.", ["1:UT61E"]),
        ("De Weller die ik bestelde wordt niet warm.", ["2:Weller"]),
        ("在贵店买的FX-888D焊台不加热", ["3:FX-888D"]),
        # A word both stations share names neither; two named are two.
        ("The soldering station is dead.", []),
        ("The Hakko works, the Weller does not heat.", ["2:Weller", "3:Hakko"]),
        # Any word is capitalised at the start of a sentence: there a name names nothing.
        ("Weller told me to write to you. The station is dead.", []),
        ("the weller is broken", []),
    ],
)
def test_the_orders_a_mail_names(products: ProductRules, text: str, meant: list[str]) -> None:
    named = named_orders("Return", text, THREE, products)
    assert [f"{o.order_id}:{words}" for o, words in named] == meant


def test_a_model_two_orders_share_names_neither(products: ProductRules) -> None:
    boards = (
        order(order_id="1", product="ESP32-WROOM-32 DevKit V1 (38-pin)"),
        order(order_id="2", product="ESP32-S3-DevKitC-1 N8R8 development board"),
    )
    assert named_orders("", "One of the ESP32 boards is dead.", boards, products) == []
    assert [o.order_id for o, _ in named_orders("", "The N8R8 is dead.", boards, products)] == ["2"]


def _said(products: ProductRules, text: str, product: str, fault: bool = False) -> list[str]:
    cues = arrived_otherwise("", text, product, products, fault)
    return [f"{c.words}~{c.cue}:{c.weight:g}" for c in cues]


def test_another_model_of_the_family_speaks_for_a_wrong_item(products: ProductRules) -> None:
    psu = "Mean Well LRS-150-24 power supply 24 V / 6.5 A"
    assert _said(products, "The label says LRS-150-12, 12V 12.5A.", psu) == [
        "LRS-150-12~LRS-150-24:1.5",
        "12V~24 V:0.5",
    ]
    assert _said(products, "Im Beutel sind ESP8266-Boards", "ESP32-WROOM-32 DevKit V1") == [
        "ESP8266~ESP32:1.5"
    ]
    pi = "Raspberry Pi 5 8 GB"
    assert _said(products, "Auf dem Karton steht 4GB", pi) == ["4GB~8 GB:1.5"]
    # The ordered model, or a value it has or covers, is no mismatch.
    assert _said(products, "The LRS-150-24 arrived, 24 V as ordered.", psu) == []
    assert _said(products, "Set to 5 V it gives 5 V.", "Buck-boost module 0-30 V") == []


def test_beside_the_ordered_model_or_in_a_fault_others_are_comparisons(
    products: ProductRules,
) -> None:
    dht = "DHT22 (AM2302) temperature and humidity sensor"
    said = "The DHT22 reads NaN; with a DHT11 the same wiring works."
    assert _said(products, said, dht, fault=True) == ["DHT11~DHT22:0"]
    # Beside the ordered model, with no fault read, it counts a share: not enough alone.
    assert _said(products, said, dht) == ["DHT11~DHT22:0.75"]
    # Without the ordered model named, the other one is still what came.
    assert _said(products, "The DHT11 you sent reads NaN.", dht, fault=True) == ["DHT11~DHT22:1.5"]
    # In a fault, values are measurements.
    korad = "Korad KA3005D bench power supply 30 V / 5 A"
    assert _said(products, "Set to 12 V, 29 V at the output.", korad, fault=True) == [
        "12 V~30 V:0",
        "29 V~30 V:0",
    ]
