"""UID FETCH with a faster reading of the server's answer than IMAPClient's.

IMAPClient lexes every response byte by byte in Python; a BODYSTRUCTURE of a claim with
a dozen attachments is ~2 KB of text, and parsing it took a third of the IMAP reader's
CPU (bench/README.md, issue 17). ``fetch`` sends the same command as
``IMAPClient.fetch`` (as UID FETCH) and returns the same answer, built from tokens one
regular expression finds: the same atoms (NIL as None, numbers as int, quoted strings
unescaped, literals as bytes, BODYSTRUCTURE as imapclient's ``BodyData``), keyed by UID,
with ``SEQ``, unsolicited answers for other messages dropped. What the lexer would reject
raises imapclient's ``ProtocolError``. tests/unit/test_fetching.py holds the two readings
side by side. ``fetch_each`` pipelines one such command per message (imap/reading.py).
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import ProtocolError
from imapclient.imapclient import join_message_ids, seq_to_parenstr_upper
from imapclient.response_types import BodyData

# One token after optional whitespace: "(" (group 1), ")" (2), a quoted string (3), a
# word, which may hold [bracketed sections] with any bytes inside (4), a single other
# byte: "%" or a control character (5); or (6) what imapclient's lexer rejects: an
# unterminated quote or bracket, or a word running into a quote.
_TOKEN = re.compile(
    rb"[ \t\r\n]*+(?:(\()|(\))"
    rb'|("(?:[^"\\]|\\.)*+")'
    rb'|((?:[^\x00-\x1f ()%"\[]|\[[^\]]*+\])++)(?!")'
    rb"|([%\x00-\x08\x0b\x0c\x0e-\x1f])|(.))",
    re.DOTALL,
)
_ESCAPED = re.compile(rb'\\([\\"])')


def fetch(client: IMAPClient, uids: Sequence[int], items: Sequence[str]) -> dict[int, Any]:
    """``client.fetch(uids, items)`` for a client with ``use_uid`` (the default)."""
    if not uids:
        return {}
    found = _answers(client, [(join_message_ids(uids), items)])
    return {uid: found[uid] for uid in uids if uid in found}


def fetch_each(client: IMAPClient, wanted: Mapping[int, Sequence[str]]) -> dict[int, Any]:
    """One UID FETCH per message, each with its own items, all sent before the first
    answer is read (pipelined: one round trip for all of them); answers by UID."""
    found = _answers(client, [(str(uid), items) for uid, items in wanted.items()])
    return {uid: found[uid] for uid in wanted if uid in found}


def _answers(client: IMAPClient, commands: list[tuple[str, Sequence[str]]]) -> dict[int, Any]:
    """Send every UID FETCH, then read every answer. A command refused (NO or BAD) raises
    once every answer is in, so no answer is left unread on the connection."""
    imap = client._imap
    tags = [imap._command("UID", "FETCH", uids, seq_to_parenstr_upper(items))
            for uids, items in commands]  # fmt: skip
    refused: imaplib.IMAP4.error | None = None
    for tag in tags:
        try:
            typ, data = imap._command_complete("FETCH", tag)
            client._checkok("fetch", typ, data)
        except imaplib.IMAP4.abort:
            raise  # the connection is gone; it is not used again
        except imaplib.IMAP4.error as error:
            refused = refused or error
    typ, data = imap._untagged_response("OK", [None], "FETCH")
    if refused is not None:
        raise refused
    return parse_fetch(data)


def parse_fetch(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    """imapclient's ``parse_fetch_response(data)`` (times not converted: mailbot asks
    for none), by message UID."""
    if data == [None]:
        return {}
    atoms = _atoms(data)
    found: dict[int, dict[bytes, Any]] = {}
    for index in range(0, len(atoms), 2):
        seq = _number(atoms[index], "invalid message ID")
        if index + 1 == len(atoms):
            raise ProtocolError("unexpected EOF")
        pairs = atoms[index + 1]
        if not isinstance(pairs, tuple):
            raise ProtocolError(f"bad response type: {pairs!r}")
        if len(pairs) % 2:
            raise ProtocolError(f"uneven number of response items: {pairs!r}")
        key, fields = seq, {b"SEQ": seq}
        for name, value in zip(pairs[::2], pairs[1::2], strict=True):
            word = name.upper()
            if word == b"UID":
                key = _number(value, "invalid UID")
            elif word in (b"BODY", b"BODYSTRUCTURE"):
                fields[word] = BodyData.create(value)
            else:
                fields[word] = value
        found.setdefault(key, {}).update(fields)
    return found


def _number(value: Any, error: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"{error}: {value!r}") from None


def _atoms(data: list[Any]) -> list[Any]:
    """The top-level atoms of imaplib's records (lines, or a line ending in a literal's
    ``{n}`` and the literal), tuples nested as the parentheses say."""
    outer: list[list[Any]] = []
    current: list[Any] = []
    for record in data:
        text, literal = record if isinstance(record, tuple) else (record, None)
        for opening, closing, quoted, word, other, bad in _TOKEN.findall(text):
            if word:
                current.append(_word(word, literal))
            elif quoted:
                quoted = quoted[1:-1]
                current.append(_ESCAPED.sub(rb"\1", quoted) if b"\\" in quoted else quoted)
            elif opening:
                outer.append(current)
                current = []
            elif closing:
                if not outer:
                    raise ProtocolError(f"unbalanced ')' in {text[:80]!r}")
                done = tuple(current)
                current = outer.pop()
                current.append(done)
            elif other:
                current.append(other)
            else:
                raise ProtocolError(f"unreadable response at {bad!r} in {text[:80]!r}")
    if outer:
        raise ProtocolError("Tuple incomplete")
    return current


def _word(word: bytes, literal: bytes | None) -> Any:
    if word == b"NIL":
        return None
    if word[:1] == b"{":
        if literal is None:
            raise ProtocolError(f"No literal corresponds to {word!r}")
        if len(literal) != _number(word[1:-1], "bad literal size"):
            raise ProtocolError(f"Expecting literal of size {word[1:-1]!r}, got {len(literal)}")
        return literal
    if word.isdigit() and (word[:1] != b"0" or len(word) == 1):
        return int(word)
    return word
