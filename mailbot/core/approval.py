"""An approved return: the RMA, the ship-by date and the refund, however it was approved
(complete evidence, a wrong-item customer choosing to return, an agent's /approve)."""

from __future__ import annotations

from mailbot.core.calendar import add_working_days, end_of_day_after
from mailbot.core.model import Decision, Money, Scenario, TicketState
from mailbot.core.refund import compute_refund
from mailbot.core.request import Request, reply_decision
from mailbot.core.wording import customer_evidence, local


def approval(req: Request, reason: str) -> Decision:
    """Approve with an RMA: ship within 7 natural days (a wrong item: 5 working days)."""
    rules = req.rules
    if req.scenario is Scenario.WRONG_ITEM:
        days = rules.wrong_item_return_working_days
        ship_by = add_working_days(req.now, days, rules.holidays, rules.timezone)
    else:
        days = rules.ship_within_days
        ship_by = end_of_day_after(req.now, days, rules.timezone)
    refund = (
        compute_refund(rules.demand_change_formula, req.order)
        if req.scenario is Scenario.DEMAND_CHANGE and req.order is not None
        else None
    )
    context: dict[str, object] = {
        "carriers": list(rules.accepted_carriers),
        "carriers_note": rules.refused_carriers_note,
        "ship_by": local(ship_by, rules),
        "ship_days": days,
        "working_days": req.scenario is Scenario.WRONG_ITEM,
        "refund": Money(refund, req.order.currency) if refund and req.order else None,
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
        refund=refund,
    )
