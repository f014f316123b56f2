"""DKIM signatures verified by mailbot itself (dkimpy, keys from DNS by dnspython).

Used only for mail whose From is an agent's address, on the whole raw message (the
inbox fetches it for such mail alone). A signature counts only if it cannot be bent
to another meaning:

- it is valid (dkimpy: body hash, header hash, a key of at least 1024 bits from DNS);
- it signs From and Subject, and the message has exactly one of each (DKIM verifies
  the last instance of a header; mailbot reads the first, so a second one prepended
  by a forger would be read but not verified);
- it covers the whole body (no `l=`, which would let anyone append commands).

The core gets the signing domains and decides what they prove (core/agentauth.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import dkim
from dkim.dnsplug import get_txt

log = logging.getLogger("mailbot")

# dkimpy's DNS hook: dnsfunc(name: bytes, timeout=seconds) -> the TXT record or None.
TxtLookup = Callable[..., bytes | None]
# More signatures than this on one mail are not looked at (each costs a DNS lookup).
MAX_SIGNATURES = 5
_SINGLE = (b"from", b"subject")


@dataclass(frozen=True)
class DkimVerifier:
    """Verifies the DKIM signatures of raw messages; `lookup` fetches the keys."""

    lookup: TxtLookup = get_txt
    dns_timeout: float = 5.0

    def signing_domains(self, raw: bytes) -> tuple[str, ...]:
        """The d= domains (lower case) of the signatures that vouch for this message's
        From, Subject and whole body (see the module docstring)."""
        try:
            checker = dkim.DKIM(raw, timeout=self.dns_timeout)
        except dkim.DKIMException as exc:
            log.info("DKIM: message not readable: %s", exc)
            return ()
        names = [name.lower() for name, _ in checker.headers]
        if any(names.count(single) != 1 for single in _SINGLE):
            return ()
        signatures = names.count(b"dkim-signature")
        domains: list[str] = []
        for index in range(min(signatures, MAX_SIGNATURES)):
            domain = self._verified(checker, index)
            if domain and domain not in domains:
                domains.append(domain)
        return tuple(domains)

    def _verified(self, checker: dkim.DKIM, index: int) -> str | None:
        try:
            valid = checker.verify(idx=index, dnsfunc=self.lookup)
        except dkim.DKIMException as exc:
            log.info("DKIM: signature %d does not verify: %s", index, exc)
            return None
        fields = checker.signature_fields or {}
        signed = set(checker.include_headers or ())
        if not valid or b"l" in fields or not signed.issuperset(_SINGLE):
            return None
        domain: bytes = fields.get(b"d", b"")
        return domain.decode("ascii", "replace").lower() or None
