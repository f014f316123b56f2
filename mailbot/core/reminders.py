"""Reminders, expiries and escalations: planned when a ticket enters a state, decided
when they fall due. Pure: the caller passes `now` and the ticket as stored.

`plan_reminders` gives every reminder a ticket in a state should get; the store
replaces the ticket's pending ones with that plan in the same transaction as the
state change, so moving on cancels them. `decide_due` says what a due reminder does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from mailbot.core.calendar import working_days_later
from mailbot.core.commandset import command_help
from mailbot.core.model import (
    Decision,
    Reminder,
    ReminderKind,
    Reply,
    Ticket,
    TicketState,
)
from mailbot.core.rulebook import Rulebook
from mailbot.core.wording import format_day, local

K = ReminderKind
# States in which the bot waits for the customer's answer.
WAITING_FOR_CUSTOMER = frozenset({TicketState.NEEDS_INFO, TicketState.OPTIONS_OFFERED})


def _at_send_hour(moment: datetime, rules: Rulebook, *, not_before: bool) -> datetime:
    """The send hour on `moment`'s local day; with not_before, the first one at or after it."""
    local = moment.astimezone(rules.timezone)
    slot = datetime.combine(local.date(), time(rules.reminders.send_hour), rules.timezone)
    if not_before and slot < local:
        slot = datetime.combine(
            local.date() + timedelta(days=1), time(rules.reminders.send_hour), rules.timezone
        )
    return slot


def plan_reminders(
    state: TicketState,
    *,
    anchor: datetime,
    ship_by: datetime | None,
    complex_case: bool,
    rules: Rulebook,
    context: Mapping[str, object],
    refund_due: bool = True,
) -> tuple[Reminder, ...]:
    """Every reminder a ticket in `state` gets, counted from `anchor`.

    `anchor` is when the ticket last heard from the customer (or entered the state);
    `context` is what the reminder mails quote (the last reply's context); without
    `refund_due` (nothing to refund) an inspected return is not chased for a refund.
    """
    r = rules.reminders
    # What the reminder mails quote from the rules comes from the rules, not from
    # whichever reply came last (an "ask again" reply quotes less).
    base = {
        **context,
        "carriers": list(rules.accepted_carriers),
        "carriers_note": rules.refused_carriers_note,
        "compensation_percent": rules.wrong_item_compensation_percent,
        "return_working_days": rules.wrong_item_return_working_days,
    }
    if state is TicketState.APPROVED and ship_by is not None:
        last_day = ship_by.astimezone(rules.timezone)
        base["ship_by"] = local(ship_by, rules)
        plan = [
            Reminder(
                K.SHIP_REMINDER,
                _at_send_hour(last_day - timedelta(days=days), rules, not_before=False),
                state,
                {**base, "days_left": days},
            )
            for days in r.ship_days_before
        ]
        # A reminder due before the approval itself would only repeat the approval.
        kept = [p for p in plan if p.due_at > anchor]
        return (*kept, Reminder(K.SHIP_EXPIRED, ship_by + timedelta(seconds=1), state, base))
    if state in WAITING_FOR_CUSTOMER:
        asked = local(anchor, rules)
        close = anchor + timedelta(days=r.close_days)
        follow_up, overdue = (
            (K.INFO_FOLLOW_UP, K.INFO_EXPIRED)
            if state is TicketState.NEEDS_INFO
            else (K.CHOICE_FOLLOW_UP, K.CHOICE_OVERDUE)
        )
        # The follow-up names the day a request left unanswered is closed.
        closes = {"close_on": local(close, rules)} if state is TicketState.NEEDS_INFO else {}
        return (
            Reminder(
                follow_up,
                _at_send_hour(anchor + timedelta(days=r.follow_up_days), rules, not_before=True),
                state,
                {**base, "asked_on": asked, **closes},
            ),
            Reminder(
                overdue,
                close,
                state,
                {**base, "asked_on": asked, "silent_days": r.close_days},
            ),
        )
    if state is TicketState.UNDER_REVIEW:
        days = r.complex_review_working_days if complex_case else r.review_working_days
        due = working_days_later(anchor, days, rules.holidays, rules.timezone)
        return (Reminder(K.REVIEW_OVERDUE, due, state, {**base, "working_days": days}),)
    if state is TicketState.INSPECTED and refund_due:
        days = rules.refund_issue_business_days
        due = working_days_later(anchor, days, rules.holidays, rules.timezone)
        return (Reminder(K.REFUND_OVERDUE, due, state, {**base, "working_days": days}),)
    return ()


def with_plan(
    decision: Decision,
    ticket: Ticket | None,
    rules: Rulebook,
    now: datetime,
    anchor: datetime | None = None,
) -> Decision:
    """`decision` with the reminders of the state it leads to, counted from `anchor`
    (default `now`: a customer's message restarts the clock of the state)."""
    context = dict(decision.replies[0].context) if decision.replies else {}
    context.pop("reason", None)  # the bot's wording of the last decision, not the reminder's
    context["asked"] = decision.outcome  # what the last reply asked for
    complex_case = (
        decision.complex if decision.complex is not None else bool(ticket and ticket.complex)
    )
    reminders = plan_reminders(
        decision.state,
        anchor=anchor or now,
        ship_by=decision.ship_by or (ticket.ship_by if ticket else None),
        complex_case=complex_case,
        rules=rules,
        context=context,
        refund_due=decision.refund is None or decision.refund > 0,
    )
    return replace(decision, reminders=reminders, clock_from=None if anchor else now)


