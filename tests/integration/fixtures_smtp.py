"""A real SMTP server (aiosmtpd) on a free loopback port that keeps what it receives.

``server.rcpt_reply`` / ``server.data_reply`` make it refuse (e.g. ``"451 4.3.0 later"``
or ``"550 5.1.1 unknown"``). If the server cannot start, the test fails.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One accepted transaction."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    def parsed(self) -> EmailMessage:
        msg = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class RecordingHandler:
    """aiosmtpd handler: records accepted mail, answers with configurable replies."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None
    sessions: int = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(raw)))
        return "250 Message accepted"


@dataclass
class SmtpServer:
    """Where the test server listens and what it got."""

    host: str
    port: int
    handler: RecordingHandler


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(handler: RecordingHandler, **server_kwargs: Any) -> tuple[Controller, int]:
    """Start aiosmtpd on a free loopback port; raises (the test fails) if it cannot."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **server_kwargs)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server for one test."""
    handler = RecordingHandler()
    controller, port = start_server(handler)
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()
