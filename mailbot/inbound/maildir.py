"""A local Maildir as an inbox: new/ and cur/ are pending, handled mail is renamed into
Maildir++ folders (atomic)."""

from __future__ import annotations

import mailbox
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from mailbot.errors import InboxError
from mailbot.inbound.source import FetchedMessage, poll_for_new_keys
from mailbot.mail.parse import parse_message

# A Maildir poll is two directory listings, cheap enough to keep the latency low.
MAILDIR_POLL_SECONDS = 0.2


def arrival(name: str) -> tuple[tuple[int, str], ...]:
    """Sort key putting Maildir names in delivery order: numbers compare as numbers, so
    ``1700000000.M99999P1`` comes before ``1700000000.M100000P1`` (microseconds are not
    zero-padded) and a name of a later second after both."""
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part)
        for part in re.split(r"(\d+)", name)
        if part
    )


class MaildirInbox:
    """A local Maildir: new/ and cur/ are pending, handled mail goes to ``.processed``."""

    def __init__(
        self,
        path: Path,
        processed_folder: str = "processed",
        quarantine_folder: str = "quarantine",
    ) -> None:
        self.path = Path(path)
        self.processed_folder = processed_folder
        self.quarantine_folder = quarantine_folder
        try:
            self._box = mailbox.Maildir(self.path, factory=None, create=True)
        except OSError as error:
            raise InboxError(f"cannot open Maildir {self.path}: {error}") from error

    def pending(self) -> list[str]:
        """``maildir:<name>`` keys of the messages in new/ and cur/, oldest first."""
        return [f"maildir:{name}" for name in sorted(self._box.iterkeys(), key=arrival)]

    def fetch(self, keys: Iterable[str]) -> Iterator[FetchedMessage]:
        """Read and parse each message; keys no longer present are skipped."""
        for key in keys:
            name = key.removeprefix("maildir:")
            try:
                raw = self._box.get_bytes(name)
            except (KeyError, OSError):
                continue
            yield FetchedMessage(key=key, uid=None, size=len(raw), parsed=parse_message(raw))

    def fetch_raw(self, key: str, limit: int) -> bytes | None:
        """The message file's bytes, unless it is gone or larger than `limit`."""
        try:
            with self._box.get_file(key.removeprefix("maildir:")) as file:
                raw = file.read(limit + 1)
        except (KeyError, OSError):
            return None
        return raw if len(raw) <= limit else None

    def mark_processed(self, key: str) -> None:
        """Rename the message file into the processed Maildir++ folder (atomic)."""
        self._move(key, self.processed_folder)

    def quarantine(self, key: str) -> None:
        """Rename the message file into the quarantine Maildir++ folder (atomic)."""
        self._move(key, self.quarantine_folder)

    def mark_processed_many(self, keys: Sequence[str]) -> None:
        """Rename each message file into the processed folder."""
        for key in keys:
            self._move(key, self.processed_folder)

    def _move(self, key: str, folder: str) -> None:
        name = key.removeprefix("maildir:")
        target = self._folder_root(folder)
        for sub in ("new", "cur"):
            directory = self.path / sub
            for entry in os.listdir(directory):
                if entry.split(self._box.colon, 1)[0] == name:
                    os.replace(directory / entry, target / sub / entry)
                    return

    def _folder_root(self, folder: str) -> Path:
        if folder not in self._box.list_folders():
            self._box.add_folder(folder)
        return self.path / f".{folder}"

    def wait_for_mail(self, timeout: float) -> bool:
        """Poll new/ and cur/ every 0.2 s; True as soon as a key appears that was not there.

        Keys that disappear (handled by someone else) do not count as new mail.
        """
        return poll_for_new_keys(self.pending, timeout, MAILDIR_POLL_SECONDS)

    def close(self) -> None:
        """Nothing to release: files are opened per message."""
        self._box.close()
