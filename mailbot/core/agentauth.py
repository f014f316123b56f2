"""Is this mail really from an agent? A From: header proves nothing, so a command counts
only with proof. Pure: the facts the shell established (DKIM domains it verified) come
in as data.

Proofs, strongest first:

- a token: the subject tag of mail to agents, `[T-000123 key:261126-<hmac>]`, an HMAC of
  the ticket, the agent's address and the day it was issued, valid `token_days`;
- a DKIM signature of the agent's domain that mailbot verified itself (the shell passes
  the domains of the valid signatures covering From and Subject);
- a DKIM pass in the topmost Authentication-Results of our own server, only when the
  admin declared that the server removes such headers arriving from outside.

DKIM proves the sender, not the ticket: a command that changes a ticket on DKIM alone
must name its ticket in the subject tag (`[T-000123]`), as a token does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mailbot.core.model import InboundMessage

TOKEN_CHARS = 20
# The day a token was issued, in its text (YYMMDD, UTC).
_DAY_FORMAT = "%y%m%d"
# A ticket's subject tag, with a token (`key:YYMMDD-<hmac>`), a token of the first
# format (`key:<hmac>`, before tokens had a date and an agent), or none.
_TAG = re.compile(r"\[(T-\d{6,})(?:\s+key:(?:(\d{6})-)?([0-9a-f]{" + str(TOKEN_CHARS) + r"}))?\]")
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Proof:
    """How an agent's mail proves its sender, or why it cannot be used."""

    # "token", "dkim" or "authentication-results"; "" when the mail proves nothing.
    method: str = ""
    # The subject's tag names the ticket the mail answers (a token always does).
    names_ticket: bool = False
    # Unproven but from someone who had a real token (expired, or for another ticket):
    # why, to tell the agent; such mail is answered, not alerted about.
    problem: str = ""

    @property
    def proven(self) -> bool:
        return bool(self.method)


def agent_token(secret: str, reference: str, agent: str, issued: date) -> str:
    """The token of ticket `reference` for `agent`, issued on `issued` (a UTC day)."""
    text = f"mailbot-agent-v2:{reference}:{agent.lower()}:{issued.isoformat()}"
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256)
    return f"{issued:{_DAY_FORMAT}}-{digest.hexdigest()[:TOKEN_CHARS]}"


def _first_token(secret: str, reference: str) -> str:
    """A token of the first format (ticket only, no agent, no expiry): only recognised,
    so that an agent answering an old notice is told to use a new one."""
    digest = hmac.new(secret.encode(), f"mailbot-agent:{reference}".encode(), hashlib.sha256)
    return digest.hexdigest()[:TOKEN_CHARS]


def subject_tag(reference: str, secret: str | None, agent: str | None, now: datetime) -> str:
    """The subject tag of our mail about ticket `reference`: with a token only in mail to
    an agent (`agent`) when tokens are on (`secret`)."""
    if not (secret and agent):
        return f"[{reference}]"
    return f"[{reference} key:{agent_token(secret, reference, agent, now.date())}]"


def names_ticket(subject: str, reference: str) -> bool:
    """True when the subject carries the ticket's tag (`[T-000123]`, with a key or not)."""
    return any(m.group(1) == reference for m in _TAG.finditer(subject))


def named_tickets(subject: str) -> list[str]:
    """The ticket references of the tags in a subject, in order."""
    return [m.group(1) for m in _TAG.finditer(subject)]


def token_proof(
    message: InboundMessage, reference: str, secret: str | None, token_days: int, now: datetime
) -> Proof:
    """The token proof of an agent's mail on ticket `reference` (see Proof)."""
    sender = (message.sender or "").lower()
    if not (secret and sender):
        return Proof()
    problem = ""
    for tag in _TAG.finditer(message.subject):
        tagged, day, token = tag.groups()
        if token is None:
            continue
        if day is None:
            if hmac.compare_digest(token, _first_token(secret, tagged)):
                problem = (
                    "the token in the subject is of the old kind, which no longer counts;"
                    " reply to this mail instead, its subject carries a new one"
                )
            continue
        try:
            issued = datetime.strptime(day, _DAY_FORMAT).date()
        except ValueError:
            continue
        expected = agent_token(secret, tagged, sender, issued)
        if not hmac.compare_digest(f"{day}-{token}", expected):
            continue
        if tagged != reference:
            problem = (
                f"the subject names ticket {tagged}, but the mail answers ticket {reference};"
                f" reply to a mail about {reference}"
            )
            continue
        today = now.date()
        if issued > today + timedelta(days=1) or today - issued > timedelta(days=token_days):
            problem = (
                f"the token in the subject was issued on {issued.isoformat()} and tokens last"
                f" {token_days} days; reply to this mail instead, its subject carries a new one"
            )
            continue
        return Proof("token", names_ticket=True)
    return Proof(problem=problem)


def agent_proof(
    message: InboundMessage,
    reference: str,
    now: datetime,
    *,
    secret: str | None,
    token_days: int,
    dkim_domains: tuple[str, ...] = (),
    authserv_id: str | None = None,
) -> Proof:
    """How the mail proves it comes from its agent sender (see the module's docstring).

    `dkim_domains`: the d= domains of the signatures mailbot verified on the raw mail;
    `authserv_id`: our server's id, given only when the admin declared that the server
    removes Authentication-Results arriving from outside.
    """
    proof = token_proof(message, reference, secret, token_days, now)
    if proof.proven or not message.sender or "@" not in message.sender:
        return proof
    domain = message.sender.rsplit("@", 1)[1].lower()
    named = names_ticket(message.subject, reference)
    if any(_aligned(domain, signed) for signed in dkim_domains):
        return Proof("dkim", names_ticket=named)
    # Only the topmost header: our server adds it last; lower ones may be forged.
    results = message.header("authentication-results")
    if authserv_id and results and dkim_passes(results, authserv_id, domain):
        return Proof("authentication-results", names_ticket=named)
    return proof


def content_key(message: InboundMessage, reference: str) -> str:
    """What makes a command mail the same mail again, whatever its Message-ID: ticket,
    sender, subject, date, threading headers and text. A copy sent again has the same
    key; an agent repeating a command in a new mail (a new date) does not."""
    parts = (
        reference,
        (message.sender or "").lower(),
        message.subject,
        message.received_at.isoformat() if message.received_at else "",
        message.in_reply_to or "",
        *message.references,
        message.text,
    )
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()


def _aligned(domain: str, signed: str) -> bool:
    """A signature of `signed` vouches for mail from `domain`: the same domain or a parent
    (only the parent's owner can publish keys under it)."""
    signed = signed.lower().rstrip(".")
    return bool(signed) and (domain == signed or domain.endswith("." + signed))


def dkim_passes(results: str, authserv_id: str, domain: str) -> bool:
    """True when an Authentication-Results value (RFC 8601) from `authserv_id` reports a
    passing DKIM signature of `domain`."""
    parts = [p.strip() for p in _COMMENT.sub(" ", results).split(";")]
    if not parts or not parts[0] or parts[0].split()[0].lower() != authserv_id.lower():
        return False
    for part in parts[1:]:
        words = part.lower().split()
        if not words or words[0] != "dkim=pass":
            continue
        for word in words[1:]:
            key, _, value = word.partition("=")
            if key == "header.d" and value == domain:
                return True
            if key == "header.i" and value.rsplit("@", 1)[-1] == domain:
                return True
    return False
