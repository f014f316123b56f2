"""A private Dovecot IMAP server for the integration tests, run by the current user.

Everything (config, sockets, state, log, mail) lives in one temp directory and the
server listens on a free loopback port, so tests never touch a system Dovecot.
Users come from a passwd-file written before start-up with a pool of accounts (Dovecot
notices passwd-file changes only by mtime, too coarse to add users on the fly): each
test takes the next unused account and so starts with an empty mailbox.
"""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import time
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "secret-test-pw"
USER_POOL = 200

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
first_valid_gid = 0
mail_uid = {uid}
mail_gid = {gid}
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
  default_fields = uid={uid} gid={gid} home={root}/home/%u
}}
# The passwd-file sits in a private temp dir only its owner can enter.
service auth {{
  user = {owner}
}}
service auth-worker {{
  user = {owner}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class DovecotServer:
    """One running private Dovecot; ``new_user()`` gives a fresh, empty account."""

    host = "127.0.0.1"

    def __init__(self, root: Path, extra_config: str = "") -> None:
        self.root = root
        self.extra_config = extra_config
        self.port = free_port()
        self.password = PASSWORD
        self.user = ""
        self._pool: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> str:
        """Dovecot's log so far (for failure messages)."""
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else "(no log written)"

    def start(self, timeout: float = 15.0) -> None:
        """Write the config, start Dovecot and wait for its IMAP greeting."""
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._pool = [f"user{n:03d}" for n in range(USER_POOL)]
        (self.root / "users").write_text(
            "".join(f"{name}:{{PLAIN}}{self.password}::::::\n" for name in self._pool)
        )
        # Dovecot refuses root for its login processes and for mail access: as root,
        # use the accounts the Debian package created; otherwise everything runs as us.
        me = pwd.getpwuid(os.getuid()).pw_name
        login, internal = ("dovenull", "dovecot") if os.getuid() == 0 else (me, me)
        mail = pwd.getpwnam(internal)
        if os.getuid() == 0:
            self.root.chmod(0o711)  # the mail user must pass through to mail/ and home/
            for sub in ("mail", "home"):
                os.chown(self.root / sub, mail.pw_uid, mail.pw_gid)
        config = _CONFIG.format(root=self.root, port=self.port, uid=mail.pw_uid,
                                gid=mail.pw_gid, login=login, internal=internal,
                                owner=me)  # fmt: skip
        conf = self.root / "dovecot.conf"
        conf.write_text(config + self.extra_config + "\n")
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = self._process.stdout.read() if self._process.stdout else b""
                raise RuntimeError(f"dovecot exited: {output.decode(errors='replace')}")
            if self._greets():
                self.user = self.new_user()
                return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not greet on port {self.port} within {timeout}s")

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as conn:
                return conn.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop Dovecot (terminate, then kill if it lingers)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout:
            self._process.stdout.close()
        self._process = None

    def new_user(self) -> str:
        """The name of an account nobody has used yet (its mailbox is empty)."""
        if not self._pool:
            raise RuntimeError(f"all {USER_POOL} test accounts are used; raise USER_POOL")
        return self._pool.pop(0)

    def client(self, user: str | None = None) -> IMAPClient:
        """A logged-in IMAPClient (plain, no TLS) for ``user`` (default: current user)."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(user or self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX", user: str | None = None) -> None:
        """Store ``raw`` in ``folder`` (created if missing)."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)
        finally:
            client.logout()

    def list_folder(self, folder: str, user: str | None = None) -> list[bytes]:
        """The raw messages in ``folder`` ([] if it does not exist)."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [fetched[uid][b"BODY[]"] for uid in sorted(fetched)]
        finally:
            client.logout()


class ImapAccount:
    """One fresh account on the test server, with helpers that act as that user."""

    def __init__(self, server: DovecotServer, user: str) -> None:
        self.server = server
        self.host = server.host
        self.port = server.port
        self.user = user
        self.password = server.password

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Store ``raw`` in ``folder`` of this account."""
        self.server.append(raw, folder, user=self.user)

    def list_folder(self, folder: str) -> list[bytes]:
        """The raw messages in ``folder`` of this account."""
        return self.server.list_folder(folder, user=self.user)

    def bytes_sent_to_clients(self) -> int:
        """Sum of ``out=`` over this user's finished IMAP sessions, from Dovecot's log."""
        total = 0
        for line in self.server.log.splitlines():
            if f"imap({self.user})" in line and "Disconnected" in line and " out=" in line:
                total += int(line.split(" out=", 1)[1].split()[0])
        return total
