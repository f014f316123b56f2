"""ImapInbox against a real (private) Dovecot, and MaildirInbox on a real Maildir."""

from __future__ import annotations

import base64
import binascii
import imaplib
import logging
import mailbox
import os
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.imapclient import IMAPlibLoggerAdapter

import mailbot.inbound.imap.reading
from mailbot.errors import InboxError
from mailbot.inbound.imap import fetching
from mailbot.inbound.imap.reading import Reader
from mailbot.inbound.imap.session import OVERVIEW_BATCH, PIPELINE, PREFETCH_AHEAD, ImapInbox
from mailbot.inbound.maildir import MaildirInbox
from mailbot.inbound.source import FetchedMessage
from mailbot.mail.parse import (
    FIRST_HEAD_BYTES,
    HEAD_BYTES,
    LONG_HEAD_BYTES,
    TAIL_BYTES,
    ParsedMessage,
    parse_message,
)
from mailbot.media.imagehead import jpeg_frame_at, more_head_needed
from mailbot.media.sniff import fingerprint, sniff
from tests.integration.dovecot import ImapAccount, free_port
from tests.phone_media import phone_heic, phone_jpeg, scene
from tests.unit.media import PHOTO_HD_SIZE, jpeg_with_long_exif

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data"


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def multipart(*parts: str, subtype: str = "mixed", boundary: str = "BOUNDARY") -> str:
    body = "".join(f"--{boundary}\n{part}\n" for part in parts)
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n{body}--{boundary}--\n'


def message(subject: str, body: str, sender: str = "Kim <Kim@Example.com>") -> bytes:
    return crlf(
        f"From: {sender}\nTo: returns@shop.example\nSubject: {subject}\n"
        f"Message-ID: <{abs(hash(subject))}@example.com>\n"
        f"Date: Tue, 24 Nov 2026 10:00:00 +0100\nMIME-Version: 1.0\n{body}"
    )


def big_video() -> bytes:
    """~3 MB that starts like a real MP4 and ends with a recognisable tail."""
    head = (DATA / "clip.mp4").read_bytes()
    middle = os.urandom(3 * 1024 * 1024)
    return head + middle + b"THE-END" * 100


PLAIN = message("=?utf-8?q?Besch=C3=A4digt?=", "Content-Type: text/plain; charset=utf-8\n\nHallo\n")
HTML_ONLY = message(
    "html", "Content-Type: text/html\n\n<p>Broken <b>mug</b></p><ul><li>a</li></ul>"
)
NESTED = message(
    "nested",
    multipart(
        multipart(
            "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding:"
            " quoted-printable\n\nSiehe gr=FC=DFe",
            "Content-Type: text/html\n\n<p>Siehe</p>",
            subtype="alternative",
            boundary="ALT",
        ),
        "Content-Type: image/jpeg\nContent-Disposition: attachment;\n"
        " filename*=utf-8''..%2FFoto%20%C3%BC.jpg\nContent-Transfer-Encoding: base64\n\n"
        + b64((DATA / "photo_640x480.jpg").read_bytes()),
        "Content-Type: message/rfc822\n\nFrom: shop@vendor.example\nSubject: order\n"
        + multipart(
            "Content-Type: text/plain\n\nforwarded words",
            'Content-Type: application/pdf; name="=?utf-8?q?Rechnung_=C3=A4.pdf?="\n'
            "Content-Transfer-Encoding: base64\n\n" + b64((DATA / "invoice.pdf").read_bytes()),
            'Content-Type: text/plain; name="notes.txt"\nContent-Transfer-Encoding:'
            " quoted-printable\n\nnote =3D 1",
            boundary="INNER",
        ),
    ),
)
BIG = big_video()
LARGE = message(
    "video attached",
    multipart(
        "Content-Type: text/plain\n\nHere is the video",
        'Content-Type: video/mp4\nContent-Disposition: attachment; filename="clip.mp4"\n'
        "Content-Transfer-Encoding: base64\n\n" + b64(BIG),
    ),
)


def assert_same(fetched: ParsedMessage, parsed: ParsedMessage) -> None:
    """Everything but defects must agree between the IMAP and the whole-message reader;
    of the attachments, everything sniffing concludes (the IMAP reader reads only as much
    of a head as that needs, mailbot/headplan.py)."""
    for name in ("message_id", "sender", "sender_name", "subject", "text", "in_reply_to",
                 "references", "date", "headers"):  # fmt: skip
        assert getattr(fetched, name) == getattr(parsed, name), name
    assert [sniff(a) for a in fetched.attachments] == [sniff(a) for a in parsed.attachments]


