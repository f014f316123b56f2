"""The decision: (ticket, message, order, rules, now) -> Decision. Pure: no I/O, no clock.

A request passes a table of checks in order (see CHECKS); the first check that
decides ends the run. Every decision carries the reasons gathered on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from mailbot.core.acknowledge import decide_not_return
from mailbot.core.approval import approval_or_hold
from mailbot.core.echo import listed
from mailbot.core.evidence import check_evidence
from mailbot.core.followup import decide_choice, decide_review_update, decide_shipping
from mailbot.core.lifecycle import check_transition
from mailbot.core.model import (
    AttachmentFacts,
    Decision,
    InboundMessage,
    Order,
    Scenario,
    Ticket,
    TicketState,
)
from mailbot.core.ordercheck import needs_order_number, sender_is_customer
from mailbot.core.reminders import with_plan
from mailbot.core.request import Request, language_of, reply_decision
from mailbot.core.rulebook import REQUEST_SCENARIOS, Rulebook
from mailbot.core.text import find_links
from mailbot.core.wording import customer_evidence, format_day, local


def _scenario_is_clear(req: Request) -> Decision | None:
    reading = req.message.reading
    req.reasons.extend(reading.reasons)
    earlier = req.ticket.scenario if req.ticket else Scenario.UNKNOWN
    if reading.scenario is Scenario.UNKNOWN and earlier is not Scenario.UNKNOWN:
        # A follow-up ("here is the third video") keeps the scenario the ticket has,
        # unless the customer now clearly says another.
        req.scenario_read = earlier
        req.reasons.append(f"scenario {earlier.value} from ticket {req.ticket.reference}")  # type: ignore[union-attr]
        return None
    req.scenario_read = reading.scenario
    margin = req.rules.reading.margin
    doubt = sum(c.weight for c in reading.doubts)
    doubted = bool(doubt) and doubt >= req.rules.reading.doubt
    if req.scenario is Scenario.UNKNOWN and not doubted:
        shown = _shown_by_evidence(req)
        if shown is not None:
            req.scenario_read = shown
            req.reasons.append(
                f"scenario {shown.value}: the words do not decide it (lead {reading.margin:.1f}),"
                f" the evidence sent is all that {shown.value} asks for"
            )
            return None
    if req.scenario is Scenario.UNKNOWN:
        said = bool(reading.reasons)
        if doubted:
            words = ", ".join(c.describe() for c in reading.doubts)
            why = f"the customer cannot tell which case it is ({words})"
        elif said:
            why = f"no scenario leads by the margin of {margin:g} (lead {reading.margin:.1f})"
        else:
            why = "no scenario cue found"
        options = [
            {
                "scenario": s.value,
                "needs": [
                    {"wording": list(r.reply), "count": r.count} for r in req.rules.evidence[s]
                ],
            }
            for s in REQUEST_SCENARIOS
            if s is not Scenario.DEMAND_CHANGE or req.rules.demand_change_accepted
        ]
        # Cues that pull several ways are ambiguous enough for a person to glance at.
        ambiguous = f"scenario unclear: {why}" if said else ""
        return reply_decision(
            req,
            TicketState.NEEDS_INFO,
            "ask_scenario",
            f"scenario unclear: {why}",
            {"options": options},
            agent_notice=ambiguous,
        )
    lead = f"leads by {reading.margin:.1f} (margin {margin:g})"
    req.reasons.append(f"scenario {req.scenario.value}: {reading.decided_by or lead}")
    return None


# What a customer sends tells these cases apart when the words do not: a fault's videos
# and its written statement, or a screenshot of the order beside photos of what came.
# (A change of mind asks only for photos, which every case sends.)
_EVIDENCED = (Scenario.QUALITY_DEFECT, Scenario.WRONG_ITEM)


def _shown_by_evidence(req: Request) -> Scenario | None:
    """The one case whose evidence the mail's attachments complete, when the words lean
    to no other case; else None."""
    attachments = req.message.attachments
    if not attachments:
        return None
    complete = [s for s in _EVIDENCED if check_evidence(s, attachments, req.rules).complete]
    if len(complete) != 1:
        return None
    reading = req.message.reading
    best = max(reading.scores, key=lambda pair: pair[1], default=None)
    leaning = best[0] if best is not None and best[1] > 0 else None
    return complete[0] if leaning in (None, complete[0]) else None


def _refusal(req: Request, rule: str, reason: str, **context: object) -> Decision:
    return reply_decision(req, TicketState.REJECTED, "refused", reason, {"rule": rule, **context})


def _demand_change_accepted(req: Request) -> Decision | None:
    if req.scenario is Scenario.DEMAND_CHANGE and not req.rules.demand_change_accepted:
        return _refusal(req, "non_quality", "change-of-mind returns are not accepted")
    return None


def _within_windows(req: Request) -> Decision | None:
    assert req.order is not None
    delivered = req.order.delivered_at
    if req.now < delivered:
        return reply_decision(
            req,
            TicketState.UNDER_REVIEW,
            "agent_review",
            f"order data says delivery on {format_day(delivered, req.rules)}, after the request",
        )
    deadline = delivered + timedelta(days=req.rules.return_days)
    if req.now > deadline:
        days = req.rules.return_days
        return _refusal(
            req,
            "return_window",
            f"delivered {format_day(delivered, req.rules)}; the {days}-day return window"
            f" closed {format_day(deadline, req.rules)}",
            delivered=local(delivered, req.rules),
            deadline=local(deadline, req.rules),
            days=days,
        )
    req.reasons.append(
        f"within {req.rules.return_days} days of delivery (until {format_day(deadline, req.rules)})"
    )
    if req.scenario is Scenario.WRONG_ITEM:
        report_by = delivered + timedelta(hours=req.rules.wrong_item_report_hours)
        if req.now > report_by:
            return _refusal(
                req,
                "wrong_item_window",
                f"a wrong item must be reported within {req.rules.wrong_item_report_hours}"
                f" hours of delivery (until {format_day(report_by, req.rules, with_time=True)})",
                delivered=local(delivered, req.rules),
                deadline=local(report_by, req.rules),
                hours=req.rules.wrong_item_report_hours,
            )
        req.reasons.append(f"reported within {req.rules.wrong_item_report_hours} hours of delivery")
    return None


def _condition(req: Request) -> Decision | None:
    used = req.message.reading.condition
    if not used:
        return None
    words = ", ".join(f'"{cue.words}"' for cue in used)
    if req.scenario is Scenario.DEMAND_CHANGE:
        return _refusal(
            req,
            "unused_condition",
            "change-of-mind returns must be unused, untested and unprogrammed;"
            f" the request says {words}",
            words=words,
        )
    return reply_decision(
        req,
        TicketState.UNDER_REVIEW,
        "agent_review",
        f"the request mentions use ({words}); an agent reviews the claim",
    )


def _evidence_complete(req: Request) -> Decision | None:
    rules = req.rules
    attachments = (*req.earlier_evidence, *req.message.attachments)
    delivered = req.order.delivered_at if req.order else None
    req.evidence = check_evidence(req.scenario, attachments, rules, delivered)
    lines = customer_evidence(req.evidence)
    if not req.evidence.complete:
        missing = "; ".join(
            f"{r.label}: {r.missing} missing" for r in req.evidence.requirements if not r.met
        )
        links = find_links(req.text, rules.cloud_hosts)
        if links:
            # Files behind a link cannot be checked automatically, and asking the
            # customer to attach what they already sent would be unhelpful.
            return reply_decision(
                req,
                TicketState.UNDER_REVIEW,
                "links_review",
                f"cloud storage links to check ({len(links)}); attachments alone fall short:"
                f" {missing}",
                {"evidence": lines, **listed(links, rules.links_listed)},
                agent_notice=f"cloud storage links to check ({len(links)})",
            )
        return reply_decision(
            req,
            TicketState.NEEDS_INFO,
            "evidence_missing",
            f"evidence missing: {missing}",
            {"evidence": lines, "hd": f"{rules.media.hd_min_width}×{rules.media.hd_min_height}"},
        )
    req.reasons.append("evidence complete")
    return None


def _photos_after_delivery(req: Request) -> Decision | None:
    assert req.evidence is not None
    early = req.evidence.before_delivery
    if not early or req.order is None:
        return None
    # Never a refusal: a camera clock can be wrong; a person looks at the photos.
    scan = format_day(req.order.delivered_at, req.rules, with_time=True)
    why = (
        f"{len(early)} photo(s) taken before the delivery scan of {scan}"
        f" ({early[0]}{', …' if len(early) > 1 else ''}); an agent reviews the claim"
    )
    return reply_decision(req, TicketState.UNDER_REVIEW, "agent_review", why, agent_notice=why)


def _approve_or_offer(req: Request) -> Decision:
    assert req.order is not None and req.evidence is not None
    rules = req.rules
    if req.scenario is Scenario.WRONG_ITEM:
        return reply_decision(
            req,
            TicketState.OPTIONS_OFFERED,
            "options_offered",
            "wrong item reported in time with evidence",
            {
                "carriers": list(rules.accepted_carriers),
                "carriers_note": rules.refused_carriers_note,
                "compensation_percent": rules.wrong_item_compensation_percent,
                "return_working_days": rules.wrong_item_return_working_days,
            },
        )
    return approval_or_hold(req, f"approved: ship within {rules.ship_within_days} days")


Check = Callable[[Request], "Decision | None"]

# The order in which a new request is checked: read it like a policy.
CHECKS: tuple[tuple[str, Check], ...] = (
    ("order number known", needs_order_number),
    ("sender is the order's customer", sender_is_customer),
    ("scenario is clear", _scenario_is_clear),
    ("scenario is accepted", _demand_change_accepted),
    ("within the time windows", _within_windows),
    ("product condition", _condition),
    ("evidence complete", _evidence_complete),
    ("photos taken after delivery", _photos_after_delivery),
)


def decide(
    ticket: Ticket | None,
    message: InboundMessage,
    order_number: str | None,
    order: Order | None,
    rules: Rulebook,
    now: datetime,
    earlier_evidence: tuple[AttachmentFacts, ...] = (),
    sender_orders: tuple[Order, ...] = (),
) -> Decision:
    """Decide what to do with a customer's message: a new request or a reply on `ticket`.

    `sender_orders` are the sender's orders: with no `order_number`, the one in the
    return window is the order, and of several the customer is asked which.

    A reply on a ticket that closed for silence runs the checks again, as a new request
    on that ticket (its earlier evidence still counts). A mail the reading found is not
    a return (a delivery question, thanks…) is acknowledged and changes nothing
    (core/acknowledge.py). The decision carries the reminders of the state it leads to.

    Raises IllegalTransition if the result would break the ticket lifecycle (a bug).
    """
    req = Request(message, order_number, order, rules, now, ticket, earlier_evidence)
    req.sender_orders = sender_orders
    req.text = message.reading.own_words
    follow_up = FOLLOW_UPS.get(ticket.state) if ticket else None
    result = decide_not_return(req) or (follow_up(req) if follow_up else run_checks(req))
    unchanged = ticket is not None and result.keep_plan and result.state is ticket.state
    if ticket is not None and not unchanged:
        check_transition(ticket.state, result.state)
    links = find_links(req.text, rules.cloud_hosts)
    newly_in_review = result.state is TicketState.UNDER_REVIEW and (
        ticket is None or ticket.state is not TicketState.UNDER_REVIEW
    )
    result = replace(
        result,
        language=language_of(req),
        links=links,
        agent_notice=result.agent_notice or (result.reasons[-1] if newly_in_review else ""),
    )
    return result if result.keep_plan else with_plan(result, ticket, rules, now)


def run_checks(req: Request) -> Decision:
    """The request checks in order (CHECKS), then approval (or a hold) or the options."""
    for _name, check in CHECKS:
        decided = check(req)
        if decided is not None:
            return decided
    return _approve_or_offer(req)


# A reply on a ticket in these states is an answer to what the bot asked there.
FOLLOW_UPS: dict[TicketState, Callable[[Request], Decision]] = {
    TicketState.OPTIONS_OFFERED: decide_choice,
    TicketState.APPROVED: decide_shipping,
    TicketState.UNDER_REVIEW: decide_review_update,
}


def decide_too_large(
    ticket: Ticket | None,
    message: InboundMessage,
    size: int,
    limit: int,
    rules: Rulebook,
    now: datetime,
) -> Decision:
    """A message above the size limit (known from the server before any download): ask
    the customer to split it or send links. A ticket it continues keeps its state."""
    req = Request(message, ticket.order_id if ticket else None, None, rules, now, ticket)
    megabytes = round(size / 1_000_000)
    result = reply_decision(
        req,
        ticket.state if ticket else TicketState.NEEDS_INFO,
        "too_large",
        f"message of {megabytes} MB is above the {limit // 1_000_000} MB limit; not read",
        {"size_mb": megabytes, "limit_mb": limit // 1_000_000},
    )
    if ticket is not None:
        return replace(result, keep_plan=True)
    return with_plan(result, ticket, rules, now)
