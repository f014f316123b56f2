"""One message file as an inbox: what `mailbot simulate FILE` reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from mailbot.inbound.source import FetchedMessage
from mailbot.mail.parse import parse_message


class OneMessage:
    """A single .eml file, keyed ``file:<path>``; nothing is ever moved."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = f"file:{path}"

    def pending(self) -> list[str]:
        return [self.key]

    def fetch(self, keys: Iterable[str]) -> Iterator[FetchedMessage]:
        for key in keys:
            if key == self.key:
                raw = self.path.read_bytes()
                yield FetchedMessage(key=key, uid=None, size=len(raw), parsed=parse_message(raw))

    def fetch_raw(self, key: str, limit: int) -> bytes | None:
        raw = self.path.read_bytes() if key == self.key else b""
        return raw if raw and len(raw) <= limit else None

    def mark_processed(self, key: str) -> None:
        """Nothing is moved."""

    def quarantine(self, key: str) -> None:
        """Nothing is moved."""

    def mark_processed_many(self, keys: Sequence[str]) -> None:
        """Nothing is moved."""

    def wait_for_mail(self, timeout: float) -> bool:
        return False

    def close(self) -> None:
        """Nothing to release."""
