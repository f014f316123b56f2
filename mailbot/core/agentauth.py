"""Is this mail really from an agent? A From: header proves nothing, so a command counts
only with proof: the per-ticket token that only mail to the agents carries, or a passing
DKIM signature of the agent's domain vouched for by our own mail server. Pure."""

from __future__ import annotations

import hashlib
import hmac
import re

from mailbot.core.model import InboundMessage

TOKEN_CHARS = 20
_TOKEN = re.compile(r"(?<![\w])key:([0-9a-f]{" + str(TOKEN_CHARS) + r"})(?![\w])")
_COMMENT = re.compile(r"\([^()]*\)")


def agent_token(secret: str, reference: str) -> str:
    """The token of ticket `reference`: an HMAC only the holder of `secret` can make."""
    digest = hmac.new(secret.encode(), f"mailbot-agent:{reference}".encode(), hashlib.sha256)
    return digest.hexdigest()[:TOKEN_CHARS]


def subject_tag(reference: str, secret: str | None) -> str:
    """The subject tag of mail to agents: the ticket reference and, with a secret, its token."""
    return f"[{reference} key:{agent_token(secret, reference)}]" if secret else f"[{reference}]"


def agent_proof(
    message: InboundMessage,
    reference: str,
    secret: str | None,
    trusted_authserv_id: str | None,
) -> str | None:
    """How the mail proves it comes from its agent sender: "token", "dkim", or None."""
    if secret:
        expected = agent_token(secret, reference)
        if any(hmac.compare_digest(m.group(1), expected) for m in _TOKEN.finditer(message.subject)):
            return "token"
    if trusted_authserv_id and message.sender and "@" in message.sender:
        # Only the topmost header: our server adds it last; lower ones may be forged.
        results = message.header("authentication-results")
        domain = message.sender.rsplit("@", 1)[1].lower()
        if results and dkim_passes(results, trusted_authserv_id, domain):
            return "dkim"
    return None


def dkim_passes(results: str, authserv_id: str, domain: str) -> bool:
    """True when an Authentication-Results value (RFC 8601) from `authserv_id` reports a
    passing DKIM signature of `domain`."""
    parts = [p.strip() for p in _COMMENT.sub(" ", results).split(";")]
    if not parts or not parts[0] or parts[0].split()[0].lower() != authserv_id.lower():
        return False
    for part in parts[1:]:
        words = part.lower().split()
        if not words or words[0] != "dkim=pass":
            continue
        for word in words[1:]:
            key, _, value = word.partition("=")
            if key == "header.d" and value == domain:
                return True
            if key == "header.i" and value.rsplit("@", 1)[-1] == domain:
                return True
    return False
