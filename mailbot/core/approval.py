"""An approved return: the RMA, the ship-by date and the refund, however it was approved
(complete evidence, a wrong-item customer choosing to return, an agent's /approve)."""

from __future__ import annotations

from decimal import Decimal

from mailbot.core.calendar import add_working_days, end_of_day_after
from mailbot.core.model import Decision, Money, Scenario, TicketState
from mailbot.core.refund import formula_value
from mailbot.core.request import Request, reply_decision
from mailbot.core.wording import customer_evidence, format_money, local


def approval(req: Request, reason: str) -> Decision:
    """Approve with an RMA: ship within 7 natural days (a wrong item: 5 working days)."""
    rules = req.rules
    if req.scenario is Scenario.WRONG_ITEM:
        days = rules.wrong_item_return_working_days
        ship_by = add_working_days(req.now, days, rules.holidays, rules.timezone)
    else:
        days = rules.ship_within_days
        ship_by = end_of_day_after(req.now, days, rules.timezone)
    order = req.order if req.scenario is Scenario.DEMAND_CHANGE else None
    amount = formula_value(rules.demand_change_formula, order) if order else None
    # The formula can give nothing or less (costs above the price paid): the RMA then
    # says plainly that no refund is due, and a person checks the order's figures.
    no_refund = amount is not None and amount <= 0
    notice = (
        f"the refund formula gives {format_money(amount, order.currency)} for order"
        f" {order.order_id}: the RMA tells the customer that no refund is due"
        if no_refund and order and amount is not None
        else ""
    )
    context: dict[str, object] = {
        "carriers": list(rules.accepted_carriers),
        "carriers_note": rules.refused_carriers_note,
        "ship_by": local(ship_by, rules),
        "ship_days": days,
        "working_days": req.scenario is Scenario.WRONG_ITEM,
        "refund": Money(amount, order.currency) if order and amount is not None else None,
        "no_refund": no_refund,
        "refund_issue_days": rules.refund_issue_business_days,
        "funds_days": list(rules.funds_arrive_business_days),
    }
    if req.evidence is not None:
        context["evidence"] = customer_evidence(req.evidence)
    return reply_decision(
        req,
        TicketState.APPROVED,
        "rma_issued",
        reason,
        context,
        issue_rma=True,
        ship_by=ship_by,
        refund=None if amount is None else max(amount, Decimal("0.00")),
        agent_notice=notice,
    )
