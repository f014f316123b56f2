"""Finding things in customer text: order numbers and cloud storage links."""

from __future__ import annotations

import re
from collections.abc import Iterable


def find_order_number(subject: str, text: str, pattern: re.Pattern[str]) -> str | None:
    """The first order number in the subject, else in the text, else None."""
    for source in (subject, text):
        match = pattern.search(source)
        if match:
            return match.group(1).upper()
    return None


_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)


def find_links(text: str, hosts: Iterable[str]) -> tuple[str, ...]:
    """Distinct http(s) links in `text` whose host is one of `hosts` or a subdomain."""
    wanted = tuple(hosts)
    found: list[str] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
        host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()  # drop user info and port
        if any(host == h or host.endswith("." + h) for h in wanted) and url not in found:
            found.append(url)
    return tuple(found)
