"""TLS certificates are verified unless the config says otherwise (real Dovecot with a
self-signed certificate)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbot.errors import InboxError
from mailbot.inbound.imap import ImapInbox
from tests.integration.conftest import _running_server
from tests.integration.dovecot import DovecotServer


@pytest.fixture(scope="module")
def tls_server() -> Iterator[DovecotServer]:
    keys = Path(tempfile.mkdtemp(prefix="mailbot-tls-"))
    keys.chmod(0o755)
    cert, key = keys / "cert.pem", keys / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    key.chmod(0o644)
    yield from _running_server(f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}\n")
    shutil.rmtree(keys, ignore_errors=True)


def _inbox(server: DovecotServer, verify: bool) -> ImapInbox:
    user = server.new_user()
    return ImapInbox(server.host, server.port, "starttls", user, server.password, verify_tls=verify)


def test_a_self_signed_certificate_is_refused_by_default(tls_server: DovecotServer) -> None:
    inbox = _inbox(tls_server, verify=True)
    with pytest.raises(InboxError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        inbox.pending()
    inbox.close()


def test_verification_off_only_when_the_config_says_so(tls_server: DovecotServer) -> None:
    inbox = _inbox(tls_server, verify=False)
    assert inbox.pending() == []
    inbox.close()
