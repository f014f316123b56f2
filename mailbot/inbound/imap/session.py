"""One IMAP folder as an inbox: a persistent connection that reconnects when dropped,
messages read part by part (imap/reading.py) by a thread ahead of the caller
(mailbot/inbound/prefetch.py), handled mail moved with one UID MOVE, new mail awaited
with IDLE (imap/idle.py).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import islice
from typing import Any, Literal, TypeVar

from imapclient import DELETED, IMAPClient

from mailbot.errors import InboxError
from mailbot.inbound.imap import connection, fetching, idle, reading
from mailbot.inbound.imap.idle import DROPPED
from mailbot.inbound.prefetch import prefetch
from mailbot.inbound.source import FetchedMessage

_T = TypeVar("_T")
# Messages whose structure and header block one FETCH asks for.
OVERVIEW_BATCH = 25
_OVERVIEW = ["BODYSTRUCTURE", "RFC822.SIZE", "BODY.PEEK[HEADER]"]
Security = Literal["ssl", "starttls", "none"]

log = logging.getLogger("mailbot")
CLOSE_TIMEOUT = 2.0  # seconds a LOGOUT may take when the service stops
# Messages read ahead of the caller while it handles one: enough to hide the server's
# latency behind the caller's work, few enough to keep memory low (only heads and tails
# of attachments are ever held, at most TEXT_PART_LIMIT of each text part).
PREFETCH_AHEAD = 8
# ...and no new message is read while those waiting hold this many bytes (a message may
# carry MAX_PARTS attachment samples, over 13 MB).
PREFETCH_BUDGET = 16 * 1024 * 1024
# Messages whose FETCHes of parts go out together (one round trip a round for all), and
# whose samples are held at once besides those read ahead.
PIPELINE = 8


class _AlreadyGone(Exception):
    """Some of the messages were moved or deleted by someone else meanwhile."""


class ImapInbox:
    """One IMAP folder, read over a persistent connection that reconnects when dropped.

    Its methods may be called while a ``fetch`` iterator's thread reads ahead: one lock
    serialises every use of the connection.
    """

    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        username: str,
        password: str,
        folder: str = "INBOX",
        processed_folder: str = "Processed",
        timeout: float = 30.0,
        verify_tls: bool = True,
        quarantine_folder: str = "Quarantine",
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self._password = username, password
        self.folder, self.processed_folder = folder, processed_folder
        self.quarantine_folder = quarantine_folder
        self.timeout, self.verify_tls = timeout, verify_tls
        self._client: IMAPClient | None = None
        self.uidvalidity: int | None = None
        # The connection is not thread-safe, and fetch() reads ahead in a thread while
        # the caller may move messages: every use of it holds this lock.
        self._lock = threading.RLock()

    # -- connection -------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> IMAPClient:
        where = f"IMAP {self.username}@{self.host}:{self.port} ({self.security})"
        try:
            client = IMAPClient(
                self.host,
                port=self.port,
                ssl=self.security == "ssl",
                ssl_context=self._tls_context() if self.security == "ssl" else None,
                timeout=self.timeout,
            )
        except (OSError, imaplib.IMAP4.error) as error:
            raise InboxError(f"{where}: cannot connect: {error}") from error
        connection.quiet_protocol_trace(client)
        try:
            # Pipelined commands go out at once, not each after the last one's ACK
            # (Nagle), which a delayed ACK can hold for up to 40 ms.
            client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.security == "starttls":
                client.starttls(self._tls_context())
            client.login(self.username, self._password)
            for target in (self.processed_folder, self.quarantine_folder):
                connection.ensure_folder(client, target)
            selected = client.select_folder(self.folder)
        except (OSError, imaplib.IMAP4.error) as error:
            connection.quietly_close(client)
            raise InboxError(f"{where}: {error}") from error
        self.uidvalidity = int(selected[b"UIDVALIDITY"])
        return client

    def _session(self) -> IMAPClient:
        """The open connection, or a new one."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _drop(self) -> None:
        with self._lock:
            if self._client is not None:
                connection.quietly_close(self._client)
                self._client = None

    def _abandon(self) -> None:
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.shutdown()
                self._client = None

    def _run(self, operation: Callable[[IMAPClient], _T]) -> _T:
        """Run ``operation(client)``, reconnecting once if the connection is gone.

        No NOOP before every command: a dead connection shows itself by the first
        command failing, and only then is it checked and replaced.
        """
        where = f"IMAP {self.host}:{self.port}"
        with self._lock:
            client = self._session()
            try:
                return operation(client)
            except DROPPED:
                pass
            except imaplib.IMAP4.error as error:
                if connection.alive(client):
                    raise InboxError(f"{where}: {error}") from error
            except Exception:
                raise  # a bug in what the operation makes of the answer: the session is fine
            except BaseException:
                # Interrupted midway (the message watchdog, Ctrl-C): the session may hold
                # half an answer, so it is closed without a LOGOUT that would read it.
                self._abandon()
                raise
            self._drop()
            try:
                return operation(self._session())
            except DROPPED as error:
                raise InboxError(f"{where}: connection lost: {error}") from error
            except imaplib.IMAP4.error as error:
                raise InboxError(f"{where}: {error}") from error

    # -- Inbox ------------------------------------------------------------------------

    def pending(self) -> list[str]:
        """``imap:<uidvalidity>:<uid>`` keys of every undeleted message in the folder."""
        # Keys made under the lock: a reconnect by the reader thread may change
        # UIDVALIDITY between the SEARCH and the keys.
        return self._run(
            lambda client: [
                f"imap:{self.uidvalidity}:{uid}" for uid in sorted(client.search(["UNDELETED"]))
            ]
        )

    def _uid(self, key: str) -> int | None:
        """The UID in ``key`` if its UIDVALIDITY is the folder's current one."""
        parts = key.split(":")
        if len(parts) != 3 or parts[0] != "imap" or not parts[2].isdigit():
            return None
        return int(parts[2]) if parts[1] == str(self.uidvalidity) else None

    def fetch(self, keys: Iterable[str]) -> Iterator[FetchedMessage]:
        """Read each message part by part; stale or vanished keys are skipped.

        A thread reads up to PREFETCH_AHEAD messages ahead while the caller handles one,
        so the server's answers arrive during the caller's work. The caller sees the same
        as from a plain loop: messages in key order, and an error reading one raised in
        its place, after the messages before it. Closing the iterator stops the thread.
        A lazy `keys` is drawn from in that thread too, a batch at a time.
        """
        if isinstance(keys, Sequence) and len(keys) < 2:
            return self._read(keys)  # nothing to overlap
        return prefetch(
            self._read(keys),
            PREFETCH_AHEAD,
            weigh=_weight,
            budget=PREFETCH_BUDGET,
            # Only reached if whoever closes the iterator holds the lock the reader waits
            # for: give up on joining after any FETCH in flight had its time.
            join_timeout=4 * self.timeout,
            name=f"imap-prefetch-{self.username}@{self.host}",
        )

    def _read(self, keys: Iterable[str]) -> Iterator[FetchedMessage]:
        """Read the messages of ``keys`` in order: one FETCH per batch of OVERVIEW_BATCH
        for the structures, then PIPELINE messages at a time, their FETCHes of parts
        pipelined (imap/reading.py)."""
        remaining = iter(keys)
        while batch := list(islice(remaining, OVERVIEW_BATCH)):
            overview = self._run(partial(self._overview, keys=batch))
            for start in range(0, len(overview), PIPELINE):
                group = overview[start : start + PIPELINE]
                messages = [(uid, info) for _, uid, info in group]
                read = self._run(partial(reading.read_messages, messages=messages))
                for (key, uid, info), parsed in zip(group, read, strict=True):
                    if isinstance(parsed, Exception):
                        raise parsed  # in its place: the messages before it were given
                    size = int(info.get(b"RFC822.SIZE", 0))
                    yield FetchedMessage(key, uid, size, parsed)

    def _overview(
        self, client: IMAPClient, keys: Sequence[str]
    ) -> list[tuple[str, int, dict[bytes, Any]]]:
        """Structure, size and header block of the still valid, still present keys."""
        wanted = [(key, uid) for key in keys if (uid := self._uid(key)) is not None]
        found = fetching.fetch(client, [uid for _, uid in wanted], _OVERVIEW)
        return [(key, uid, found[uid]) for key, uid in wanted if uid in found]

    def fetch_raw(self, key: str, limit: int) -> bytes | None:
        """The whole message in one FETCH of at most `limit` + 1 bytes (None: gone or
        larger than `limit`)."""

        def read(client: IMAPClient) -> bytes | None:
            uid = self._uid(key)
            if uid is None:
                return None
            found = fetching.fetch(client, [uid], [f"BODY.PEEK[]<0.{limit + 1}>"]).get(uid, {})
            raw = found.get(b"BODY[]<0>")
            return bytes(raw) if raw is not None and len(raw) <= limit else None

        return self._run(read)

    def mark_processed(self, key: str) -> None:
        """Move one message to the processed folder (MOVE, else COPY+UID EXPUNGE)."""
        self._run(lambda client: self._move(client, [key], self.processed_folder))

    def quarantine(self, key: str) -> None:
        """Move one message to the quarantine folder (MOVE, else COPY+UID EXPUNGE)."""
        self._run(lambda client: self._move(client, [key], self.quarantine_folder))

    def mark_processed_many(self, keys: Sequence[str]) -> None:
        """Move several messages to the processed folder with one UID MOVE (about 10 ms a
        command saved per message); if one of them was moved away meanwhile, one by one."""
        try:
            self._run(lambda client: self._move(client, keys, self.processed_folder, strict=True))
        except _AlreadyGone:
            for key in keys:
                self.mark_processed(key)

    def _move(
        self, client: IMAPClient, keys: Sequence[str], folder: str, *, strict: bool = False
    ) -> None:
        """Move the messages of `keys` to `folder`. One of them moved or deleted by someone
        else first ([EXPUNGEISSUED]) means nothing more to do, or with `strict`, that the
        caller must try them one by one (raises _AlreadyGone)."""
        # Checked on the live connection: UIDVALIDITY may change.
        uids = [uid for key in keys if (uid := self._uid(key)) is not None]
        if not uids:
            return
        capabilities = client.capabilities()
        try:
            if b"MOVE" in capabilities:
                client.move(uids, folder)
                return
            client.copy(uids, folder)
        except imaplib.IMAP4.error as error:
            if "EXPUNGEISSUED" not in str(error):
                raise
            if strict and len(uids) > 1:
                raise _AlreadyGone(str(error)) from error
            log.info("keys=%s were already moved away (%s)", ",".join(keys), error)
            return
        client.add_flags(uids, [DELETED])
        # Only these UIDs: a folder-wide EXPUNGE could remove mail others marked deleted.
        # Without UIDPLUS the originals stay flagged \Deleted and pending() skips them.
        if b"UIDPLUS" in capabilities:
            client.uid_expunge(uids)

    def wait_for_mail(self, timeout: float) -> bool:
        """Wait with IDLE if the server has it, else poll ``pending()``; never raises.

        Connection problems are logged and answered with True, so the caller's next
        ``pending()`` reconnects (or raises the InboxError that explains what is wrong).
        """
        with self._lock:  # the connection sits in IDLE: nothing else may use it
            return idle.wait_for_mail(self, timeout)

    def close(self) -> None:
        """Log out (errors ignored: the connection may already be gone).

        Shutting down may interrupt an IDLE before DONE was sent; a LOGOUT then waits
        for an answer that never comes, so closing waits CLOSE_TIMEOUT at most.
        """
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.socket().settimeout(CLOSE_TIMEOUT)
                connection.quietly_close(self._client)
                self._client = None


def _weight(fetched: FetchedMessage) -> int:
    """Roughly the bytes a fetched message holds: its text and attachment samples."""
    parsed = fetched.parsed
    return len(parsed.text) + sum(len(a.head) + len(a.tail) for a in parsed.attachments)
