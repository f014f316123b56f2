"""A change of mind whose refund formula gives nothing or less (the order's costs take
up what was paid): an agent looks first, and the customer gets no RMA until the agent
approves; the RMA then says plainly, in each shipped language, that no refund is due,
and no later mail or reminder promises one. The refund lines follow the admin's
formula. A reply missing its amount fails with the template's name and line, never a
bare traceback."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from mailbot.core.commands import apply_commands
from mailbot.core.decide import decide
from mailbot.core.model import Decision, InboundMessage, Order, Scenario, Ticket, TicketState
from mailbot.core.rulebook import Rulebook
from mailbot.errors import TemplateError
from mailbot.outbound.render import Renderer
from tests.core.conftest import NOW, hd_photos, message, order
from tests.core.conftest import rules as rules  # the fixture
from tests.unit.test_languages import SHIPPED

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
AGENT = "agent@shop.example"
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


def _decided(rules: Rulebook, bought: Order = CHEAP) -> Decision:
    return decide(None, message(CHANGE, hd_photos(2)), "100201", bought, rules, NOW)


def _ticket(state: TicketState) -> Ticket:
    return Ticket(
        7, "T-000007", state, Scenario.DEMAND_CHANGE, "ana@example.com", "100201",
        rma="RMA123456789" if state is not TicketState.UNDER_REVIEW else None,
        created_at=NOW - timedelta(days=1), state_since=NOW - timedelta(days=1),
    )  # fmt: skip


def _command(state: TicketState, text: str, rules: Rulebook, bought: Order = CHEAP) -> Decision:
    mail = InboundMessage("<agent-1@shop.example>", AGENT, "Re: [T-000007]", text)
    return apply_commands(_ticket(state), mail, AGENT, bought, (), rules, NOW).decision


def _approved(rules: Rulebook, bought: Order = CHEAP) -> Decision:
    return _command(TicketState.UNDER_REVIEW, "/approve", rules, bought)


def _text(d: Decision, language: str = "en", template: str = "customer/") -> str:
    reply = next(r for r in d.replies if r.template.startswith(template))
    context = {**reply.context, "ticket": {"reference": "T-000007", "rma": "RMA123456789"}}
    return Renderer(TEMPLATES).render(reply.template, context, language).text


def test_nothing_to_refund_waits_for_an_agent_and_the_customer_gets_no_rma(
    rules: Rulebook,
) -> None:
    d = _decided(rules)
    assert (d.state, d.outcome, d.issue_rma) == (TicketState.UNDER_REVIEW, "agent_review", False)
    assert d.agent_notice == (
        "the refund formula gives -0.10 EUR for order 100201: no refund would be due;"
        " an agent decides (/approve sends the RMA saying so)"
    )
    assert [r.kind.value for r in d.reminders] == ["review_overdue"]
    text = _text(d)
    assert "will review it personally" in text
    assert "RMA1" not in text and "refund" not in text.lower()


def test_the_agents_approval_sends_the_rma_saying_no_refund_is_due(rules: Rulebook) -> None:
    d = _approved(rules)
    assert d.state is TicketState.APPROVED and d.issue_rma and d.refund == Decimal("0.00")
    text = _text(d)
    assert "RMA number: RMA123456789" in text and "no refund is due" in text
    assert "Refund = payment price − purchase cost − export postage\n" in text
    assert "= €7.90 − €2.10 − €5.90\n" in text and "= -€0.10" in text
    # No promise of a refund that will not come.
    assert "approved refund is issued" not in text and "not deducted from the refund" not in text


@pytest.mark.parametrize("language", SHIPPED)
def test_no_refund_is_said_in_every_shipped_language(rules: Rulebook, language: str) -> None:
    assert NO_REFUND[language] in _text(_approved(rules), language)


def test_later_mails_and_reminders_promise_no_refund(rules: Rulebook) -> None:
    d = _command(TicketState.SHIPPED, "/received\n/inspected pass", rules)
    assert d.state is TicketState.INSPECTED
    received, inspected = (_text(d, template=f"customer/{t}") for t in ("received", "inspected"))
    assert "refund" not in received.lower()
    assert "no refund is due for this return" in inspected
    assert "refund will be issued" not in inspected
    assert d.reminders == ()  # nothing to refund, so no "refund overdue" to chase
    assert "no refund is due by the refund formula" in _text(d, template="agent/")
    # A refund that is due is still promised and chased.
    due = _command(TicketState.SHIPPED, "/received\n/inspected pass", rules, order(days_ago=10))
    assert "refund will be issued" in _text(due, template="customer/inspected")
    assert [r.kind.value for r in due.reminders] == ["refund_overdue"]


def test_the_refund_lines_follow_the_admins_formula(rules: Rulebook) -> None:
    own = replace(rules, demand_change_formula="(payment_price - export_postage) * 0.5")
    d = _decided(own, order(days_ago=10))
    assert d.outcome == "rma_issued" and d.refund == Decimal("40.20")
    text = _text(d)
    assert "Refund = (payment price − export postage) × 0.5\n" in text
    assert "= (€89.90 − €9.50) × 0.5\n" in text and "= €40.20" in text
    assert "purchase cost" not in text
    assert "Kaufpreis − Exportversandkosten) × 0.5" in _text(d, "de")


def test_a_refund_of_its_own_is_still_stated(rules: Rulebook) -> None:
    d = decide(None, message(CHANGE, hd_photos(2)), "100201", order(days_ago=10), rules, NOW)
    assert d.refund == Decimal("68.00") and d.agent_notice == ""
    text = _text(d, "en")
    assert "= €68.00" in text and "approved refund is issued" in text


def test_a_reply_without_its_amount_names_the_template_line(rules: Rulebook) -> None:
    reply = _approved(rules).replies[0]
    context = {**reply.context, "refund": None, "ticket": {"reference": "T-7", "rma": "RMA1"}}
    with pytest.raises(TemplateError, match=r"rma_issued\.txt\.j2:\d+: no amount of money"):
        Renderer(TEMPLATES).render(reply.template, context, "en")
