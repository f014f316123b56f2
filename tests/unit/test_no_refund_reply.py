"""A change of mind whose refund formula gives nothing or less (the order's costs take
up what was paid): the RMA says plainly, in each shipped language, that no refund is
due, and the agents hear why. A reply missing its amount fails with the template's
name and line, never a bare traceback."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mailbot.core.decide import decide
from mailbot.core.model import Decision
from mailbot.core.rulebook import Rulebook
from mailbot.errors import TemplateError
from mailbot.outbound.render import Renderer
from tests.core.conftest import NOW, hd_photos, message, order
from tests.core.conftest import rules as rules  # the fixture
from tests.unit.test_languages import SHIPPED

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CHANGE = "I changed my mind about order 100201, I no longer need it. It is unused in its box."
# Paid 7.90, cost 2.10 to buy and 5.90 to post abroad: the formula gives -0.10.
CHEAP = order(
    days_ago=10,
    payment_price=Decimal("7.90"),
    purchase_cost=Decimal("2.10"),
    export_postage=Decimal("5.90"),
)
NO_REFUND = {
    "en": "no refund is due",
    "de": "keine Erstattung zu",
    "fr": "aucun remboursement n'est dû",
    "es": "no corresponde ningún reembolso",
    "it": "non spetta alcun rimborso",
    "pt": "não há lugar a reembolso",
    "nl": "krijgt u niets terugbetaald",
    "pl": "zwrot pieniędzy nie przysługuje",
    "ru": "возврат денег не положен",
    "zh_Hans": "您无法获得退款",
}


def _decided(rules: Rulebook) -> Decision:
    return decide(None, message(CHANGE, hd_photos(2)), "100201", CHEAP, rules, NOW)


def _text(d: Decision, language: str) -> str:
    reply = d.replies[0]
    context = {**reply.context, "ticket": {"reference": "T-000007", "rma": "RMA123456789"}}
    return Renderer(TEMPLATES).render(reply.template, context, language).text


def test_the_rma_tells_the_customer_no_refund_is_due_and_the_agents_why(
    rules: Rulebook,
) -> None:
    d = _decided(rules)
    assert d.outcome == "rma_issued" and d.refund == Decimal("0.00")
    assert d.agent_notice == (
        "the refund formula gives -0.10 EUR for order 100201:"
        " the RMA tells the customer that no refund is due"
    )
    text = _text(d, "en")
    assert "= -€0.10" in text and "no refund is due" in text
    # No promise of a refund that will not come.
    assert "approved refund is issued" not in text and "not deducted from the refund" not in text


@pytest.mark.parametrize("language", SHIPPED)
def test_no_refund_is_said_in_every_shipped_language(rules: Rulebook, language: str) -> None:
    assert NO_REFUND[language] in _text(_decided(rules), language)


def test_a_refund_of_its_own_is_still_stated(rules: Rulebook) -> None:
    d = decide(None, message(CHANGE, hd_photos(2)), "100201", order(days_ago=10), rules, NOW)
    assert d.refund == Decimal("68.00") and d.agent_notice == ""
    text = _text(d, "en")
    assert "= €68.00" in text and "approved refund is issued" in text


def test_a_reply_without_its_amount_names_the_template_line(rules: Rulebook) -> None:
    reply = _decided(rules).replies[0]
    context = {**reply.context, "refund": None, "ticket": {"reference": "T-7", "rma": "RMA1"}}
    with pytest.raises(TemplateError, match=r"rma_issued\.txt\.j2:\d+: no amount of money"):
        Renderer(TEMPLATES).render(reply.template, context, "en")
