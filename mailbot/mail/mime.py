"""MIME leaf parts as both readers see them (the IMAP structure walk is
mailbot/inbound/imap/bodystructure.py).

A ``LeafPart`` is one non-multipart body part described only by what an IMAP server's
BODYSTRUCTURE also reports (type, parameters, disposition, transfer encoding). The
whole-message parser and the IMAP reader both build LeafParts and then decide with the
same functions here what a part is (``leaf_role``), what it is called
(``leaf_filename``) and how its bytes decode, so their results agree.
"""

from __future__ import annotations

import binascii
import codecs
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Literal

# Parts of one message looked at, and nesting depth followed; beyond them a defect
# is recorded, so a hostile message cannot make either reader walk forever.
MAX_PARTS = 200
MAX_DEPTH = 10
FILENAME_LIMIT = 200

Params = tuple[tuple[str, str], ...]
Role = Literal["plain", "html", "attachment", "ignore"]

_TOKEN_END = re.compile(r'[\s()<>@,;:\\"/\[\]]')
# What may stand in a MIME type (RFC 2045 token characters and the slash).
_NOT_TYPE = re.compile(r"[^a-z0-9!#$%&'*+\-.^_`{|}~/]")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# Every other byte (line breaks, whitespace, junk), deleted before decoding. A
# bytes.translate deletion table: about ten times faster than a regex on 64 KiB.
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_BASE64_ALPHABET)))
# Control, format (bidi marks and overrides, zero-width, BOM, tags) and line/paragraph
# separator characters: they can hide a name's real extension or break a line. By
# category, as the former list of ranges let U+061C, U+200B, U+2028, U+FEFF… through.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# One RFC 2047 encoded word. Neither field may contain "?", so a match never scans past
# the third "?" after its start: linear, unlike email.header's pattern (see decode_words).
_ENCODED_WORD = re.compile(r"=\?([^?]*)\?([bBqQ])\?([^?]*)\?=")


@dataclass(frozen=True)
class LeafPart:
    """One non-multipart body part, described as IMAP BODYSTRUCTURE describes it."""

    part: str
    content_type: str
    params: Params = ()
    disposition: str = ""
    disposition_params: Params = ()
    transfer_encoding: str = ""
    # Part number of the enclosing multipart/alternative ("0" for the top), or "".
    alternative: str = ""

    @property
    def charset(self) -> str:
        """The part's declared charset, or "" when none."""
        return _param(self.params, "charset").strip().strip('"').lower()

    @property
    def boundary(self) -> str:
        """A multipart's declared boundary, or "" when none."""
        return _param(self.params, "boundary")


def split_params(value: str) -> tuple[str, Params]:
    """Split a Content-Type/Disposition value into its main token and raw parameters.

    Parameter names are lower-cased, quoted values unquoted. An unquoted value ends at
    whitespace or a MIME special other than "=" and "?", as Dovecot reads it, so both
    readers agree on sloppy headers. RFC 2231/2047 decoding is left to leaf_filename.
    """
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        current.append(char)
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            items.append("".join(current[:-1]))
            current = []
    items.append("".join(current))
    params: list[tuple[str, str]] = []
    for item in items[1:]:
        key, sep, raw = item.partition("=")
        if sep and key.strip():
            params.append((key.strip().lower(), _param_value(raw.strip())))
    return items[0].strip().lower(), tuple(params)


def _param_value(raw: str) -> str:
    """The value of one parameter: a quoted string unescaped, or a token."""
    if not raw.startswith('"'):
        return _TOKEN_END.split(raw, maxsplit=1)[0]
    value: list[str] = []
    escaped = False
    for char in raw[1:]:
        if escaped:
            value.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            break
        else:
            value.append(char)
    return "".join(value)


def _param(params: Params, name: str) -> str:
    for key, value in params:
        if key == name:
            return value
    return ""


def _rfc2231(params: Params, name: str) -> str | None:
    """Join RFC 2231 continuations ``name*``/``name*0*``/``name*1``…, or None if absent."""
    pieces: dict[int, tuple[str, bool]] = {}
    for key, value in params:
        if key == f"{name}*":
            pieces[0] = (value, True)
        elif key.startswith(f"{name}*"):
            index, star, _ = key[len(name) + 1 :].partition("*")
            # isdecimal, not isdigit: int("²") raises although "²".isdigit().
            if index.isdecimal() and len(pieces) < 100:
                pieces[int(index)] = (value, star == "*")
    if not pieces:
        return None
    charset = "utf-8"
    chunks: list[bytes] = []
    for position, (_, (value, encoded)) in enumerate(sorted(pieces.items())):
        if encoded and position == 0 and value.count("'") >= 2:
            charset, _, value = value.split("'", 2)
        if encoded:
            chunks.append(urllib.parse.unquote_to_bytes(value))
        else:
            chunks.append(value.encode("utf-8", "surrogateescape"))
    return decode_bytes(b"".join(chunks), charset)


