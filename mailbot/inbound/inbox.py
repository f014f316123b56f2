"""Where inbound mail comes from: an IMAP folder or a local Maildir.

Both give stable keys (``imap:<uidvalidity>:<uid>``, ``maildir:<name>``), yield
FetchedMessages and move handled mail to a "processed" folder. The IMAP reader never
downloads a whole message: it reads the BODYSTRUCTURE, the header block, the text parts
(capped) and only the head and tail of each attachment (see mailbot/mail/bodystructure.py),
then builds the ParsedMessage with the same pieces ``parse.parse_message`` uses. A JPEG
whose dimensions lie beyond the head (a long EXIF block) gets the rest of a longer head,
and a HEIC the pieces holding its EXIF and thumbnail, read with one more FETCH per
message for all such attachments (``_read_more``). While
the caller handles one message, a thread reads the next few (mailbot/inbound/prefetch.py).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import mailbox
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from imapclient import DELETED, IMAPClient

from mailbot.errors import InboxError
from mailbot.inbound.prefetch import prefetch
from mailbot.mail.bodystructure import (
    LeafPart,
    PlannedLeaf,
    clean_type,
    decode_base64_tail,
    decode_partial_base64,
    decode_transfer,
    leaf_filename,
    leaf_role,
    split_params,
    walk_bodystructure,
)
from mailbot.mail.parse import (
    HEAD_BYTES,
    LONG_HEAD_BYTES,
    TAIL_BYTES,
    TEXT_PART_LIMIT,
    AttachmentSample,
    BodyCollector,
    HeaderFields,
    ParsedMessage,
    parse_headers,
    parse_message,
    pieces_wanted,
    sample_of,
)
from mailbot.media.imagehead import more_head_needed

_T = TypeVar("_T")
FETCH_BATCH = 25
_OVERVIEW = ["BODYSTRUCTURE", "RFC822.SIZE", "BODY.PEEK[HEADER]"]
Security = Literal["ssl", "starttls", "none"]
# A dropped connection shows up as one of these; anything else is a real IMAP error.
_DROPPED = (OSError, imaplib.IMAP4.abort)
# RFC 2177: servers may log out a client idle for 30 minutes, so IDLE is renewed sooner.
IDLE_MAX_SECONDS = 25 * 60
# Without IDLE the folder is searched this often; one UID SEARCH per second is cheap.
IMAP_POLL_SECONDS = 1.0
# A Maildir poll is two directory listings, cheap enough to keep the latency low.
MAILDIR_POLL_SECONDS = 0.2
# An IDLE response that may mean new mail (RECENT is sent next to EXISTS by some servers).
_NEW_MAIL = (b"EXISTS", b"RECENT")
# idle_check() hides a closed socket as an early, empty answer; this many in a row means
# the connection is gone (one alone may be TLS housekeeping such as a session ticket).
_EMPTY_WAKEUPS_LIMIT = 3

log = logging.getLogger("mailbot")
CLOSE_TIMEOUT = 2.0  # seconds a LOGOUT may take when the service stops
# Messages read ahead of the caller while it handles one: enough to hide the server's
# latency behind the caller's work, few enough to keep memory low (only heads and tails
# of attachments are ever held, at most TEXT_PART_LIMIT of each text part).
PREFETCH_AHEAD = 8
# ...and no new message is read while those waiting hold this many bytes (a message may
# carry MAX_PARTS attachment samples, over 13 MB).
PREFETCH_BUDGET = 16 * 1024 * 1024


@dataclass(frozen=True)
class FetchedMessage:
    """One inbound message: its stable key, IMAP UID (if any), size and parsed content."""

    key: str
    uid: int | None
    size: int
    parsed: ParsedMessage


class _AlreadyGone(Exception):
    """Some of the messages were moved or deleted by someone else meanwhile."""


class Inbox(Protocol):
    """A source of inbound mail with stable keys."""

    def pending(self) -> list[str]:
        """Keys of the messages waiting to be handled."""
        ...

    def fetch(self, keys: Iterable[str]) -> Iterator[FetchedMessage]:
        """Read and parse the messages with these keys (missing ones are skipped).

        `keys` may be lazy: each is taken just before its message is read.
        """
        ...

    def fetch_raw(self, key: str, limit: int) -> bytes | None:
        """The whole raw message of `key`, or None if it is gone or above `limit` bytes.

        Only for the few messages that need it (an agent's mail, for its DKIM signature):
        everything else is read part by part.
        """
        ...

    def mark_processed(self, key: str) -> None:
        """Move a handled message out of the way; unknown keys are ignored."""
        ...

    def quarantine(self, key: str) -> None:
        """Move a message that cannot be handled to the quarantine folder, for a person."""
        ...

    def mark_processed_many(self, keys: Sequence[str]) -> None:
        """``mark_processed`` for several messages at once (one command where possible)."""
        ...

    def wait_for_mail(self, timeout: float) -> bool:
        """Block until new mail may have arrived (True) or ``timeout`` seconds pass (False).

        True is a hint, not a promise: callers run ``pending()`` again either way.
        """
        ...

    def close(self) -> None:
        """Release connections or handles."""
        ...


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
        """``maildir:<name>`` keys of the messages in new/ and cur/, sorted."""
        return sorted(f"maildir:{name}" for name in self._box.iterkeys())

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
        return _poll_for_new_keys(self.pending, timeout, MAILDIR_POLL_SECONDS)

    def close(self) -> None:
        """Nothing to release: files are opened per message."""
        self._box.close()


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
        quiet_protocol_trace(client)
        try:
            if self.security == "starttls":
                client.starttls(self._tls_context())
            client.login(self.username, self._password)
            for target in (self.processed_folder, self.quarantine_folder):
                if not client.folder_exists(target):
                    client.create_folder(target)
            selected = client.select_folder(self.folder)
        except (OSError, imaplib.IMAP4.error) as error:
            _quietly_close(client)
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
                _quietly_close(self._client)
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
            except _DROPPED:
                pass
            except imaplib.IMAP4.error as error:
                if _alive(client):
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
            except _DROPPED as error:
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
        """Read the messages of ``keys`` one after the other (one FETCH per batch of
        FETCH_BATCH for the structures, one per message for its parts)."""
        remaining = iter(keys)
        while batch := list(islice(remaining, FETCH_BATCH)):
            for key, uid, info in self._run(partial(self._overview, keys=batch)):
                parsed = self._run(partial(_read_message, uid=uid, info=info))
                size = int(info.get(b"RFC822.SIZE", 0))
                yield FetchedMessage(key=key, uid=uid, size=size, parsed=parsed)

    def _overview(
        self, client: IMAPClient, keys: Sequence[str]
    ) -> list[tuple[str, int, dict[bytes, Any]]]:
        """Structure, size and header block of the still valid, still present keys."""
        wanted = [(key, uid) for key in keys if (uid := self._uid(key)) is not None]
        found = client.fetch([uid for _, uid in wanted], _OVERVIEW) if wanted else {}
        return [(key, uid, found[uid]) for key, uid in wanted if uid in found]

    def fetch_raw(self, key: str, limit: int) -> bytes | None:
        """The whole message in one FETCH of at most `limit` + 1 bytes (None: gone or
        larger than `limit`)."""

        def read(client: IMAPClient) -> bytes | None:
            uid = self._uid(key)
            if uid is None:
                return None
            found = client.fetch([uid], [f"BODY.PEEK[]<0.{limit + 1}>"]).get(uid, {})
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
            return self._wait_for_mail(timeout)

    def _wait_for_mail(self, timeout: float) -> bool:
        where = f"IMAP {self.host}:{self.port}"
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            client = self._session()
            has_idle = client.has_capability("IDLE")
        except InboxError as error:
            log.warning("%s: cannot wait for mail: %s", where, error)
            return True
        except (*_DROPPED, imaplib.IMAP4.error) as error:
            log.warning("%s: connection lost before waiting for mail: %s", where, error)
            self._drop()
            return True
        if not has_idle:
            try:
                remaining = deadline - time.monotonic()  # connecting took some of it
                return _poll_for_new_keys(self.pending, remaining, IMAP_POLL_SECONDS)
            except InboxError as error:
                log.warning("%s: polling for mail failed: %s", where, error)
                return True
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                if _idle_once(client, min(remaining, IDLE_MAX_SECONDS)):
                    return True
            return False
        except (*_DROPPED, imaplib.IMAP4.error) as error:
            # Also for a refused IDLE or an unexpected reply: after a failed IDLE the
            # session's state is unknown, and a fresh connection is the safe way on.
            log.warning("%s: connection lost during IDLE: %s", where, error)
            self._drop()
            return True

    def close(self) -> None:
        """Log out (errors ignored: the connection may already be gone).

        Shutting down may interrupt an IDLE before DONE was sent; a LOGOUT then waits
        for an answer that never comes, so closing waits CLOSE_TIMEOUT at most.
        """
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.socket().settimeout(CLOSE_TIMEOUT)
                _quietly_close(self._client)
                self._client = None


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


def _weight(fetched: FetchedMessage) -> int:
    """Roughly the bytes a fetched message holds: its text and attachment samples."""
    parsed = fetched.parsed
    return len(parsed.text) + sum(len(a.head) + len(a.tail) for a in parsed.attachments)


def _poll_for_new_keys(pending: Callable[[], list[str]], timeout: float, step: float) -> bool:
    """Call ``pending()`` every ``step`` seconds until it shows a key it did not show first."""
    deadline = time.monotonic() + max(0.0, timeout)
    known = set(pending())
    while (remaining := deadline - time.monotonic()) > 0:
        time.sleep(min(step, remaining))
        if not set(pending()) <= known:
            return True
    return False


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


def _alive(client: IMAPClient) -> bool:
    """True when the connection still answers NOOP (the last error was the server's "NO")."""
    try:
        client.noop()
    except (*_DROPPED, imaplib.IMAP4.error):
        return False
    return True


def _quietly_close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # closing a dead connection may fail any way
        with contextlib.suppress(Exception):
            client.shutdown()


def _read_message(client: IMAPClient, uid: int, info: dict[bytes, Any]) -> ParsedMessage:
    """Build the ParsedMessage of one message from its structure and partial reads."""
    fields = parse_headers(bytes(info.get(b"BODY[HEADER]") or b""))
    collector = BodyCollector()
    structure = info.get(b"BODYSTRUCTURE")
    if not isinstance(structure, (list, tuple)):
        collector.defects.append("BodyStructureUnreadable")
        return collector.finish(fields)
    leaves, defects = walk_bodystructure(structure)
    collector.defects.extend(defects)
    unsplit = _unsplit_multipart(client, uid, structure, leaves, fields)
    if unsplit is not None:
        collector.defects.append("MultipartWithoutUsableBoundary")
        collector.add_text(*unsplit)
        return collector.finish(fields)
    requests = [item for planned in leaves for item in part_items(planned)]
    data: dict[bytes, Any] = {}
    if requests:
        data = client.fetch([uid], requests).get(uid, {})
    for planned in leaves:
        _collect(planned, data, collector)
    _read_more(client, uid, leaves, collector.attachments, data)
    return collector.finish(fields)


def _unsplit_multipart(
    client: IMAPClient,
    uid: int,
    structure: Sequence[Any],
    leaves: Sequence[PlannedLeaf],
    fields: HeaderFields,
) -> tuple[LeafPart, bytes] | None:
    """The whole body as one text leaf and its bytes, if the message is a multipart
    whose boundary is missing or never used; else None.

    Dovecot describes such a message as a multipart holding one empty text part, so
    its words would never be fetched; Python's parser (the Maildir path) reads the body
    as text instead, and so does this. A real multipart whose parts are all empty is
    told apart by its boundary appearing in the body. Costs one FETCH, only for a
    multipart whose parts are all empty.
    """
    if not (structure and isinstance(structure[0], list)) or not leaves:
        return None  # not a multipart at the top
    if any(planned.encoded_size for planned in leaves):
        return None
    headers = dict(reversed(fields.headers))  # the first of each name, as parse does
    content_type, params = split_params(headers.get("content-type", ""))
    leaf = LeafPart(
        part="TEXT",
        content_type=clean_type(content_type),
        params=params,
        transfer_encoding=headers.get("content-transfer-encoding", "").strip().lower(),
    )
    found = client.fetch([uid], [f"BODY.PEEK[TEXT]<0.{TEXT_PART_LIMIT}>"]).get(uid, {})
    body = bytes(found.get(b"BODY[TEXT]<0>") or b"")
    used = leaf.boundary and b"--" + leaf.boundary.encode("utf-8", "replace") in body
    return None if not body or used else (leaf, body)


@dataclass(frozen=True)
class _Range:
    """One range of an attachment's decoded content to read: [offset, offset + length),
    with the FETCH item for it (see ``piece_item``)."""

    index: int  # of the sample
    offset: int
    length: int
    item: str
    start: int  # encoded offset the item reads from
    decoded_start: int  # the decoded offset that is


def _read_more(
    client: IMAPClient,
    uid: int,
    leaves: Sequence[PlannedLeaf],
    samples: list[AttachmentSample],
    first: dict[bytes, Any],
) -> None:
    """Read what the heads showed is needed besides, in one FETCH for all attachments:
    the rest of a longer head for each JPEG whose SOF or EXIF block lies beyond it, and
    the pieces a HEIC's EXIF and thumbnail items are in (``parse.pieces_wanted``).

    A longer head is [0, needed) of the decoded content, as ``parse.head_of`` takes it,
    so both readers sample alike: only the part after the head is read where its
    encoded position is known (``piece_item``), else all of it again from offset 0.
    Most messages need nothing more and cost no extra command. ``first`` is the first
    FETCH's answer (the base64 line layout comes from the head read there). What the
    server does not send back stays unread.
    """
    planned_by_part = {planned.leaf.part: planned for planned in leaves}
    longer: dict[int, tuple[PlannedLeaf, int]] = {}
    ranges: list[_Range] = []
    for index, sample in enumerate(samples):
        planned = planned_by_part.get(sample.part)
        # A head longer than HEAD_BYTES was lengthened from a whole part already; a
        # head as long as the content has nothing more to read.
        if planned is None or len(sample.head) > HEAD_BYTES or sample.size <= len(sample.head):
            continue
        head_raw = bytes(first.get(f"BODY[{planned.leaf.part}]<0>".encode()) or b"")
        wanted = list(pieces_wanted(sample.head, sample.size))
        needed = more_head_needed(sample.head, LONG_HEAD_BYTES)
        if needed is not None:
            rest = (len(sample.head), min(needed, sample.size) - len(sample.head))
            if piece_item(planned, head_raw, *rest) is None:
                longer[index] = (planned, needed)
            else:
                wanted.insert(0, rest)
        for offset, length in wanted:
            item = piece_item(planned, head_raw, offset, length)
            if item is not None:
                ranges.append(_Range(index, offset, length, *item))
    items = [long_head_item(planned, needed) for planned, needed in longer.values()]
    items += [r.item for r in ranges]
    if not items:
        return
    data = client.fetch([uid], items).get(uid, {})
    for index, (planned, needed) in longer.items():
        raw = data.get(f"BODY[{planned.leaf.part}]<0>".encode())
        if raw is None:
            continue
        head = _decode_head(planned, bytes(raw), needed)[:needed]
        if len(head) > len(samples[index].head):
            samples[index] = replace(samples[index], head=head)
    for r in ranges:
        sample = samples[r.index]
        raw = bytes(data.get(f"BODY[{sample.part}]<{r.start}>".encode()) or b"")
        encoding = planned_by_part[sample.part].leaf.transfer_encoding
        piece = decode_piece(raw, encoding, r.offset - r.decoded_start, r.length)
        if piece and r.offset == len(sample.head):  # the rest of a longer head
            samples[r.index] = replace(sample, head=sample.head + piece)
        elif piece:
            samples[r.index] = replace(sample, pieces=(*sample.pieces, (r.offset, piece)))


def _collect(planned: PlannedLeaf, data: dict[bytes, Any], collector: BodyCollector) -> None:
    leaf = planned.leaf
    role = leaf_role(leaf)
    if role in ("plain", "html"):
        collector.add_text(leaf, bytes(data.get(f"BODY[{leaf.part}]<0>".encode()) or b""))
    elif role == "attachment":
        collector.attachments.append(sample_from_fetch(planned, data))


# -- partial reads of one attachment ----------------------------------------------------


def _encoded_head_length(decoded: int, transfer_encoding: str) -> int:
    """Encoded bytes to read from the start of a part for ``decoded`` bytes of content."""
    if transfer_encoding == "base64":
        # 4 chars per 3 bytes, plus line breaks: 1/16 extra allows lines down to 32 chars.
        chars = -(-decoded // 3) * 4
        return chars + chars // 16 + 64
    if transfer_encoding == "quoted-printable":
        # "=XX" triples a byte at worst; soft line breaks ("=" CR LF) add 1/16 more for
        # lines down to 48 characters (76 is usual). Without that, a part that is all
        # escapes decoded to less than the head the whole-message reader takes.
        chars = decoded * 3
        return chars + chars // 16 + 80
    return decoded


def _encoded_lengths(transfer_encoding: str) -> tuple[int, int]:
    """Encoded bytes to read for HEAD_BYTES and for TAIL_BYTES of decoded content."""
    head = _encoded_head_length(HEAD_BYTES, transfer_encoding)
    if transfer_encoding == "base64":
        # 4 more chars than the head's formula: the tail's start is realigned to a group.
        tail = -(-TAIL_BYTES // 3) * 4 + 4
        return head, tail + tail // 16 + 64
    return head, _encoded_head_length(TAIL_BYTES, transfer_encoding)


def part_items(planned: PlannedLeaf) -> list[str]:
    """The FETCH items that read what is needed of one leaf."""
    leaf, size = planned.leaf, planned.encoded_size
    role = leaf_role(leaf)
    if role in ("plain", "html"):
        return [f"BODY.PEEK[{leaf.part}]<0.{TEXT_PART_LIMIT}>"]
    if role != "attachment":
        return []
    head, tail = _encoded_lengths(leaf.transfer_encoding)
    if size <= head + tail:
        return [f"BODY.PEEK[{leaf.part}]"]
    return [f"BODY.PEEK[{leaf.part}]<0.{head}>", f"BODY.PEEK[{leaf.part}]<{size - tail}.{tail}>"]


def long_head_item(planned: PlannedLeaf, needed: int) -> str:
    """The FETCH item that reads a leaf's first ``needed`` decoded bytes (from offset 0,
    so base64 stays on 4-character groups and decodes as the first head did)."""
    length = _encoded_head_length(needed, planned.leaf.transfer_encoding)
    return f"BODY.PEEK[{planned.leaf.part}]<0.{length}>"


def piece_item(
    planned: PlannedLeaf, head_raw: bytes, offset: int, length: int
) -> tuple[str, int, int] | None:
    """The FETCH item reading decoded bytes [offset, offset + length) of a leaf, the
    encoded offset it starts at, and the decoded offset that is; None when the encoded
    position is unknown (base64 in lines of unequal width, quoted-printable).

    base64 written in lines of one width W (a multiple of 4) holds W/4*3 bytes a line,
    so the lines holding the range are known exactly and decode on their own.
    """
    leaf = planned.leaf
    encoding = leaf.transfer_encoding
    if encoding in ("", "7bit", "8bit", "binary"):
        return f"BODY.PEEK[{leaf.part}]<{offset}.{length}>", offset, offset
    if encoding != "base64":
        return None
    eol = b"\r\n" if b"\r\n" in head_raw else b"\n"
    width = _line_width(head_raw, eol)
    if not width or width % 4:
        return None
    per_line, step = width // 4 * 3, width + len(eol)
    first, last = offset // per_line, (offset + length - 1) // per_line
    start = first * step
    return f"BODY.PEEK[{leaf.part}]<{start}.{(last - first + 1) * step}>", start, first * per_line


def decode_piece(raw: bytes, encoding: str, skip: int, length: int) -> bytes:
    """``length`` decoded bytes after the first ``skip`` of what ``piece_item`` read;
    b"" when the server sent less."""
    decoded = decode_partial_base64(raw) if encoding == "base64" else raw
    piece = decoded[skip : skip + length]
    return piece if len(piece) == length else b""


def sample_from_fetch(planned: PlannedLeaf, data: dict[bytes, Any]) -> AttachmentSample:
    """An AttachmentSample from the FETCH results ``part_items`` asked for."""
    leaf, size = planned.leaf, planned.encoded_size
    whole = data.get(f"BODY[{leaf.part}]".encode())
    if whole is not None:
        return sample_of(leaf, decode_transfer(bytes(whole), leaf.transfer_encoding))
    _, tail_len = _encoded_lengths(leaf.transfer_encoding)
    head_raw = bytes(data.get(f"BODY[{leaf.part}]<0>".encode()) or b"")
    tail_raw = bytes(data.get(f"BODY[{leaf.part}]<{size - tail_len}>".encode()) or b"")
    encoding = leaf.transfer_encoding
    head = _decode_head(planned, head_raw, HEAD_BYTES)
    if encoding == "base64":
        tail = decode_base64_tail(tail_raw)
        decoded_size = base64_decoded_size(size, head_raw, tail_raw, head)
    elif encoding == "quoted-printable":
        # Start the tail after its first line break, so no "=XX" escape is split; the
        # size is estimated from the head's expansion.
        tail = decode_transfer(tail_raw[tail_raw.find(b"\n") + 1 :], encoding)
        decoded_size = size * len(head) // max(1, head_raw.rfind(b"\n") + 1)
    else:
        tail, decoded_size = tail_raw, size
    return _sample(planned, decoded_size, head[:HEAD_BYTES], tail[-TAIL_BYTES:])


def _decode_head(planned: PlannedLeaf, raw: bytes, decoded: int) -> bytes:
    """Decode the first ``len(raw)`` encoded bytes of a part, read for ``decoded`` bytes.

    A read that reached the part's end is decoded whole, as ``parse_message`` decodes
    it; a partial one is cut where decoding is safe (whole base64 groups; for
    quoted-printable, the last line break, so no "=XX" escape is split).
    """
    encoding = planned.leaf.transfer_encoding
    if _encoded_head_length(decoded, encoding) >= planned.encoded_size:
        return decode_transfer(raw, encoding)
    if encoding == "base64":
        return decode_partial_base64(raw)
    if encoding == "quoted-printable":
        return decode_transfer(raw[: raw.rfind(b"\n") + 1], encoding)
    return raw


def _sample(planned: PlannedLeaf, size: int, head: bytes, tail: bytes) -> AttachmentSample:
    leaf = planned.leaf
    return AttachmentSample(part=leaf.part, filename=leaf_filename(leaf),
                            declared_type=leaf.content_type, size=size, head=head,
                            tail=tail)  # fmt: skip


def base64_decoded_size(
    encoded_size: int, head_raw: bytes, tail_raw: bytes, decoded_head: bytes | None = None
) -> int:
    """Decoded size of a base64 part of ``encoded_size`` octets seen only at both ends.

    Encoders write fixed-width lines, so line width and end-of-line length from the head
    and the short last line from the tail give the exact character count; if the lines
    are irregular, the head's share of non-whitespace characters gives an estimate.
    ``decoded_head`` is ``decode_partial_base64(head_raw)`` if the caller has it already.
    """
    eol = b"\r\n" if b"\r\n" in head_raw else b"\n"
    body = tail_raw.rstrip()
    trailing = len(tail_raw) - len(body)
    last = len(body.rsplit(b"\n", 1)[-1].strip())
    padding = len(body) - len(body.rstrip(b"="))
    width = _line_width(head_raw, eol)
    if width is not None:
        full, rest = divmod(encoded_size - trailing - last, width + len(eol))
        if rest == 0 and 0 < last <= width:
            return (full * width + last) // 4 * 3 - padding
    if decoded_head is None:
        decoded_head = decode_partial_base64(head_raw)
    ratio = len(decoded_head) / max(1, len(head_raw))
    return int(encoded_size * ratio) - padding


def _line_width(data: bytes, eol: bytes) -> int | None:
    """The width of every complete line of ``data`` if they are all equally wide, else None.

    Same answer as ``{len(line) for line in data.split(eol)[:-1]}`` having one member, but
    without a list of a thousand lines: the ``count`` line ends must all stand exactly
    where lines of the first line's width put them (``eol`` cannot overlap itself).
    """
    count = data.count(eol)
    if not count:
        return None
    width = data.find(eol)
    step = width + len(eol)
    for offset, byte in enumerate(eol):
        if data[width + offset :: step][:count] != bytes([byte]) * count:
            return None
    return width
