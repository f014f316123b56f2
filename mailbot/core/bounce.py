"""Which of our mails a bounce returns, if we can tell. Pure.

Anyone can write a mail that looks like a bounce, so a bounce counts only when it names
one of our Message-IDs together with the address that mail was sent to: the IDs are
random, so only the recipient (or its mail server) can know them. Ticket numbers, our
subject lines and the threading headers alone prove nothing. A bounce that does not
pass is recorded for the agents and suppresses nobody.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Protocol, TypeVar

from mailbot.core.model import InboundMessage

# The Message-IDs we give our mails (outbound/letters.Mailer).
OUR_MESSAGE_ID = re.compile(r"<mailbot\.[0-9a-f]{32}@[^<>\s]+>")
# A delivery status of permanent failure (RFC 3464), as a bounce reports it.
_PERMANENT = re.compile(r"^Status:\s*5\.\d{1,3}\.\d{1,3}", re.MULTILINE | re.IGNORECASE)
# The recipient a delivery status notification is about (RFC 3464 2.3.1, 2.3.2).
_RECIPIENT = re.compile(
    r"^(?:Final|Original)-Recipient:[ \t]*rfc822[ \t]*;[ \t]*<?([^\s<>;@]+@[^\s<>;@]+)>?[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
_DIAGNOSTIC = re.compile(r"^(?:Diagnostic-Code|Status|Final-Recipient|Action):.*$", re.I | re.M)


@dataclass(frozen=True)
class BounceReport:
    """What a bounce says: our Message-IDs it names, the recipients it reports on."""

    message_ids: tuple[str, ...]
    recipients: tuple[str, ...]
    permanent: bool
    diagnostic: str


class Sent(Protocol):
    """One of our mails: its Message-ID and recipient (from the outbox)."""

    @property
    def message_id(self) -> str: ...

    @property
    def to_addr(self) -> str: ...


_Sent = TypeVar("_Sent", bound=Sent)


def read_bounce(message: InboundMessage) -> BounceReport:
    """Our Message-IDs and the failed recipients named by a bounce (its headers, the
    delivery status and the returned headers, which are all in its text)."""
    ids = [*OUR_MESSAGE_ID.findall(message.text)]
    ids += [i for i in (message.in_reply_to, *message.references) if i and OUR_MESSAGE_ID.match(i)]
    recipients = [m.group(1) for m in _RECIPIENT.finditer(message.text)]
    failed = message.header("x-failed-recipients") or ""
    recipients += [address for _, address in getaddresses([failed]) if "@" in address]
    said = "; ".join(m.group(0).strip() for m in _DIAGNOSTIC.finditer(message.text))
    return BounceReport(
        message_ids=tuple(dict.fromkeys(ids)),
        recipients=tuple(dict.fromkeys(r.lower() for r in recipients)),
        permanent=_PERMANENT.search(message.text) is not None,
        diagnostic=said[:500],
    )


def bounced_mail(report: BounceReport, sent: Iterable[_Sent]) -> _Sent | None:
    """The mail of ours the bounce returns: one it names that was sent to a recipient it
    names; None when no such pair exists (the bounce proves nothing)."""
    for mail in sent:
        if mail.message_id in report.message_ids and mail.to_addr.lower() in report.recipients:
            return mail
    return None