def inbox_for(account: ImapAccount, **options: object) -> ImapInbox:
    return ImapInbox(account.host, account.port, "none", account.user, account.password,
                     **options)  # type: ignore[arg-type]  # fmt: skip


def fetch_all(inbox: ImapInbox) -> list[FetchedMessage]:
    return list(inbox.fetch(inbox.pending()))


def test_pending_fetch_and_mark_processed(imap_account: ImapAccount) -> None:
    imap_account.append(PLAIN)
    imap_account.append(HTML_ONLY)
    inbox = inbox_for(imap_account)
    try:
        keys = inbox.pending()
        assert len(keys) == 2 and all(k.startswith(f"imap:{inbox.uidvalidity}:") for k in keys)
        fetched = list(inbox.fetch(keys))
        assert [f.parsed.subject for f in fetched] == ["Beschädigt", "html"]
        assert fetched[0].uid == int(keys[0].rsplit(":", 1)[1])
        assert fetched[0].size == len(PLAIN)
        inbox.mark_processed(keys[0])
        assert inbox.pending() == keys[1:]
    finally:
        inbox.close()
    assert imap_account.list_folder("INBOX") == [HTML_ONLY]
    assert imap_account.list_folder("Processed") == [PLAIN]


# Every part empty, as Dovecot describes a multipart whose boundary is missing; but this
# boundary is used, so the body's MIME lines are no customer text.
EMPTY_PARTS = message(
    "empty parts", multipart("Content-Type: text/plain\n", "Content-Type: text/plain\n")
)


@pytest.mark.parametrize(
    "raw", [PLAIN, HTML_ONLY, NESTED, EMPTY_PARTS], ids=["plain", "html", "nested", "empty"]
)
def test_imap_parse_equals_whole_message_parse(imap_account: ImapAccount, raw: bytes) -> None:
    imap_account.append(raw)
    inbox = inbox_for(imap_account)
    try:
        [fetched] = fetch_all(inbox)
    finally:
        inbox.close()
    expected = parse_message(raw)
    assert_same(fetched.parsed, expected)
    if raw is NESTED:
        names = [a.filename for a in expected.attachments]
        assert names == ["Foto ü.jpg", "Rechnung ä.pdf", "notes.txt"]
        assert [a.part for a in expected.attachments] == ["2", "3.2", "3.3"]


def test_large_attachment_read_partially(imap_account: ImapAccount) -> None:
    imap_account.append(LARGE)
    inbox = inbox_for(imap_account)
    try:
        [fetched] = fetch_all(inbox)
    finally:
        inbox.close()
    [sample] = fetched.parsed.attachments
    assert sample.head == BIG[:HEAD_BYTES]
    assert sample.tail == BIG[-TAIL_BYTES:]
    assert sample.size == len(BIG)  # exact: the line layout gives the character count
    assert_same(fetched.parsed, parse_message(LARGE))
    facts = sniff(sample)
    assert facts == sniff(parse_message(LARGE).attachments[0])
    assert facts.mime_type == "video/mp4"
    # The message is ~4.2 MB encoded; the reader must have taken a small fraction: a
    # 16 KiB head and 4 KiB tail are ~29 KB of base64 (the bound was 250 KB for 64 KiB).
    assert len(LARGE) > 4_000_000
    sent = sent_after_logout(imap_account)
    print(f"bytes sent by Dovecot: {sent}")
    assert sent < 60_000


def jpeg_part(data: bytes, name: str) -> str:
    return (f'Content-Type: image/jpeg\nContent-Disposition: attachment; filename="{name}"\n'
            f"Content-Transfer-Encoding: base64\n\n{b64(data)}")  # fmt: skip


# SOF beyond the first 16 KiB (~40 KiB of EXIF); read in part: needs a longer head.
LONG_EXIF = jpeg_with_long_exif()
# SOF just beyond 16 KiB, but the part is small enough to be read whole.
SHORT_LONG_EXIF = jpeg_with_long_exif((DATA / "photo_640x480.jpg").read_bytes(), 17 * 1024)
# An ordinary JPEG read in part (28 KB): its SOF is in the first 16 KiB.
PLAIN_JPEG = (DATA / "photo_1280x720.jpg").read_bytes()
PHOTOS = message(
    "photos",
    multipart(
        "Content-Type: text/plain\n\nthree photos",
        jpeg_part(LONG_EXIF, "long-exif.jpg"),
        jpeg_part(SHORT_LONG_EXIF, "small.jpg"),
        jpeg_part(PLAIN_JPEG, "plain.jpg"),
    ),
)
ONE_PHOTO = message("one photo", multipart(jpeg_part(PLAIN_JPEG, "plain.jpg")))


