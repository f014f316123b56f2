"""DKIM for the tests: a real RSA key pair per domain, real signatures by dkimpy, and the
DNS answers dkimpy's hook (`dnsfunc`) asks for, injected where bootstrap builds the
service. Nothing of the verifier is replaced: only where its keys come from."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailbot.config import load_config
from mailbot.shell.bootstrap import build_service
from mailbot.shell.inboxpass import RunSummary
from mailbot.shell.scheduler import run_once
from mailbot.shell.service import Service

SIGNED = (b"from", b"to", b"subject", b"date", b"message-id", b"in-reply-to", b"references")


@dataclass
class SigningDomain:
    """A domain with a DKIM key published in our pretend DNS."""

    domain: str
    selector: str = "s2026"
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    @property
    def dns_name(self) -> bytes:
        return f"{self.selector}._domainkey.{self.domain}.".encode()

    def txt_record(self) -> bytes:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def sign(self, raw: bytes, headers: tuple[bytes, ...] = SIGNED, **options: object) -> bytes:
        """`raw` (CRLF line ends) with a DKIM-Signature of this domain on top."""
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        private = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        signature = dkim.sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            private,
            include_headers=list(headers),
            **options,
        )
        return bytes(signature) + raw


@dataclass
class PretendDns:
    """The TXT records of some domains' DKIM keys; dkimpy's DNS hook reads them."""

    domains: list[SigningDomain]
    asked: list[bytes] = field(default_factory=list)

    def lookup(self, name: bytes, timeout: float = 5) -> bytes | None:
        self.asked.append(name)
        for domain in self.domains:
            if name == domain.dns_name:
                return domain.txt_record()
        return None


def build(config: Path, dns: PretendDns | None = None) -> Service:
    """The service as `mailbot run` builds it, with DKIM keys from `dns`."""
    loaded = load_config(config)
    return build_service(loaded, dkim_lookup=dns.lookup) if dns else build_service(loaded)


def run_once_with(service: Service) -> RunSummary:
    """`mailbot run --once` with this service; its connections closed after."""
    try:
        return run_once(service)
    finally:
        service.inbox.close()
        service.store.close()