def decode_bytes(data: bytes, charset: str) -> str:
    """Decode ``data`` in ``charset``; unknown charsets fall back to UTF-8, then cp1252."""
    name = charset.strip().strip('"').lower()
    # Unlabelled and "us-ascii" 8-bit text is UTF-8 far more often than not, and a
    # server reports a missing charset as us-ascii: treat both alike.
    if name and name not in ("us-ascii", "ascii"):
        try:
            return data.decode(name, errors="replace")
        except Exception:  # LookupError, or a non-text codec like rot13
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def charset_known(charset: str) -> bool:
    """True when ``charset`` is empty or a text codec Python has."""
    name = charset.strip().strip('"').lower()
    if not name:
        return True
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        return False
    # rot13, base64, hex… are codecs too, but not text encodings.
    return bool(getattr(info, "_is_text_encoding", True))


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in ``value``; a broken word is shown as it came.

    Word by word rather than with email.header.decode_header, whose pattern rescans to
    the end of the value from every "=?" that is not closed: 200 KB of "=?a?q?x" took
    minutes. Whitespace between two decoded words is dropped (RFC 2047 6.2); an unknown
    charset falls back as in decode_bytes.
    """
    if "=?" not in value:
        return value
    parts: list[str] = []
    pos, last_decoded = 0, False
    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        word = _decode_word(*match.groups())
        if not (last_decoded and word is not None and gap.isspace()):
            parts.append(gap)
        parts.append(match.group(0) if word is None else word)
        pos, last_decoded = match.end(), word is not None
    parts.append(value[pos:])
    return "".join(parts)


def _decode_word(charset: str, encoding: str, text: str) -> str | None:
    """One encoded word's text, or None when it does not decode."""
    try:
        raw = text.encode("ascii")
        if encoding in "qQ":
            data = binascii.a2b_qp(raw, header=True)
        else:  # missing padding is common and harmless
            data = binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
    # RFC 2231 section 5: "charset*language".
    return decode_bytes(data, charset.partition("*")[0])


def sanitise_filename(name: str) -> str:
    """Basename only, no invisible characters, at most FILENAME_LIMIT characters."""
    # Printable ASCII is its own NFC and has no character of those categories.
    if not (name.isascii() and name.isprintable()):
        name = unicodedata.normalize("NFC", name)
        name = "".join(c for c in name if unicodedata.category(c) not in _INVISIBLE_CATEGORIES)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in (".", ".."):
        return ""
    if len(name) > FILENAME_LIMIT:
        stem, dot, ext = name.rpartition(".")
        # Keep a short extension: it is what a reader would look at.
        if dot and 0 < len(ext) <= 10:
            name = stem[: FILENAME_LIMIT - len(ext) - 1] + "." + ext
        else:
            name = name[:FILENAME_LIMIT]
    return name


def leaf_filename(leaf: LeafPart) -> str:
    """The part's sanitised file name: disposition ``filename``, else type ``name``."""
    for params, name in ((leaf.disposition_params, "filename"), (leaf.params, "name")):
        value = _rfc2231(params, name)
        if value is None:
            value = _param(params, name)
            raw = value.encode("utf-8", "surrogateescape")
            value = decode_words(decode_bytes(raw, "utf-8"))
        value = sanitise_filename(value)
        if value:
            return value
    return ""


# Parts of delivery and disposition reports: read as text, so a bounce names the
# recipient, the error and our original Message-ID (it is then joined to its ticket).
REPORT_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "text/rfc822-headers",
        "message/global-headers",
    }
)


def leaf_role(leaf: LeafPart) -> Role:
    """Whether a leaf is body text (plain/html), an attachment, or neither."""
    if leaf.content_type in REPORT_TYPES:
        return "plain"
    if leaf.disposition == "attachment" or leaf_filename(leaf):
        return "attachment"
    if leaf.content_type == "text/plain" or leaf.content_type.startswith("multipart/"):
        # A multipart without usable boundary is read as text so its words are not lost.
        return "plain"
    if leaf.content_type == "text/html":
        return "html"
    if leaf.content_type.startswith("text/"):
        return "ignore"
    return "attachment"


def decode_partial_base64(data: bytes) -> bytes:
    """Decode the start of a base64 stream: whitespace ignored, cut to 4-char groups."""
    clean = data.translate(None, _NOT_BASE64)
    return _a2b(clean[: len(clean) // 4 * 4])


def decode_base64_tail(data: bytes) -> bytes:
    """Decode the end of a base64 stream: whitespace ignored, aligned from the end.

    A base64 stream ends on a 4-character group (padding included), so counting
    groups back from the end realigns a tail read that starts anywhere.
    """
    clean = data.translate(None, _NOT_BASE64)
    return _a2b(clean[len(clean) % 4 :])


def _a2b(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return b""


def decode_transfer(payload: bytes, transfer_encoding: str) -> bytes:
    """Undo a Content-Transfer-Encoding; unknown encodings pass through unchanged."""
    encoding = transfer_encoding.strip().lower()
    if encoding == "base64":
        return decode_partial_base64(payload)
    if encoding == "quoted-printable":
        try:
            return binascii.a2b_qp(payload)
        except (binascii.Error, ValueError):
            return payload
    return payload


def clean_type(value: str) -> str:
    """A declared MIME type as plain token characters: the sender's bytes, but never a
    control or other character that could break a line where it is shown."""
    return _NOT_TYPE.sub("", value.lower())
