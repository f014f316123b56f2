"""A network link of limited bandwidth between the IMAP clients and Dovecot.

Over loopback Dovecot hands over about 1 GB/s, so the whole-message download of the
floor costs about a second (bench/README.md, finding 1). In production the IMAP server
is across a network, where bytes cost time. ``PacedLink`` is a TCP proxy on a free
loopback port: what the server sends is paced to ``mbit`` megabits per second, shared
by all connections as one link would be; what clients send passes unpaced (commands are
small). With ``rtt_ms`` every byte the server sends arrives that much later besides
(the whole round trip put on the way back), as across a real network, where each
command waits a round trip for its answer. It runs in its own thread with an asyncio
loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from types import TracebackType

from tests.integration.dovecot import free_port

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Endpoint:
    """Where an IMAP client connects, and the password it logs in with."""

    host: str
    port: int
    password: str


class PacedLink:
    """The proxy, as a context manager: connect to ``endpoint`` instead of the server."""

    def __init__(self, server: Endpoint, mbit: float, rtt_ms: float = 0.0) -> None:
        self.server = server
        self.bytes_per_second = mbit * 1_000_000 / 8
        self.delay = rtt_ms / 1000
        self.endpoint = Endpoint("127.0.0.1", free_port(), server.password)
        self._free_at = 0.0  # when the link has sent everything queued so far
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paced-link", daemon=True)

    def __enter__(self) -> PacedLink:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the paced link did not start")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, self.endpoint.host, self.endpoint.port)
        )
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.close()

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        server_in, server_out = await asyncio.open_connection(self.server.host, self.server.port)
        up = asyncio.ensure_future(self._pipe(client_in, server_out, paced=False))
        down = asyncio.ensure_future(self._pipe(server_in, client_out, paced=True))
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        for task in (up, down):
            task.cancel()
        for writer in (client_out, server_out):
            writer.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, paced: bool
    ) -> None:
        if paced and self.delay:
            await self._delayed(reader, writer)
            return
        while chunk := await reader.read(CHUNK):
            if paced:
                await asyncio.sleep(self._pace(len(chunk)))
            writer.write(chunk)
            await writer.drain()

    def _pace(self, size: int) -> float:
        """Seconds until a chunk of ``size`` bytes has crossed the link."""
        # One link for every connection: each chunk waits for the ones before it.
        now = time.monotonic()
        self._free_at = max(now, self._free_at) + size / self.bytes_per_second
        return self._free_at - now

    async def _delayed(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Paced as without a delay, then delivered in order the delay later, so the
        delays of chunks in flight overlap (at most a delay's worth of bytes waits)."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                if not chunk:
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(chunk)
                await writer.drain()

        delivering = asyncio.ensure_future(deliver())
        try:
            while chunk := await reader.read(CHUNK):
                await asyncio.sleep(self._pace(len(chunk)))
                queue.put_nowait((time.monotonic() + self.delay, chunk))
            queue.put_nowait((0.0, b""))
            await delivering
        finally:
            delivering.cancel()
