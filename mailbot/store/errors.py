"""What the store's writes raise when another process got there first."""

from __future__ import annotations

from mailbot.errors import MailbotError

ERROR_CHARS = 2000  # of an error message kept in a row


class AlreadyRecorded(MailbotError):
    """The inbound key was already committed (another worker handled the message)."""


class Taken(MailbotError):
    """The ticket id or RMA number drawn before the transaction was taken meanwhile: the
    mails that show it must be written again with new ones."""