@dataclass(frozen=True)
class _Notice:
    """What a customer reminder sends, why (formatted from its context), and any new state."""

    template: str
    reason: str
    state: TicketState | None = None
    reopenable: bool = False


_CUSTOMER_NOTICES = {
    K.SHIP_REMINDER: _Notice("customer/ship_reminder", "shipping reminder, {days_left} days left"),
    K.SHIP_EXPIRED: _Notice(
        "customer/waived",
        "not shipped by {ship_by}: the return right is waived",
        TicketState.WAIVED,
    ),
    K.INFO_FOLLOW_UP: _Notice("customer/info_reminder", "no answer since {asked_on}: follow-up"),
    K.CHOICE_FOLLOW_UP: _Notice(
        "customer/choice_reminder", "no choice since {asked_on}: follow-up"
    ),
    K.INFO_EXPIRED: _Notice(
        "customer/closed_no_reply",
        "no answer for {silent_days} days: closed until the customer replies",
        TicketState.CLOSED,
        reopenable=True,
    ),
}

_AGENT_WHY = {
    K.CHOICE_OVERDUE: "the customer has not chosen between keeping and returning the wrong"
    " item for {silent_days} days",
    K.REVIEW_OVERDUE: "the review has waited more than {working_days} working days",
    K.REFUND_OVERDUE: "the refund was not issued within {working_days} business days of"
    " the inspection",
}


def decide_due(
    ticket: Ticket,
    reminder: Reminder,
    rules: Rulebook,
    now: datetime,
    agents: tuple[str, ...],
) -> Decision | None:
    """What a due reminder does to `ticket`; None when the ticket has moved on (stale)."""
    if ticket.state is not reminder.state:
        return None
    # Which order the last reply took was said once, in that reply; a reminder says
    # what is still missing (also for plans stored with that line in their context).
    context: dict[str, object] = {
        **{k: v for k, v in reminder.context.items() if k != "order_inferred"},
        "shop_name": rules.shop_name,
    }
    # Reasons are English for the agents and the audit log; the mails word the facts.
    said = {k: format_day(v, rules) if isinstance(v, datetime) else v for k, v in context.items()}
    notice = _CUSTOMER_NOTICES.get(reminder.kind)
    if notice is not None:
        reason = notice.reason.format_map(said)
        mail = Reply(notice.template, ticket.customer_email, context, ticket.language)
        replies: tuple[Reply, ...] = (mail,)
        if reminder.kind is K.SHIP_EXPIRED:
            # An overdue deadline: the agents should know before the parcel turns up.
            replies += _escalations(ticket, context, rules, agents, reason)
        return _due(ticket, reminder, now, rules, reason, replies, notice.state, notice.reopenable)
    why = _AGENT_WHY[reminder.kind].format_map(said)
    replies = _escalations(ticket, context, rules, agents, why)
    return _due(ticket, reminder, now, rules, f"escalated to the agents: {why}", replies)


def _escalations(
    ticket: Ticket,
    context: Mapping[str, object],
    rules: Rulebook,
    agents: tuple[str, ...],
    why: str,
) -> tuple[Reply, ...]:
    since = format_day(ticket.state_since, rules, with_time=True) if ticket.state_since else ""
    agent_context = {
        **context,
        "why": why,
        "customer": ticket.customer_email,
        "state": ticket.state.value,
        "state_since": since,
        "order_id": ticket.order_id,
        "scenario": ticket.scenario.value,
        "commands": command_help(rules),
    }
    return tuple(Reply("agent/escalation", agent, agent_context) for agent in agents)


def _due(
    ticket: Ticket,
    reminder: Reminder,
    now: datetime,
    rules: Rulebook,
    reason: str,
    replies: tuple[Reply, ...],
    state: TicketState | None = None,
    reopenable: bool = False,
) -> Decision:
    new_state = state or ticket.state
    # The rest of the plan stays as it was: same state, same anchor, same context.
    reminders = (
        plan_reminders(
            new_state,
            anchor=ticket.state_since or now,
            ship_by=ticket.ship_by,
            complex_case=ticket.complex,
            rules=rules,
            context=reminder.context,
        )
        if new_state is ticket.state
        else ()
    )
    repeat = rules.reminders.escalation_repeat_working_days
    if reminder.kind in _AGENT_WHY and new_state is ticket.state and repeat:
        # Nobody acted: the agents hear again until someone does (the state moving on
        # cancels it). Counted from this escalation's due time, so the schedule keeps
        # its hour; after a long outage from now, so missed repeats do not all come at once.
        start = max(reminder.due_at, now)
        again = working_days_later(start, repeat, rules.holidays, rules.timezone)
        reminders = (*reminders, replace(reminder, due_at=again))
    return Decision(
        state=new_state,
        scenario=ticket.scenario,
        outcome=reminder.kind.value,
        reasons=(reason,),
        replies=replies,
        order_id=ticket.order_id,
        reminders=reminders,
        reopenable=reopenable,
    )
