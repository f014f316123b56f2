"""The order checks of a new request (core/decide.py's CHECKS): which order, and whether
the sender is its customer.

The order is the one the mail names (core/ordernumber.py, looked up by the shell);
with no number written, the sender's orders in the return window tell: the only one, or
of several the only one whose product the mail names (core/product.py), is taken and
named in the reply; else the customer picks from a short list. `order_about` is that
order as the shell knows it before the checks, to hold the mail's words against its
product (reading/ordered.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailbot.core.model import Decision, InboundMessage, Order, Scenario, TicketState
from mailbot.core.ordernumber import orders_in_window
from mailbot.core.ownwords import own_words
from mailbot.core.product import named_orders
from mailbot.core.request import Request, reply_decision
from mailbot.core.rulebook import Rulebook
from mailbot.core.wording import local


def needs_order_number(req: Request) -> Decision | None:
    if req.order_number is None:
        return _order_of_sender(req)
    if req.order is None:
        return _order_not_matched(req, f"order {req.order_number} is not in the order data")
    req.reasons.append(f"order {req.order.order_id} found")
    return None


def _chosen(req: Request, listed: tuple[Order, ...]) -> tuple[Order, str, str] | None:
    """Of the sender's orders in the window, the one the mail means, how it was told
    (the reply's `order_inferred`) and why; None when it cannot be told."""
    pick = req.message.reading.pick
    if len(listed) > 1:
        # A place counts only as the answer to our list: on a ticket, which asked it, or
        # in a reply that quotes it (the thread may be lost: a client that drops the
        # headers).
        if req.ticket is not None and 0 < pick <= len(listed):
            return listed[pick - 1], "picked", f"number {pick} of the sender's orders we listed"
        quoted = _quoted_list(req)
        if 0 < pick <= len(quoted):
            why = f"number {pick} of the sender's orders in the list the reply quotes"
            return quoted[pick - 1], "picked", why
    return order_meant(req.message.subject, req.text, listed, req.rules)


def order_about(
    message: InboundMessage,
    number: str | None,
    order: Order | None,
    sender_orders: tuple[Order, ...],
    rules: Rulebook,
    at: datetime,
) -> Order | None:
    """The sender's order a first mail is about, known before the checks: the one its
    `number` names, else the one it means (order_meant, in the window at `at`); None
    when there is none or it is someone else's."""
    if number is None:
        listed = orders_in_window(sender_orders, rules.return_days, at)
        meant = order_meant(message.subject, message.reading.own_words, listed, rules)
        order = meant[0] if meant else None
    sender = (message.sender or "").lower()
    return order if order is not None and order.customer_email.lower() == sender else None


def order_meant(
    subject: str, text: str, listed: tuple[Order, ...], rules: Rulebook
) -> tuple[Order, str, str] | None:
    """Of the sender's orders in the window (`listed`), the one a mail that writes no
    number means, how it was told and why: their only one, or the only one whose
    product the mail names (core/product.py); None when it cannot be told."""
    if len(listed) == 1:
        return (
            listed[0],
            "only",
            f"the sender's only order delivered in the last {rules.return_days} days",
        )
    named = named_orders(subject, text, listed, rules.products)
    if len(named) == 1:
        [(order, words)] = named
        return order, "named", f'the only one of the sender\'s orders in the window for "{words}"'
    return None


def _quoted_list(req: Request) -> tuple[Order, ...]:
    """The sender's orders a list in the quoted history names, in its order; empty when
    it names fewer than two (then it is no list to pick from)."""
    if not req.message.in_reply_to:
        return ()
    quoted = own_words(req.message.text).quoted
    named = sorted(
        (at, o.order_id, o) for o in req.sender_orders if (at := quoted.find(o.order_id)) >= 0
    )
    return tuple(o for _, _, o in named) if len(named) > 1 else ()


def _order_of_sender(req: Request) -> Decision | None:
    """No number in the mail: the sender's one order in the return window is the one;
    of several, the one the customer picks from the list we sent ("the second one") or
    the only one whose product the mail names ("the BME280"), else they are asked with
    that list; with none, for the number.

    The list is the one of the ticket's first mail, so a place picked days later still
    names the order it named then. A scenario the mail makes clear is kept on the ticket
    while we ask, so "the second one" needs no second description.
    """
    ticket = req.ticket
    asked_at = ticket.created_at if ticket and ticket.created_at else req.now
    listed = orders_in_window(req.sender_orders, req.rules.return_days, asked_at)
    chosen = _chosen(req, listed)
    if chosen is not None:
        order, req.order_inferred, why = chosen
        req.order, req.order_number = order, order.order_id
        req.reasons.append(f"no order number written; order {order.order_id}: {why}")
        return None
    if req.scenario_read is None and req.message.reading.scenario is not Scenario.UNKNOWN:
        req.scenario_read = req.message.reading.scenario
    if not listed:
        return reply_decision(
            req, TicketState.NEEDS_INFO, "ask_order_number", "no order number found"
        )
    orders = [
        {
            "order_id": o.order_id,
            "product": o.product,
            "delivered": local(o.delivered_at, req.rules),
        }
        for o in listed
    ]
    return reply_decision(
        req,
        TicketState.NEEDS_INFO,
        "choose_order",
        f"no order number written; the sender has {len(listed)} orders delivered in the last"
        f" {req.rules.return_days} days: " + ", ".join(o.order_id for o in listed),
        {"orders": orders},
    )


def sender_is_customer(req: Request) -> Decision | None:
    assert req.order is not None
    if (req.message.sender or "").lower() != req.order.customer_email.lower():
        why = f"sender {req.message.sender} is not the customer of order {req.order.order_id}"
        return _order_not_matched(req, why, agent_notice=why)
    req.reasons.append("sender is the order's customer")
    return None


def _order_not_matched(req: Request, reason: str, agent_notice: str = "") -> Decision:
    """The one answer whether the order does not exist or is someone else's: a stranger
    learns nothing about which orders exist, now or in the reminders (nothing of the
    order reaches the reply's context). Only the reasons, for agents, tell them apart."""
    stranger = replace(req, order=None)
    said = {"reason": f"no order {req.order_number} for {req.message.sender}"}
    return reply_decision(
        stranger,
        TicketState.NEEDS_INFO,
        "order_not_matched",
        reason,
        said,
        agent_notice=agent_notice,
    )
