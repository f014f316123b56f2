"""Which ticket a mail belongs to, and what our mail threads under. Pure.

A customer's mail continues a ticket found through its thread, a reference it quotes or
its order number (``continued_ticket``); the shell looks up the candidates, this decides.

A customer can plant any Message-ID in the References of a mail (and, before, had it
copied into the notices agents answer), so an agent's reply is matched only through
Message-IDs of mail the bot itself sent to agents: In-Reply-To first, then References
from the newest. Mail to agents threads only under the bot's own mail to agents, and
mail to a customer only under that customer's conversation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mailbot.core.decide import FOLLOW_UPS
from mailbot.core.model import InboundMessage, Ticket, TicketState

# Message-IDs a reply's References keeps (the thread's root and the newest ones).
THREAD_IDS = 10
# A ticket reference or an RMA number (see mailbot/store/rma.py) quoted in a message.
TICKET_REFERENCE = re.compile(r"(?<![\w-])(?:T-\d{6,}|RMA\d{9})(?!\w)", re.IGNORECASE)
# A reply on a ticket in these states continues it; otherwise it opens a new ticket.
CONTINUED_STATES = frozenset({TicketState.NEEDS_INFO, *FOLLOW_UPS})


def ticket_reference(ticket_id: int) -> str:
    """A ticket's reference (``T-000123``), from its id."""
    return f"T-{ticket_id:06d}"


def thread_ids(message: InboundMessage) -> list[str]:
    """The Message-IDs a mail threads under (In-Reply-To, References)."""
    return [i for i in (message.in_reply_to, *message.references) if i]


def quoted_references(message: InboundMessage) -> list[str]:
    """Ticket references and RMA numbers the subject, then the sender's own words, quote."""
    return [
        match.group(0)
        for source in (message.subject, message.reading.own_words)
        for match in TICKET_REFERENCE.finditer(source)
    ]


def named_order(message: InboundMessage) -> str | None:
    """The first order number the mail writes, if any."""
    numbers = message.reading.order_numbers
    return numbers[0] if numbers else None


def continued_ticket(
    message: InboundMessage, referenced: Ticket | None, latest: Ticket | None
) -> Ticket | None:
    """The open ticket a customer's message continues, if any (see CONTINUED_STATES; a
    ticket closed for the customer's silence is reopened by their reply).

    `referenced`: the ticket its thread or a quoted reference names; `latest`: the
    sender's newest ticket about the order it names (looked up only without `referenced`).
    Only the ticket's own customer continues it: a stranger who quotes a reference never
    writes into someone else's case. A message naming another order than the ticket's
    is a new request.
    """
    number = named_order(message)
    ticket = referenced or latest
    if ticket is None or ticket.customer_email != message.sender:
        return None
    if number is not None and ticket.order_id not in (None, number):
        return None
    if ticket.state in CONTINUED_STATES or (
        ticket.state is TicketState.CLOSED and ticket.reopenable
    ):
        return ticket
    return None


def answered_ids(message: InboundMessage) -> list[str]:
    """The Message-IDs a mail answers, nearest first: In-Reply-To, then References from
    the newest (the last) to the oldest."""
    ids = [message.in_reply_to, *reversed(message.references)]
    return list(dict.fromkeys(i for i in ids if i))


def answered_ticket(message: InboundMessage, sent_to_agents: Mapping[str, int]) -> int | None:
    """The ticket id of the nearest mail of ours to agents the message answers.

    `sent_to_agents` maps the Message-IDs of our mail to agents (among those the message
    names) to their ticket ids.
    """
    for message_id in answered_ids(message):
        if message_id in sent_to_agents:
            return sent_to_agents[message_id]
    return None


@dataclass(frozen=True)
class Threads:
    """What a reply may thread under, per audience: Message-IDs oldest first."""

    customer: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()

    def headers(self, to_agent: bool) -> tuple[str | None, tuple[str, ...]]:
        """(In-Reply-To, References) of a mail to an agent or to the customer."""
        ids = self.agents if to_agent else self.customer
        if len(ids) > THREAD_IDS:
            ids = ids[:1] + ids[-(THREAD_IDS - 1) :]
        return (ids[-1] if ids else None), ids
