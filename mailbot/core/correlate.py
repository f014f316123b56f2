"""Which ticket an agent's mail answers, and what our mail threads under. Pure.

A customer can plant any Message-ID in the References of a mail (and, before, had it
copied into the notices agents answer), so an agent's reply is matched only through
Message-IDs of mail the bot itself sent to agents: In-Reply-To first, then References
from the newest. Mail to agents threads only under the bot's own mail to agents, and
mail to a customer only under that customer's conversation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mailbot.core.model import InboundMessage

# Message-IDs a reply's References keeps (the thread's root and the newest ones).
THREAD_IDS = 10


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
