"""The core's Replies made into mail: rendered in their language, composed with the
ticket's tag and thread, each with a fresh Message-ID. Done before the store's
transaction, which then only writes the bytes (the ticket's reference and RMA are
known by then: see Store.next_ticket_id and draw_rma)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from mailbot.core.agentauth import subject_tag
from mailbot.core.correlate import Threads
from mailbot.core.model import Reply
from mailbot.outbound.compose import compose
from mailbot.outbound.render import RenderedMail, Renderer
from mailbot.store.records import (
    OutboxMail,
)


@dataclass(frozen=True)
class Stamp:
    """What a ticket's mail shows of it: its reference and RMA number."""

    reference: str
    rma: str | None = None


def message_id_domain(from_addr: str) -> str:
    """The domain our Message-IDs are made on: the desk's own."""
    return from_addr.rsplit("@", 1)[-1].strip(" >") or "mailbot.localhost"


@dataclass(frozen=True)
class Letter:
    """One reply, rendered and composed."""

    reply: Reply
    rendered: RenderedMail
    mail: OutboxMail


@dataclass
class Mailer:
    """Writes Replies as mail from the desk's address."""

    renderer: Renderer
    from_addr: str
    instance: str
    agents: tuple[str, ...]
    agent_secret: str | None = None
    message_id_domain: str = "mailbot.localhost"

    def write(
        self,
        replies: Iterable[Reply],
        stamp: Stamp | None,
        threads: Threads,
        now: datetime,
        auto_submitted: str = "auto-replied",
    ) -> list[Letter]:
        """Each reply about the ticket of `stamp` (None: no ticket) as a letter. Mail to
        an agent threads under `threads.agents` and carries its token, mail to the
        customer under `threads.customer` (core/correlate.py)."""
        letters = []
        for reply in replies:
            context = reply.context
            if stamp is not None:
                context = {**context, "ticket": {"reference": stamp.reference, "rma": stamp.rma}}
            rendered = self.renderer.render(reply.template, context, reply.language)
            to_agent = reply.to.lower() in self.agents
            in_reply_to, references = threads.headers(to_agent)
            agent = reply.to if to_agent else None
            tag = subject_tag(stamp.reference, self.agent_secret, agent, now) if stamp else ""
            message_id = f"<mailbot.{uuid.uuid4().hex}@{self.message_id_domain}>"
            raw = compose(
                rendered=rendered,
                from_addr=self.from_addr,
                to_addr=reply.to,
                message_id=message_id,
                subject_tag=tag,
                in_reply_to=in_reply_to,
                references=references,
                instance=self.instance,
                date=now,
                auto_submitted=auto_submitted,
            )
            mail = OutboxMail(reply.to, message_id, raw, reply.template)
            letters.append(Letter(reply, rendered, mail))
        return letters
