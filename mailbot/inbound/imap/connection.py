"""Small operations on one IMAP connection: the protocol trace, folders, liveness,
closing. Kept apart from the session, which decides when to use them."""

from __future__ import annotations

import contextlib
import imaplib
import logging

from imapclient import IMAPClient

from mailbot.inbound.imap.idle import DROPPED


def quiet_protocol_trace(client: IMAPClient) -> None:
    """Let imaplib format its protocol trace only when its logger would print it.

    IMAPClient sets imaplib's debug level to 5 so that the trace goes to the
    ``imapclient.imaplib`` logger, but imaplib formats each line before that logger
    can decline it: a ``%r`` of every literal received, and of the whole response
    list once per command. That formatting took 17 of the 18 s a whole-message download
    of 1000 messages (1 GB) took, and a third of mailbot's own IMAP reading
    (bench/README.md, finding 1). With ``imapclient.imaplib`` at DEBUG the trace stays.
    """
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        client._imap.debug = 0


def ensure_folder(client: IMAPClient, folder: str) -> None:
    """Create ``folder`` unless it exists. Processes starting together on a new account
    race to create it: the loser's [ALREADYEXISTS] means the folder is there."""
    if client.folder_exists(folder):
        return
    try:
        client.create_folder(folder)
    except imaplib.IMAP4.error as error:
        if "ALREADYEXISTS" not in str(error) and not client.folder_exists(folder):
            raise


def alive(client: IMAPClient) -> bool:
    """True when the connection still answers NOOP (the last error was the server's "NO")."""
    try:
        client.noop()
    except (*DROPPED, imaplib.IMAP4.error):
        return False
    return True


def quietly_close(client: IMAPClient) -> None:
    """Log out, or at least shut the socket: the connection may already be dead."""
    try:
        client.logout()
    except Exception:  # closing a dead connection may fail any way
        with contextlib.suppress(Exception):
            client.shutdown()