def record_fetches(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The item lists of every FETCH sent from now on, one list a command, pipelined
    ones in the order sent (the real FETCHes still run)."""
    requests: list[list[str]] = []
    real_fetch, real_each = fetching.fetch, fetching.fetch_each

    def recording(client: IMAPClient, uids: Sequence[int], items: Sequence[str]) -> Any:
        requests.append(list(items))
        return real_fetch(client, uids, items)

    def recording_each(client: IMAPClient, wanted: Mapping[int, Sequence[str]]) -> Any:
        requests.extend(list(items) for items in wanted.values())
        return real_each(client, wanted)

    monkeypatch.setattr(fetching, "fetch", recording)
    monkeypatch.setattr(fetching, "fetch_each", recording_each)
    return requests


def read_one(
    account: ImapAccount, raw: bytes, monkeypatch: pytest.MonkeyPatch
) -> tuple[FetchedMessage, list[list[str]]]:
    """``raw`` appended and read back by an ImapInbox, with the FETCH item lists it sent."""
    account.append(raw)
    requests = record_fetches(monkeypatch)
    inbox = inbox_for(account)
    try:
        [fetched] = fetch_all(inbox)
    finally:
        inbox.close()
    return fetched, requests


def test_jpeg_with_sof_beyond_the_head_gets_one_more_fetch(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    imap_account.append(PHOTOS)
    imap_account.append(ONE_PHOTO)
    requests = record_fetches(monkeypatch)
    inbox = inbox_for(imap_account)
    try:
        photos, one = fetch_all(inbox)
    finally:
        inbox.close()
    # The overview of both, both messages' first reads (pipelined, in order), then for
    # the two photos whose SOF lies beyond their first bytes the rest of 16 KiB, and
    # then the rest of the longer head each needs; the plain photo's first bytes hold
    # its SOF, and the other message needs nothing more.
    parts = [r for r in requests if "BODYSTRUCTURE" not in r]
    assert len(parts) == 4
    needed = more_head_needed(LONG_EXIF[:HEAD_BYTES], LONG_HEAD_BYTES)
    assert needed is not None and HEAD_BYTES < needed <= LONG_HEAD_BYTES
    full, longer = parts[2], parts[3]
    assert sorted(item.split("<")[0] for item in full) == ["BODY.PEEK[2]", "BODY.PEEK[3]"]
    assert sorted(item.split("<")[0] for item in longer) == ["BODY.PEEK[2]", "BODY.PEEK[3]"]
    # Only the rest after the head is read: base64 lines from where the head ended.
    start, length = (int(n) for n in longer[0].split("<")[1].rstrip(">").split("."))
    assert start >= HEAD_BYTES * 4 // 3 and start + length >= needed * 4 // 3
    assert not any("BODY.PEEK[4]" in item for item in full + longer)
    assert not any("BODY.PEEK[2]<0." in item for item in parts[1])

    long_exif, small, plain = photos.parsed.attachments
    assert long_exif.head == LONG_EXIF[:needed]
    assert long_exif.tail == LONG_EXIF[-TAIL_BYTES:] and long_exif.size == len(LONG_EXIF)
    small_needed = more_head_needed(SHORT_LONG_EXIF[:HEAD_BYTES], LONG_HEAD_BYTES)
    assert small_needed is not None
    assert small.head == SHORT_LONG_EXIF[:small_needed] and len(small.head) > HEAD_BYTES
    frame = jpeg_frame_at(PLAIN_JPEG)
    assert frame is not None and frame <= FIRST_HEAD_BYTES
    assert plain.head == PLAIN_JPEG[:FIRST_HEAD_BYTES]  # as far as the first read went
    assert one.parsed.attachments[0].head == PLAIN_JPEG[:FIRST_HEAD_BYTES]

    # The same samples, facts and fingerprints as the whole-message (Maildir) reader.
    assert_same(photos.parsed, parse_message(PHOTOS))
    facts = [sniff(sample) for sample in photos.parsed.attachments]
    assert facts == [sniff(sample) for sample in parse_message(PHOTOS).attachments]
    assert [(f.width, f.height) for f in facts] == [PHOTO_HD_SIZE, (640, 480), (1280, 720)]
    assert facts[0].fingerprint == fingerprint(
        len(LONG_EXIF), LONG_EXIF[:FIRST_HEAD_BYTES], LONG_EXIF[-TAIL_BYTES:]
    )


def heic_part(data: bytes, name: str, encoding: str = "base64") -> str:
    body = b64(data) if encoding == "base64" else binascii.b2a_qp(data, istext=False).decode()
    return (f'Content-Type: image/heic\nContent-Disposition: attachment; filename="{name}"\n'
            f"Content-Transfer-Encoding: {encoding}\n\n{body}")  # fmt: skip


def test_a_heic_s_exif_and_thumbnail_pieces_come_in_one_more_fetch(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = datetime(2026, 11, 20, 14, 3, 11)
    heic = phone_heic(scene(21), (2016, 1512), taken_at=taken)
    other = phone_heic(scene(22), (1600, 1200), taken_at=taken)
    raw = message(
        "two heic photos",
        multipart(
            "Content-Type: text/plain\n\nphotos", heic_part(heic, "a.heic"),
            heic_part(other, "b.heic"), heic_part(other, "c.heic", "quoted-printable"),
        ),
    )  # fmt: skip
    imap_account.append(raw)
    appended = sent_after_logout(imap_account)  # the APPEND session's own summary
    requests = record_fetches(monkeypatch)
    inbox = inbox_for(imap_account)
    try:
        [fetched] = fetch_all(inbox)
    finally:
        inbox.close()
    deadline = time.monotonic() + 5
    while (sent := imap_account.bytes_sent_to_clients() - appended) == 0:
        assert time.monotonic() < deadline, "no session summary in Dovecot's log"
        time.sleep(0.05)
    # The overview, the parts' first bytes and tails, the rest of their 16 KiB heads
    # (a HEIC's items are found there), one FETCH for both base64 photos' pieces
    # (quoted-printable gives no position for them: that photo has none).
    *_, more = requests
    assert len(requests) == 4 and len(more) == 2
    a, b, c = fetched.parsed.attachments
    assert [len(s.pieces) for s in (a, b, c)] == [1, 1, 0]
    expected = parse_message(raw).attachments
    assert (a, b) == expected[:2]  # the same samples as the whole-message reader takes
    facts = [sniff(s) for s in (a, b, c)]
    assert facts[0].phash and facts[1].phash and facts[0].phash != facts[1].phash
    assert facts[0].taken_at == taken and facts[0].camera == "Apple iPhone 13"
    assert facts[2].phash == "" and facts[2].width == 1600
    # The pieces are a few KiB of each photo, far less than the photos.
    lengths = [int(item.rsplit(".", 1)[1].rstrip(">")) for item in more]
    print(f"bytes sent by Dovecot: {sent} for {len(raw)} bytes of mail; pieces {lengths}")
    assert all(length < 16 * 1024 for length in lengths)
    assert 2 * sent < len(raw)


def test_a_phone_jpeg_with_a_long_exif_block_reads_only_the_rest_of_it(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = datetime(2026, 11, 20, 14, 3, 11)
    photo = phone_jpeg(scene(23), (2016, 1512), taken_at=taken, maker_note=40 * 1024)
    needed = more_head_needed(photo[:HEAD_BYTES], LONG_HEAD_BYTES)
    assert needed is not None and needed > 40 * 1024  # the EXIF block ends beyond the head
    raw = message("long exif", multipart(jpeg_part(photo, "IMG_0001.jpg")))
    fetched, requests = read_one(imap_account, raw, monkeypatch)
    *_, [rest] = requests
    start = int(rest.split("<")[1].split(".")[0])
    assert start >= HEAD_BYTES * 4 // 3  # the head is not read twice
    [sample] = fetched.parsed.attachments
    assert sample == parse_message(raw).attachments[0] and sample.head == photo[:needed]
    facts = sniff(sample)
    assert facts.phash and facts.taken_at == taken and facts.camera == "Apple iPhone 13"
    assert (facts.width, facts.height) == (2016, 1512)


def test_several_long_heads_come_in_one_fetch(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    qp = binascii.b2a_qp(LONG_EXIF, istext=False).decode("ascii")
    raw = message(
        "two long photos",
        multipart(
            jpeg_part(LONG_EXIF, "a.jpg"),
            'Content-Type: image/jpeg\nContent-Disposition: attachment; filename="b.jpg"\n'
            f"Content-Transfer-Encoding: quoted-printable\n\n{qp}",
        ),
    )
    fetched, requests = read_one(imap_account, raw, monkeypatch)
    *_, longer = requests
    assert sorted(item.split("<")[0] for item in longer) == ["BODY.PEEK[1]", "BODY.PEEK[2]"]
    assert len(requests) == 4  # overview, first bytes, 16 KiB heads, the longer heads
    needed = more_head_needed(LONG_EXIF[:HEAD_BYTES], LONG_HEAD_BYTES)
    assert [a.head for a in fetched.parsed.attachments] == [LONG_EXIF[:needed]] * 2
    assert [a.head for a in parse_message(raw).attachments] == [LONG_EXIF[:needed]] * 2
    # Exact for base64; for quoted-printable the decoded size is only an estimate.
    assert fetched.parsed.attachments[0] == parse_message(raw).attachments[0]
    facts = [sniff(a) for a in fetched.parsed.attachments]
    assert {(f.width, f.height) for f in facts} == {PHOTO_HD_SIZE}


def test_protocol_trace_is_formatted_only_when_its_logger_prints_it(
    imap_account: ImapAccount, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """imaplib formats a trace line (a repr of every literal) before the logger decides;
    mailbot turns that off unless ``imapclient.imaplib`` logs at DEBUG."""
    traced: list[str] = []
    original = IMAPlibLoggerAdapter.debug

    def count(self: IMAPlibLoggerAdapter, msg: object, *args: Any, **kwargs: Any) -> None:
        traced.append(str(msg))
        original(self, msg, *args, **kwargs)

    imap_account.append(PLAIN)  # with the test's own IMAPClient, traced as shipped
    monkeypatch.setattr(IMAPlibLoggerAdapter, "debug", count)
    inbox = inbox_for(imap_account)
    try:
        assert [f.parsed.text for f in fetch_all(inbox)] == ["Hallo"]
    finally:
        inbox.close()
    assert traced == []

    caplog.set_level(logging.DEBUG, logger="imapclient.imaplib")
    inbox = inbox_for(imap_account)
    try:
        fetch_all(inbox)
    finally:
        inbox.close()
    trace = "\n".join(r.getMessage() for r in caplog.records if r.name == "imapclient.imaplib")
    assert traced and "Hallo" in trace  # the text part's literal, as the trace shows it
    assert "LOGIN **REDACTED**" in trace and imap_account.password not in trace


def sent_after_logout(account: ImapAccount) -> int:
    """Bytes Dovecot sent this account (its log line is written just after LOGOUT)."""
    deadline = time.monotonic() + 5
    while (sent := account.bytes_sent_to_clients()) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sent > 0, "no session summary in Dovecot's log"
    return sent


def test_stale_uidvalidity_key_is_ignored(imap_account: ImapAccount) -> None:
    imap_account.append(PLAIN)
    inbox = inbox_for(imap_account)
    try:
        [key] = inbox.pending()
        _, validity, uid = key.split(":")
        stale = f"imap:{int(validity) + 1}:{uid}"
        inbox.mark_processed(stale)
        assert list(inbox.fetch([stale, "garbage", "imap:x:y"])) == []
        assert inbox.pending() == [key]
    finally:
        inbox.close()
    assert imap_account.list_folder("INBOX") == [PLAIN]
    assert imap_account.list_folder("Processed") == []


def test_reconnects_after_connection_dropped(imap_account: ImapAccount) -> None:
    imap_account.append(PLAIN)
    inbox = inbox_for(imap_account)
    try:
        keys = inbox.pending()
        assert inbox._client is not None
        inbox._client.logout()  # the connection is gone, as after a server restart
        assert inbox.pending() == keys
        inbox._client.shutdown()  # socket closed without LOGOUT
        [fetched] = list(inbox.fetch(keys))
        assert fetched.parsed.subject == "Beschädigt"
    finally:
        inbox.close()


def test_missing_processed_folder_is_created(imap_account: ImapAccount) -> None:
    imap_account.append(PLAIN)
    inbox = inbox_for(imap_account, processed_folder="Done")
    try:
        [key] = inbox.pending()
        inbox.mark_processed(key)
    finally:
        inbox.close()
    assert imap_account.list_folder("Done") == [PLAIN]


def test_a_folder_another_process_created_meanwhile_is_used(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two processes starting together on a new account: both find no "Done", the other
    # creates it first, and this one's CREATE is answered [ALREADYEXISTS].
    imap_account.append(PLAIN)
    real_exists = IMAPClient.folder_exists
    raced: list[str] = []

    def late(client: IMAPClient, folder: str) -> bool:
        if folder == "Done" and not raced:
            raced.append(folder)
            other = imap_account.server.client(imap_account.user)
            other.create_folder("Done")
            other.logout()
            return False  # what this process saw just before
        return bool(real_exists(client, folder))

    monkeypatch.setattr(IMAPClient, "folder_exists", late)
    inbox = inbox_for(imap_account, processed_folder="Done")
    try:
        [key] = inbox.pending()
        inbox.mark_processed(key)
    finally:
        inbox.close()
    assert raced and imap_account.list_folder("Done") == [PLAIN]


def test_login_failure_raises_inbox_error(imap_account: ImapAccount) -> None:
    inbox = ImapInbox(imap_account.host, imap_account.port, "none", imap_account.user, "wrong")
    with pytest.raises(InboxError, match=r"AUTHENTICATIONFAILED|uthentication"):
        inbox.pending()


def test_unreachable_server_raises_inbox_error() -> None:
    inbox = ImapInbox("127.0.0.1", free_port(), "none", "u", "p", timeout=2)
    with pytest.raises(InboxError, match="cannot connect"):
        inbox.pending()


def test_maildir_inbox(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    first = box.add(mailbox.MaildirMessage(PLAIN))
    box.add(mailbox.MaildirMessage(NESTED))
    inbox = MaildirInbox(tmp_path / "Maildir")
    keys = inbox.pending()
    assert len(keys) == 2 and f"maildir:{first}" in keys
    fetched = {f.key: f for f in inbox.fetch(keys)}
    assert_same(fetched[f"maildir:{first}"].parsed, parse_message(PLAIN))
    inbox.mark_processed(f"maildir:{first}")
    inbox.mark_processed("maildir:no-such-message")
    assert f"maildir:{first}" not in inbox.pending()
    processed = mailbox.Maildir(tmp_path / "Maildir" / ".processed", create=False)
    # mailbox stores (and reads back) LF line ends on this platform.
    assert [processed.get_bytes(k) for k in processed.iterkeys()] == [PLAIN.replace(b"\r\n", b"\n")]
    inbox.close()


def test_fallback_without_move_expunges_only_that_message(limited_account: ImapAccount) -> None:
    other = message("someone else's deleted mail", "Content-Type: text/plain\n\nbye\n")
    for raw in (PLAIN, HTML_ONLY, other):
        limited_account.append(raw)
    client = limited_account.server.client(limited_account.user)
    client.select_folder("INBOX")
    client.add_flags([3], [b"\\Deleted"])  # flagged by another mail client, not expunged
    client.logout()
    inbox = inbox_for(limited_account)
    try:
        keys = inbox.pending()
        assert len(keys) == 2  # the message flagged \Deleted is not pending
        assert inbox._client is not None
        uidplus = b"UIDPLUS" in inbox._client.capabilities()
        assert b"MOVE" not in inbox._client.capabilities()
        inbox.mark_processed(keys[0])
        assert inbox.pending() == keys[1:]
    finally:
        inbox.close()
    assert limited_account.list_folder("Processed") == [PLAIN]
    left = limited_account.list_folder("INBOX")
    # The other deleted message survives: no folder-wide EXPUNGE was sent.
    assert left == ([HTML_ONLY, other] if uidplus else [PLAIN, HTML_ONLY, other])


def test_a_message_another_process_moved_first_counts_as_moved(imap_account: ImapAccount) -> None:
    imap_account.append(PLAIN)
    mine, theirs = inbox_for(imap_account), inbox_for(imap_account)
    try:
        [key] = mine.pending()
        assert theirs.pending() == [key]
        theirs.mark_processed(key)  # the other process wins the race
        mine.mark_processed(key)  # no error: it is where it belongs
        assert mine.pending() == []
    finally:
        mine.close()
        theirs.close()
    assert imap_account.list_folder("Processed") == [PLAIN]


def test_many_messages_move_with_one_command_even_if_one_went_first(
    imap_account: ImapAccount,
) -> None:
    for raw in (PLAIN, HTML_ONLY, NESTED):
        imap_account.append(raw)
    mine, theirs = inbox_for(imap_account), inbox_for(imap_account)
    try:
        keys = mine.pending()
        theirs.mark_processed(keys[1])  # another process moved one of them first
        mine.mark_processed_many(keys)
        assert mine.pending() == []
    finally:
        mine.close()
        theirs.close()
    assert len(imap_account.list_folder("Processed")) == 3


def test_many_messages_move_without_the_move_extension(limited_account: ImapAccount) -> None:
    for raw in (PLAIN, HTML_ONLY):
        limited_account.append(raw)
    inbox = inbox_for(limited_account)
    try:
        inbox.mark_processed_many(inbox.pending())
        assert inbox.pending() == []
    finally:
        inbox.close()
    assert len(limited_account.list_folder("Processed")) == 2


# -- reading ahead in a thread ------------------------------------------------------------


def numbered(count: int) -> list[bytes]:
    return [message(f"number {i}", f"Content-Type: text/plain\n\nbody {i}\n") for i in range(count)]


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("imap-prefetch-")]


def test_fetch_reads_ahead_while_the_caller_works(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = OVERVIEW_BATCH + 5  # the reader crosses a batch boundary too
    for raw in numbered(count):
        imap_account.append(raw)
    read: list[int] = []
    real_read = mailbot.inbound.imap.reading.message_reader

    def counting(uid: int, info: dict[bytes, Any]) -> Reader:
        read.append(uid)
        return real_read(uid, info)

    monkeypatch.setattr(mailbot.inbound.imap.reading, "message_reader", counting)
    inbox = inbox_for(imap_account)
    try:
        keys = inbox.pending()
        subjects: list[str] = []
        moved: list[str] = []
        for fetched in inbox.fetch(keys):
            subjects.append(fetched.parsed.subject)
            if len(subjects) == 1:
                # While the caller works on the first, the next PREFETCH_AHEAD are read,
                # PIPELINE at a time.
                ahead = -(-(1 + PREFETCH_AHEAD) // PIPELINE) * PIPELINE
                deadline = time.monotonic() + 5
                while len(read) < ahead and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(0.05)
                assert len(read) == ahead
            moved.append(fetched.key)
            if len(moved) == 7:
                # The caller uses the connection while the reader is mid-batch.
                inbox.mark_processed_many(moved)
                moved = []
        inbox.mark_processed_many(moved)
        assert subjects == [f"number {i}" for i in range(count)]
        assert read == sorted(read) and len(read) == count
        assert prefetch_threads() == []
        assert inbox.pending() == []
    finally:
        inbox.close()
    assert len(imap_account.list_folder("Processed")) == count


def test_fetch_skips_keys_moved_away_meanwhile(imap_account: ImapAccount) -> None:
    for raw in numbered(4):
        imap_account.append(raw)
    mine, theirs = inbox_for(imap_account), inbox_for(imap_account)
    try:
        keys = theirs.pending()  # listed, then one is moved away before it is read
        theirs.mark_processed(keys[1])
        fetched = list(mine.fetch([*keys, "garbage", f"{keys[0]}999"]))
        assert [f.key for f in fetched] == [keys[0], *keys[2:]]
    finally:
        mine.close()
        theirs.close()


@pytest.mark.parametrize("error", [ValueError("hostile"), InboxError("server gone")])
def test_an_error_reading_one_message_comes_at_its_position(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    for raw in numbered(6):
        imap_account.append(raw)
    inbox = inbox_for(imap_account)
    real_read = mailbot.inbound.imap.reading.message_reader
    try:
        keys = inbox.pending()
        broken = int(keys[3].rsplit(":", 1)[1])

        def failing(uid: int, info: dict[bytes, Any]) -> Reader:
            if uid == broken:
                raise error
            return real_read(uid, info)

        monkeypatch.setattr(mailbot.inbound.imap.reading, "message_reader", failing)
        got: list[str] = []
        with pytest.raises(type(error)) as raised:
            for fetched in inbox.fetch(keys):
                got.append(fetched.key)
        assert raised.value is error
        assert got == keys[:3]
        assert prefetch_threads() == []
        # As Service._fetch_pending does: the rest one by one, on the same connection.
        monkeypatch.setattr(mailbot.inbound.imap.reading, "message_reader", real_read)
        rest = [f.key for key in keys[3:] for f in inbox.fetch([key])]
        assert rest == keys[3:]
    finally:
        inbox.close()


def test_stopping_early_ends_the_reader_and_leaves_the_connection_usable(
    imap_account: ImapAccount,
) -> None:
    for raw in numbered(12):
        imap_account.append(raw)
    inbox = inbox_for(imap_account)
    try:
        keys = inbox.pending()
        iterator = inbox.fetch(keys)
        assert next(iterator).key == keys[0]
        assert len(prefetch_threads()) == 1
        iterator.close()  # type: ignore[attr-defined]
        assert prefetch_threads() == []
        # The connection is in step: no half-read answer is left on it.
        assert inbox.pending() == keys
        assert [f.key for f in inbox.fetch(keys[5:])] == keys[5:]
        inbox.mark_processed_many(keys[:2])
        assert inbox.pending() == keys[2:]
    finally:
        inbox.close()


def test_a_failing_caller_ends_the_reader(imap_account: ImapAccount) -> None:
    for raw in numbered(10):
        imap_account.append(raw)
    inbox = inbox_for(imap_account)
    try:
        keys = inbox.pending()

        def handle_all() -> None:
            for fetched in inbox.fetch(keys):
                if fetched.key == keys[2]:
                    raise RuntimeError("database down")

        with pytest.raises(RuntimeError):
            handle_all()
        assert prefetch_threads() == []
        assert inbox.pending() == keys
    finally:
        inbox.close()


def test_a_group_s_fetches_are_pipelined_and_come_back_in_order(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = PIPELINE + 3
    for raw in numbered(count):
        imap_account.append(raw)
    rounds: list[int] = []
    real_each = fetching.fetch_each

    def counting(client: IMAPClient, wanted: Mapping[int, Sequence[str]]) -> Any:
        rounds.append(len(wanted))
        return real_each(client, wanted)

    monkeypatch.setattr(fetching, "fetch_each", counting)
    inbox = inbox_for(imap_account)
    try:
        subjects = [f.parsed.subject for f in inbox.fetch(inbox.pending())]
    finally:
        inbox.close()
    assert subjects == [f"number {i}" for i in range(count)]
    # Text-only messages need one read each: one round of PIPELINE commands, then 3.
    assert rounds == [PIPELINE, 3]


def test_a_connection_lost_mid_pipeline_is_read_again_on_a_new_one(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = PIPELINE + 2
    for raw in numbered(count):
        imap_account.append(raw)
    cut: list[str] = []
    real_each = fetching.fetch_each

    def cutting(client: IMAPClient, wanted: Mapping[int, Sequence[str]]) -> Any:
        if not cut and len(wanted) > 1:
            # All commands are sent; after the first answer the connection is gone.
            imap = client._imap
            real_complete = imap._command_complete

            def complete(name: str, tag: str) -> Any:
                answer = real_complete(name, tag)
                if not cut:
                    cut.append(tag)
                    imap.sock.shutdown(socket.SHUT_RDWR)
                return answer

            monkeypatch.setattr(imap, "_command_complete", complete)
        return real_each(client, wanted)

    monkeypatch.setattr(fetching, "fetch_each", cutting)
    inbox = inbox_for(imap_account)
    try:
        keys = inbox.pending()
        first = inbox._client
        fetched = list(inbox.fetch(keys))
        assert cut and inbox._client is not first  # cut mid-round, read on a new session
        assert [f.key for f in fetched] == keys  # none lost, none twice, in order
        assert [f.parsed.subject for f in fetched] == [f"number {i}" for i in range(count)]
        inbox.mark_processed_many(keys)
        assert inbox.pending() == []
    finally:
        inbox.close()


def test_a_refused_command_mid_pipeline_leaves_no_answer_behind(
    imap_account: ImapAccount,
) -> None:
    for raw in numbered(3):
        imap_account.append(raw)
    inbox = inbox_for(imap_account)
    try:
        keys = inbox.pending()
        uids = [int(key.rsplit(":", 1)[1]) for key in keys]
        client = inbox._session()
        wanted = {uids[0]: ["BODY.PEEK[1]"], uids[1]: ["NOT-AN-ITEM"], uids[2]: ["BODY.PEEK[1]"]}
        with pytest.raises(imaplib.IMAP4.error):
            fetching.fetch_each(client, wanted)
        # The answers around the refused command were read off the connection: the next
        # FETCH of the same messages gets its own answers only.
        again = fetching.fetch_each(client, {uid: ["RFC822.SIZE"] for uid in uids})
        assert [sorted(again[uid]) for uid in uids] == [[b"RFC822.SIZE", b"SEQ"]] * 3
    finally:
        inbox.close()
