"""A private aiosmtpd server that records when each reply arrives and what it answers.

tests/integration/fixtures_smtp.py imports pytest at module level, so the benchmark
has its own small handler; it also keeps the arrival time, which the IDLE test needs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from tests.integration.dovecot import free_port


@dataclass(frozen=True)
class Reply:
    """One accepted mail: arrival (time.monotonic()), threading headers, recipients."""

    arrived: float
    message_id: str
    in_reply_to: str
    rcpt_tos: tuple[str, ...]
    size: int


class ReplyRecorder:
    """aiosmtpd handler: accepts every mail and keeps its threading headers.

    During a measurement it only keeps the arrival time and the raw header block: parsing
    is done when the replies are read, so this server takes as little as possible of
    the CPU the measured mailbot shares with it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: list[tuple[float, bytes, tuple[str, ...], int]] = []
        self._parsed: list[Reply] = []  # the first arrivals, parsed when asked for
        self._parser = BytesHeaderParser(policy=policy.default)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        arrived = time.monotonic()
        raw = bytes(envelope.original_content or envelope.content)
        end = raw.find(b"\r\n\r\n")
        head = raw if end < 0 else raw[:end]
        with self._lock:
            self._arrivals.append((arrived, head, tuple(envelope.rcpt_tos), len(raw)))
        return "250 Message accepted"

    def replies(self) -> list[Reply]:
        """Every mail accepted since the last reset, in arrival order."""
        with self._lock:
            for arrived, head, rcpt_tos, size in self._arrivals[len(self._parsed) :]:
                headers = self._parser.parsebytes(head)
                self._parsed.append(
                    Reply(
                        arrived,
                        str(headers["Message-ID"] or "").strip(),
                        str(headers["In-Reply-To"] or "").strip(),
                        tuple(a.lower() for a in rcpt_tos),
                        size,
                    )
                )
            return list(self._parsed)

    def count(self) -> int:
        """How many mails were accepted since the last reset."""
        with self._lock:
            return len(self._arrivals)

    def reset(self) -> None:
        """Forget what was received (between measurements)."""
        with self._lock:
            self._arrivals.clear()
            self._parsed.clear()


class SmtpSink:
    """The server on a free loopback port, as a context manager."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.recorder = ReplyRecorder()
        self.port = free_port()
        self._controller = Controller(self.recorder, hostname=self.host, port=self.port)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._controller.stop()
