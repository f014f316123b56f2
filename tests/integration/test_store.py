"""Store against real SQLite (tmp file) and real PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from mailbot.core.model import (
    AttachmentFacts,
    Decision,
    InboundMessage,
    Order,
    Reply,
    Scenario,
    Ticket,
    TicketState,
)
from mailbot.outbound.compose import compose
from mailbot.outbound.render import RenderedMail
from mailbot.store import AlreadyRecorded, Store
from mailbot.store.models import build_models
from mailbot.store.rma import is_valid_rma
from tests.integration.recording import record

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.create_tables()
    s.create_tables()  # idempotent
    yield s
    s.close()


def message(n: int = 1, **kw: object) -> InboundMessage:
    fields: dict[str, object] = dict(
        message_id=f"<in{n}@customer.example>",
        sender="ana@example.com",
        subject="Broken board",
        text="It arrived broken.",
        received_at=NOW,
        attachments=(AttachmentFacts("a.jpg", "image/jpeg", "image/jpeg", 1234, "fp1", 640, 480),),
    )
    fields.update(kw)
    return InboundMessage(**fields)  # type: ignore[arg-type]


def decision(issue_rma: bool = True, replies: int = 1, **kw: object) -> Decision:
    fields: dict[str, object] = dict(
        state=TicketState.APPROVED,
        scenario=Scenario.QUALITY_DEFECT,
        outcome="approved",
        reasons=("evidence complete", "within window"),
        issue_rma=issue_rma,
        replies=tuple(
            Reply("customer/rma_issued", "ana@example.com", {"x": 1}) for _ in range(replies)
        ),
        ship_by=NOW + timedelta(days=14),
        order_id="100201",
    )
    fields.update(kw)
    return Decision(**fields)  # type: ignore[arg-type]


def fake_compose(ticket: Ticket, reply: Reply, message_id: str) -> bytes:
    return (
        f"From: returns@shop.example\r\nTo: {reply.to}\r\nMessage-ID: {message_id}\r\n"
        f"Subject: RMA {ticket.rma} [{ticket.reference}]\r\n\r\nbody\r\n"
    ).encode()


def failing_compose(ticket: Ticket, reply: Reply, message_id: str) -> bytes:
    raise RuntimeError("template exploded")


def test_record_writes_everything(store: Store) -> None:
    ticket = record(store, "imap:1:1", message(), None, decision(), fake_compose, "r1", NOW)
    assert ticket.id is not None and ticket.reference == f"T-{ticket.id:06d}"
    assert ticket.rma is not None and is_valid_rma(ticket.rma)
    assert ticket.state is TicketState.APPROVED and ticket.customer_email == "ana@example.com"
    assert ticket.created_at == NOW and ticket.ship_by == NOW + timedelta(days=14)
    assert store.inbound.is_processed("imap:1:1") and not store.inbound.is_processed("imap:1:2")
    [entry] = store.audit.timeline(ticket.id)
    assert (entry.actor, entry.outcome, entry.rules_version) == ("bot", "approved", "r1")
    assert entry.reasons == ("evidence complete", "within window")
    assert entry.detail["rma"] == ticket.rma and entry.at == NOW
    msgs = store.db.rows(
        'SELECT "direction", "message_id", "subject" FROM "messages" WHERE "ticket_id" = ?'
        ' ORDER BY "id"',
        [ticket.id],
    )
    assert [direction for direction, _, _ in msgs] == ["in", "out"]
    assert msgs[1][2] == f"RMA {ticket.rma} [{ticket.reference}]"
    [out] = store.outbox.statuses()
    assert out.status == "pending" and out.message_id.endswith("@shop.example>")
    assert out.message_id == msgs[1][1]
    assert store.db.scalar('SELECT COUNT(*) FROM "evidence"') == 1
    assert store.tickets.of_message_ids([out.message_id]) == ticket


def test_failing_compose_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        record(store, "imap:1:1", message(), None, decision(), failing_compose, "r1", NOW)
    assert not store.inbound.is_processed("imap:1:1")
    for model in build_models(store.db.engine).all():
        table = model._meta.table_name
        assert store.db.scalar(f'SELECT COUNT(*) FROM "{table}"') == 0, table


def test_same_key_twice_is_refused_and_rolled_back(store: Store) -> None:
    record(store, "k", message(), None, decision(), fake_compose, "r1", NOW)
    with pytest.raises(AlreadyRecorded):
        record(store, "k", message(2), None, decision(), fake_compose, "r1", NOW)
    with pytest.raises(AlreadyRecorded):
        store.record_skip("k", message(3), "duplicate", NOW)
    assert len(store.tickets.listed()) == 1 and len(store.outbox.statuses()) == 1


def test_rma_assigned_once(store: Store) -> None:
    first = record(store, "k1", message(1), None, decision(), fake_compose, "r1", NOW)
    later = NOW + timedelta(hours=1)
    again = record(
        store,
        "k2",
        message(2),
        first,
        decision(state=TicketState.SHIPPED),
        fake_compose,
        "r2",
        later,
    )
    assert again.rma == first.rma and again.id == first.id
    assert again.state is TicketState.SHIPPED
    assert [e.rules_version for e in store.audit.timeline(first.id or 0)] == ["r1", "r2"]


def test_rma_collision_draws_again(db_url: str) -> None:
    draws = iter(["RMA000000000", "RMA000000000", "RMA111111111"])
    store = Store(db_url, rma_source=lambda: next(draws))
    store.create_tables()
    a = record(store, "k1", message(1), None, decision(), fake_compose, "r", NOW)
    b = record(store, "k2", message(2), None, decision(), fake_compose, "r", NOW)
    assert (a.rma, b.rma) == ("RMA000000000", "RMA111111111")
    assert (
        store.db.scalar('SELECT COUNT(*) FROM "audit_events"') == 2
    )  # the taken number was drawn again
    store.close()


def test_no_rma_without_issue(store: Store) -> None:
    t = record(
        store, "k", message(), None, decision(issue_rma=False, replies=0), fake_compose, "r", NOW
    )
    assert t.rma is None and store.outbox.statuses() == []


def test_find_and_filter(store: Store) -> None:
    a = record(store, "k1", message(1), None, decision(), fake_compose, "r", NOW)
    b = record(
        store,
        "k2",
        message(2),
        None,
        decision(issue_rma=False, state=TicketState.NEEDS_INFO),
        fake_compose,
        "r",
        NOW,
    )
    assert a.rma is not None
    for ref in (str(a.id), a.reference, f"[{a.reference}]", a.rma, a.reference.lower()):
        assert store.tickets.find(ref) == a, ref
    assert store.tickets.find("T-999999") is None and store.tickets.find("hello") is None
    assert store.tickets.listed() == [b, a]
    assert store.tickets.listed(state="needs_info") == [b]
    assert store.tickets.listed(limit=1, offset=1) == [a]


def test_record_skip(store: Store) -> None:
    store.record_skip("k", message(sender=None), "auto-submitted", NOW)
    assert store.inbound.is_processed("k") and store.tickets.listed() == []
    assert store.db.scalar('SELECT COUNT(*) FROM "audit_events"') == 1


def test_orders_upsert_and_exact_types(store: Store) -> None:
    cet = timezone(timedelta(hours=1))
    order = Order(
        "100201",
        "ana@example.com",
        "Board",
        "STM",
        1,
        Decimal("19.99"),
        Decimal("7.10"),
        Decimal("3.333"),
        "EUR",
        datetime(2026, 11, 1, 9, tzinfo=cet),
    )
    assert store.orders.import_orders([order]) == 1
    changed = Order(**{**order.__dict__, "quantity": 2})
    assert store.orders.import_orders([changed]) == 1
    got = store.orders.get("100201")
    assert got == changed and got is not None
    assert got.delivered_at.tzinfo is UTC and got.delivered_at.hour == 8
    assert store.orders.get("nope") is None


def test_outbox_due_sent_failed_dead(store: Store) -> None:
    record(store, "k", message(), None, decision(replies=3), fake_compose, "r", NOW)
    assert store.outbox.claim_due(NOW - timedelta(seconds=1)) == []
    items = store.outbox.claim_due(NOW)
    assert len(items) == 3 and all(i.attempts == 1 for i in items)
    assert b"Message-ID: " + items[0].message_id.encode() in items[0].raw
    assert store.outbox.claim_due(NOW) == []  # claimed: leased to us
    store.outbox.mark_sent(items[0].id, NOW)
    store.outbox.mark_failed(items[1].id, "451 later", NOW, NOW + timedelta(minutes=1))
    store.outbox.mark_failed(items[2].id, "550 no", NOW, None)
    status = {s.id: s for s in store.outbox.statuses()}
    assert status[items[0].id].status == "sent" and status[items[0].id].sent_at == NOW
    assert status[items[1].id].status == "pending" and status[items[1].id].last_error == "451 later"
    assert status[items[2].id].status == "dead"
    [retry] = store.outbox.claim_due(NOW + timedelta(minutes=1))
    assert retry.id == items[1].id and retry.attempts == 2


def test_lease_expiry_releases_claim(store: Store) -> None:
    record(store, "k", message(), None, decision(), fake_compose, "r", NOW)
    [item] = store.outbox.claim_due(NOW)
    assert store.outbox.claim_due(NOW + timedelta(minutes=9)) == []
    [again] = store.outbox.claim_due(NOW + timedelta(minutes=10))
    assert again.message_id == item.message_id  # same Message-ID on the re-send


def test_concurrent_claimers_never_share_rows(db_url: str) -> None:
    setup = Store(db_url)
    setup.create_tables()
    record(setup, "k", message(), None, decision(replies=60), fake_compose, "r", NOW)
    setup.close()
    claimed: list[list[int]] = [[], []]

    def claim(slot: int) -> None:
        store = Store(db_url)  # its own connection, like a second process
        while batch := store.outbox.claim_due(NOW, limit=3):
            claimed[slot].extend(i.id for i in batch)
        store.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 60


def test_postgres_skip_locked_while_claim_uncommitted(pg_url: str) -> None:
    a, b = Store(pg_url), Store(pg_url)
    a.create_tables()
    record(a, "k", message(), None, decision(replies=5), fake_compose, "r", NOW)
    with a.db.transaction():
        mine = a.outbox.claim_due(NOW, limit=2)  # locks held until this block commits
        theirs = b.outbox.claim_due(NOW, limit=10)  # must not wait and must not see a's rows
    assert len(mine) == 2 and len(theirs) == 3
    assert not {i.id for i in mine} & {i.id for i in theirs}
    a.close()
    b.close()


def test_processes_sharing_an_inbox_split_it_by_claims(db_url: str) -> None:
    a, b = Store(db_url), Store(db_url)
    a.create_tables()
    keys = [f"imap:1:{n}" for n in range(10)]
    mine = a.inbound.claim(keys[:6], "a", NOW)
    theirs = b.inbound.claim(keys, "b", NOW)
    assert mine == keys[:6] and theirs == keys[6:]
    assert a.inbound.claim(keys[:6], "a", NOW) == keys[:6]  # its own claims, renewed
    # A recorded message is nobody's to claim; a dead claimer's lease runs out.
    record(a, keys[0], message(), None, decision(), fake_compose, "r", NOW)
    assert b.inbound.claim(keys[:1], "b", NOW) == []
    later = NOW + timedelta(minutes=10)
    assert b.inbound.claim(keys[:6], "b", later) == keys[1:6]
    # A claimer known to be gone (killed) loses its claims at once, lease or not.
    assert a.inbound.claim(keys[:6], "a", later) == []
    assert a.inbound.claim(keys[:6], "a", later, abandoned=lambda owner: owner == "b") == keys[1:6]
    a.close()
    b.close()


def test_the_rows_of_a_sender_that_died_are_taken_over_at_once(store: Store) -> None:
    record(store, "k", message(), None, decision(replies=3), fake_compose, "r", NOW)
    mine = store.outbox.claim_due(NOW, owner="a")
    assert len(mine) == 3
    assert store.outbox.claim_due(NOW, owner="b") == []  # a is alive: its lease holds
    taken = store.outbox.claim_due(NOW, owner="b", abandoned=lambda owner: owner == "a")
    assert sorted(i.id for i in taken) == sorted(i.id for i in mine)
    store.outbox.mark_sent(taken[0].id, NOW)
    for item in taken[1:]:
        store.outbox.mark_failed(item.id, "451 try later", NOW, NOW + timedelta(hours=1))
    # Sent or waiting for a retry, a row belongs to nobody: nothing to take over.
    assert store.outbox.claim_due(NOW, owner="c", abandoned=lambda owner: True) == []


def test_a_composed_reply_is_stored_with_its_decoded_subject_and_sender(store: Store) -> None:
    subject = "Ihre Rücksendung: Größe passt nicht — bitte prüfen Sie die Fotos, 申请 " * 3

    def real_compose(ticket: Ticket, reply: Reply, message_id: str) -> bytes:
        return compose(
            rendered=RenderedMail(subject=subject, text="Hallo\n", html=None),
            from_addr="Jürgen vom Shop <returns@shop.example>",
            to_addr=reply.to,
            message_id=message_id,
            subject_tag=f"[{ticket.reference}]",
            in_reply_to=None,
            references=(),
            instance="test",
            date=NOW,
        )

    ticket = record(store, "imap:1:1", message(), None, decision(), real_compose, "r1", NOW)
    assert ticket.id is not None
    out = store.db.one(
        'SELECT "sender", "subject" FROM "messages" WHERE "ticket_id" = ? AND "direction" = ?',
        [ticket.id, "out"],
    )
    assert out == (
        "Jürgen vom Shop <returns@shop.example>",
        f"{' '.join(subject.split())} [{ticket.reference}]",
    )


def test_recorded_keys_are_found_among_many(store: Store) -> None:
    record(store, "imap:1:7", message(7), None, decision(), fake_compose, "r1", NOW)
    store.record_skip("imap:1:900", message(900), "out of office", NOW)
    asked = [f"imap:1:{n}" for n in range(1, 1200)]  # more than one query's worth
    assert store.inbound.recorded(asked) == {"imap:1:7", "imap:1:900"}
    assert store.inbound.recorded([]) == set()


def test_a_connection_left_inside_a_transaction_is_dropped_and_rolled_back(store: Store) -> None:
    insert = (
        'INSERT INTO "inbound" ("key", "message_id", "processed_at", "outcome") VALUES (?, ?, ?, ?)'
    )
    # What the message watchdog may leave: a BEGIN peewee never recorded (on SQLite every
    # later transaction would fail), or one it did (every later one nested in it).
    store.db.execute("BEGIN")
    store.db.execute(insert, ["imap:1:1", "", "2026-11-26T10:00:00.000000Z", "half done"])
    store.drop_connection()
    transaction = store.db.engine.atomic()
    transaction.__enter__()
    store.db.execute(insert, ["imap:1:2", "", "2026-11-26T10:00:00.000000Z", "half done"])
    store.drop_connection()
    assert not store.inbound.is_processed("imap:1:1") and not store.inbound.is_processed("imap:1:2")
    record(store, "imap:1:3", message(), None, decision(), fake_compose, "r1", NOW)
    store.close()
    assert store.inbound.is_processed("imap:1:3")  # committed: seen from a new connection


PHOTO_FACTS = AttachmentFacts(
    "IMG_0001.HEIC",
    "image/heic",
    "image/heic",
    2_345_678,
    "fp-heic",
    4032,
    3024,
    phash="372dde4f31b1b39213038498ccc94122",
    taken_at=datetime(2026, 11, 20, 14, 3, 11, tzinfo=timezone(timedelta(hours=1))),
    camera="Apple iPhone 13",
)
SHOT_FACTS = AttachmentFacts(
    "IMG_5001.PNG", "image/png", "image/png", 80_000, "fp-png", 1170, 2532,
    taken_at=datetime(2026, 11, 20, 9, 0), screenshot_mark=True,
)  # fmt: skip
CLIP_FACTS = AttachmentFacts(
    "clip.mov", "video/quicktime", "video/quicktime", 9_000_000, "fp-mov",
    duration_ms=12_400, frames="ab" * 16,
)  # fmt: skip


def test_evidence_metadata_is_kept_for_later_mails(store: Store) -> None:
    facts = (PHOTO_FACTS, SHOT_FACTS, CLIP_FACTS)
    ticket = record(
        store, "imap:1:1", message(attachments=facts), None, decision(), fake_compose, "r1", NOW
    )
    assert ticket.id is not None
    # Naive dates stay naive (the core reads them in the shop's zone), aware keep their offset.
    assert store.tickets.evidence(ticket.id) == facts


def test_an_older_database_gets_the_evidence_metadata_columns(db_url: str) -> None:
    old = Store(db_url)
    old.create_tables()
    before = record(old, "k0", message(0), None, decision(), fake_compose, "r", NOW)
    # The evidence table as a version before these columns had it, with a row in it.
    for column in ("phash", "taken_at", "camera", "screenshot_mark", "duration_ms", "frames"):
        old.db.execute(f"ALTER TABLE evidence DROP COLUMN {column}")
    # That version recorded no schema version either.
    old.db.execute("DROP TABLE schema_version")
    old.close()
    upgraded = Store(db_url)
    upgraded.create_tables()
    assert before.id is not None
    [kept] = upgraded.tickets.evidence(before.id)
    assert (kept.phash, kept.taken_at, kept.duration_ms) == ("", None, None)
    ticket = record(
        upgraded,
        "k1",
        message(1, attachments=(PHOTO_FACTS,)),
        None,
        decision(),
        fake_compose,
        "r",
        NOW,
    )
    assert ticket.id is not None and upgraded.tickets.evidence(ticket.id) == (PHOTO_FACTS,)
    upgraded.close()
