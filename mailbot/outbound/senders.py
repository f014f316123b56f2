"""Hands composed emails to a mail server (SMTP) or to a directory of .eml files."""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
import tempfile
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Protocol

from mailbot.errors import SendError


class DeliveryError(SendError):
    """A send failed. ``permanent`` is True when retrying cannot help (a 5xx answer)."""

    def __init__(self, message: str, *, permanent: bool, code: int | None = None) -> None:
        self.permanent = permanent
        self.code = code
        super().__init__(message)


class Sender(Protocol):
    """Anything that can hand one raw email to its recipient's server."""

    def send(self, raw: bytes, to_addr: str, from_addr: str) -> None:
        """Send ``raw`` to ``to_addr``; raise SendError (DeliveryError) on failure."""
        ...


def _response_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {text}".strip()


class SmtpSender:
    """SMTP submission over one connection kept open across sends.

    ``security`` is ``"ssl"`` (implicit TLS, usually port 465), ``"starttls"``
    (usually 587) or ``"none"`` (local relays and tests only).
    """

    def __init__(
        self,
        host: str,
        port: int,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        verify_tls: bool = True,
    ) -> None:
        if security not in ("ssl", "starttls", "none"):
            raise ValueError(f"security must be ssl, starttls or none, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self._username, self._password = username, password
        self._timeout = timeout
        self._tls = ssl.create_default_context()
        if not verify_tls:
            self._tls.check_hostname = False
            self._tls.verify_mode = ssl.CERT_NONE
        self._conn: smtplib.SMTP | None = None

    def _where(self) -> str:
        return f"SMTP {self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        conn: smtplib.SMTP
        if self.security == "ssl":
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout, context=self._tls)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        try:
            conn.ehlo()
            if self.security == "starttls":
                conn.starttls(context=self._tls)
                conn.ehlo()
            if self._username:
                conn.login(self._username, self._password or "")
        except BaseException:
            with contextlib.suppress(Exception):
                conn.close()
            raise
        return conn

    def send(self, raw: bytes, to_addr: str, from_addr: str) -> None:
        """Send one email; reconnects once when the server dropped the idle connection."""
        try:
            try:
                self._transact(raw, to_addr, from_addr)
            except smtplib.SMTPServerDisconnected:
                self.close()
                self._transact(raw, to_addr, from_addr)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            self._fail(f"recipient {to_addr} refused: {_response_text(code, reply)}", code)
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are a configuration problem, not this email's: keep it.
            self.close()
            raise DeliveryError(
                f"{self._where()}: login as {self._username} failed: "
                f"{_response_text(exc.smtp_code, exc.smtp_error)}",
                permanent=False,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._fail(_response_text(exc.smtp_code, exc.smtp_error), exc.smtp_code)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(
                f"{self._where()}: {exc or type(exc).__name__}", permanent=False
            ) from exc

    def _transact(self, raw: bytes, to_addr: str, from_addr: str) -> None:
        if self._conn is None:
            self._conn = self._connect()
        options = [] if (to_addr + from_addr).isascii() else ["SMTPUTF8"]
        self._conn.sendmail(from_addr, [to_addr], raw, mail_options=options)

    def _fail(self, text: str, code: int) -> None:
        if code == 421 or code < 0:
            self.close()  # the server is closing the connection
        else:
            # smtplib leaves the transaction half open after a refusal.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                if self._conn is not None:
                    self._conn.rset()
        raise DeliveryError(f"{self._where()}: {text}", permanent=500 <= code < 600, code=code)

    def close(self) -> None:
        """Say QUIT (if still connected) and forget the connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                conn.quit()
            with contextlib.suppress(Exception):
                conn.close()


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


class DirectorySender:
    """Writes each email to ``<dir>/<UTC timestamp>-<message-id>.eml`` (for demos and tests).

    Files appear atomically (temp file + rename), so a reader never sees half an email.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, raw: bytes, to_addr: str, from_addr: str) -> None:
        """Write ``raw`` as a new .eml file; raise DeliveryError when that fails."""
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        msgid = _UNSAFE.sub("_", str(headers["Message-ID"] or "no-id").strip("<> "))[:120]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.path / f"{stamp}-{msgid}.eml"
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(raw)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise DeliveryError(f"cannot write {target}: {exc}", permanent=False) from exc
