"""An IMAP folder as an inbox (session.py)."""

from mailbot.inbound.imap.session import ImapInbox

__all__ = ["ImapInbox"]
