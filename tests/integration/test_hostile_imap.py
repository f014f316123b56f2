"""The hostile corpus (tests/data/hostile) read part by part over IMAP from a real Dovecot.

The IMAP reader must survive every file, return as bounded and sanitised a
ParsedMessage as parse_message does, and agree with it except where Dovecot itself
reads the bytes differently (listed in DOVECOT_DIFFERS).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from mailbot.inbound.imap import ImapInbox
from mailbot.mail.parse import parse_message
from tests.integration.dovecot import ImapAccount
from tests.unit.mail_invariants import assert_sane

pytestmark = pytest.mark.integration

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
# Dovecot refuses to store a zero-byte message, so empty.eml cannot take part.
CORPUS = sorted(
    p for p in HOSTILE.iterdir() if p.name.endswith((".eml", ".eml.gz")) and p.stat().st_size
)
DOVECOT_DIFFERS = {
    # Dovecot sends a NUL byte as 0x80.
    "body_nul_bytes.eml", "charset_nul.eml", "filename_control_chars.eml",
    "filename_rfc2231.eml", "from_nul.eml", "header_nul_bytes.eml",
    # Dovecot nests a repeated boundary differently from Python's email parser.
    "duplicate_boundaries.eml",
    # A bare CR: Dovecot's header block differs, and so does the synthetic Message-ID.
    "line_endings_bare_cr.eml", "subject_bare_cr.eml", "subject_crlf_injection.eml",
}  # fmt: skip
FIELDS = ("message_id", "sender", "sender_name", "subject", "text", "in_reply_to",
          "references", "date", "headers", "attachments")  # fmt: skip


def read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_imap_reader_survives_hostile_mail(imap_account: ImapAccount, path: Path) -> None:
    raw = read(path)
    imap_account.append(raw)
    inbox = ImapInbox(imap_account.host, imap_account.port, "none", imap_account.user,
                      imap_account.password)  # fmt: skip
    try:
        [fetched] = list(inbox.fetch(inbox.pending()))
    finally:
        inbox.close()
    assert_sane(fetched.parsed, raw)
    if path.name not in DOVECOT_DIFFERS:
        whole = parse_message(raw)
        assert [n for n in FIELDS if getattr(fetched.parsed, n) != getattr(whole, n)] == []


def test_known_differences_are_corpus_files() -> None:
    assert {p.name for p in CORPUS} >= DOVECOT_DIFFERS
