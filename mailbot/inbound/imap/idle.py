"""Waiting for new mail on an IMAP connection: IDLE (RFC 2177) where the server has it,
else polling; a dropped connection is noticed and reported as "maybe new mail"."""

from __future__ import annotations

import imaplib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from imapclient import IMAPClient

from mailbot.errors import InboxError
from mailbot.inbound.source import poll_for_new_keys

if TYPE_CHECKING:
    from mailbot.inbound.imap.session import ImapInbox

log = logging.getLogger("mailbot")

# A dropped connection shows up as one of these; anything else is a real IMAP error.
DROPPED = (OSError, imaplib.IMAP4.abort)
# RFC 2177: servers may log out a client idle for 30 minutes, so IDLE is renewed sooner.
IDLE_MAX_SECONDS = 25 * 60
# Without IDLE the folder is searched this often; one UID SEARCH per second is cheap.
IMAP_POLL_SECONDS = 1.0
# An IDLE response that may mean new mail (RECENT is sent next to EXISTS by some servers).
_NEW_MAIL = (b"EXISTS", b"RECENT")
# idle_check() hides a closed socket as an early, empty answer; this many in a row means
# the connection is gone (one alone may be TLS housekeeping such as a session ticket).
_EMPTY_WAKEUPS_LIMIT = 3


def wait_for_mail(inbox: ImapInbox, timeout: float) -> bool:
    """ImapInbox.wait_for_mail, with the connection's lock held."""
    where = f"IMAP {inbox.host}:{inbox.port}"
    deadline = time.monotonic() + max(0.0, timeout)
    try:
        client = inbox._session()
        has_idle = client.has_capability("IDLE")
    except InboxError as error:
        log.warning("%s: cannot wait for mail: %s", where, error)
        return True
    except (*DROPPED, imaplib.IMAP4.error) as error:
        log.warning("%s: connection lost before waiting for mail: %s", where, error)
        inbox._drop()
        return True
    if not has_idle:
        try:
            remaining = deadline - time.monotonic()  # connecting took some of it
            return poll_for_new_keys(inbox.pending, remaining, IMAP_POLL_SECONDS)
        except InboxError as error:
            log.warning("%s: polling for mail failed: %s", where, error)
            return True
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            if _idle_once(client, min(remaining, IDLE_MAX_SECONDS)):
                return True
        return False
    except (*DROPPED, imaplib.IMAP4.error) as error:
        # Also for a refused IDLE or an unexpected reply: after a failed IDLE the
        # session's state is unknown, and a fresh connection is the safe way on.
        log.warning("%s: connection lost during IDLE: %s", where, error)
        inbox._drop()
        return True


def _idle_once(client: IMAPClient, seconds: float) -> bool:
    """One IDLE of at most ``seconds``: True when the server reported new mail.

    Connection errors propagate; DONE is sent whatever happens once IDLE was accepted.
    """
    deadline = time.monotonic() + seconds
    client.idle()
    news = False
    try:
        empty_wakeups = 0
        while not news and (remaining := deadline - time.monotonic()) > 0:
            started = time.monotonic()
            responses = client.idle_check(timeout=remaining)
            if _dropped_by_server(responses):
                raise imaplib.IMAP4.abort(f"server ended the session: {responses!r}")
            news = _reports_new_mail(responses)
            # An empty answer before the timeout: the socket was readable but held no
            # line, which is how idle_check() shows the server closing the connection.
            early = not responses and time.monotonic() - started < remaining * 0.9
            empty_wakeups = empty_wakeups + 1 if early else 0
            if empty_wakeups >= _EMPTY_WAKEUPS_LIMIT:
                raise imaplib.IMAP4.abort("connection closed by the server during IDLE")
    finally:
        # Runs after a failure too, so the session is not left in IDLE (where every
        # other command fails); if the connection is gone this raises, which is reported.
        _, late = client.idle_done()
    # Mail that arrived between the last check and DONE is reported only in DONE's reply.
    return news or _reports_new_mail(late)


def _reports_new_mail(responses: Sequence[Any]) -> bool:
    """True if an untagged IDLE response is ``* n EXISTS`` or ``* n RECENT``."""
    return any(isinstance(r, tuple) and len(r) > 1 and r[1] in _NEW_MAIL for r in responses)


def _dropped_by_server(responses: Sequence[Any]) -> bool:
    """True if the server said BYE (shutdown, idle timeout): the connection is closing."""
    return any(isinstance(r, tuple) and r and r[0] == b"BYE" for r in responses)
