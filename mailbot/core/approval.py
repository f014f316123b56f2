"""An approved return: the RMA, the ship-by date and the refund, however it was approved
(complete evidence, a wrong-item customer choosing to return, an agent's /approve); and
the change of mind whose refund formula gives nothing, held for an agent instead."""

from __future__ import annotations

from decimal import Decimal

from mailbot.core.calendar import add_working_days, end_of_day_after
from mailbot.core.model import Decision, Money, Scenario, TicketState
from mailbot.core.refund import formula_terms, formula_value
from mailbot.core.request import Request, reply_decision
from mailbot.core.wording import customer_evidence, format_money, local


def formula_refund(req: Request) -> Decimal | None:
    """What the refund formula gives for a change of mind (None: another scenario, or
    no order). Below zero when the order's costs exceed what was paid."""
    order = req.order if req.scenario is Scenario.DEMAND_CHANGE else None
    return formula_value(req.rules.demand_change_formula, order) if order else None


def approval_or_hold(req: Request, reason: str) -> Decision:
    """Approve; but a change of mind whose refund formula gives nothing or less waits
    for an agent, who checks the order's figures first: the customer gets no RMA until
    /approve (which then says that no refund is due) and no word about money."""
    amount = formula_refund(req)
    if amount is None or amount > 0 or req.order is None:
        return approval(req, reason)
    why = (
        f"the refund formula gives {format_money(amount, req.order.currency).strip()} for"
        f" order {req.order.order_id}: no refund would be due; an agent decides (/approve"
        " sends the RMA saying so)"
    )
    return reply_decision(req, TicketState.UNDER_REVIEW, "agent_review", why, agent_notice=why)


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
    amount = formula_refund(req)
    context: dict[str, object] = {
        "carriers": list(rules.accepted_carriers),
        "carriers_note": rules.refused_carriers_note,
        "ship_by": local(ship_by, rules),
        "ship_days": days,
        "working_days": req.scenario is Scenario.WRONG_ITEM,
        "refund": Money(amount, order.currency) if order and amount is not None else None,
        # Only an agent's /approve issues an RMA for nothing (approval_or_hold).
        "no_refund": amount is not None and amount <= 0,
        "formula": list(formula_terms(rules.demand_change_formula)),
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
    )
