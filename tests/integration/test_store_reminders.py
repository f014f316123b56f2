"""Reminder rows on real SQLite and PostgreSQL: replaced with each decision, claimed by
one process at a time, fired once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from mailbot.core.model import Decision, Reminder, ReminderKind, Reply, TicketState
from mailbot.core.reminders import decide_due
from mailbot.rulefiles import load_rulebook
from mailbot.store import AlreadyRecorded, Store
from tests.core.conftest import RULES_DIR
from tests.core.test_reminders import review_escalation
from tests.integration.recording import fire, record
from tests.integration.test_store import NOW, decision, fake_compose, message

K = ReminderKind
DAY = timedelta(days=1)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.create_tables()
    yield s
    s.close()


def _plan(*offsets: int) -> tuple[Reminder, ...]:
    return tuple(
        Reminder(K.SHIP_REMINDER, NOW + n * DAY, TicketState.APPROVED, {"days_left": n})
        for n in offsets
    )


def _fired(state: TicketState = TicketState.APPROVED, **kw: Any) -> Decision:
    return replace(
        decision(issue_rma=False, state=state, outcome="ship_reminder", **kw),
        replies=(Reply("customer/ship_reminder", "ana@example.com", {}),),
    )


def test_a_decision_replaces_the_pending_plan(store: Store) -> None:
    ticket = record(
        store, "k1", message(1), None, decision(reminders=_plan(5, 7)), fake_compose, "r", NOW
    )
    assert ticket.id is not None and ticket.state_since == NOW
    later = NOW + DAY
    record(
        store, "k2", message(2), ticket, decision(reminders=_plan(7, 8)), fake_compose, "r", later
    )
    rows = [(r.due_at - NOW, r.status) for r in store.reminders.of_ticket(ticket.id)]
    assert rows == [(5 * DAY, "cancelled"), (7 * DAY, "pending"), (8 * DAY, "pending")]
    # A state without reminders (shipped) cancels every pending one.
    record(
        store,
        "k3",
        message(3),
        ticket,
        decision(state=TicketState.SHIPPED),
        fake_compose,
        "r",
        later,
    )
    assert {r.status for r in store.reminders.of_ticket(ticket.id)} == {"cancelled"}


def test_due_reminders_fire_once_and_are_not_planned_again(store: Store) -> None:
    plan = _plan(2, 4)
    ticket = record(store, "k1", message(1), None, decision(reminders=plan), fake_compose, "r", NOW)
    assert store.reminders.claim_due(NOW + DAY) == []
    [due] = store.reminders.claim_due(NOW + 3 * DAY)
    assert due.reminder.kind is K.SHIP_REMINDER and due.ticket.id == ticket.id
    assert due.reminder.context == {"days_left": 2}
    assert store.reminders.claim_due(NOW + 3 * DAY) == []  # claimed
    fire(store, due.id, due.ticket, _fired(reminders=plan), fake_compose, "r", NOW + 3 * DAY)
    with pytest.raises(AlreadyRecorded):
        fire(store, due.id, due.ticket, _fired(), fake_compose, "r", NOW + 3 * DAY)
    # Re-planning the same reminders (a reply that changes nothing) does not repeat the sent one.
    record(
        store, "k2", message(2), ticket, decision(reminders=plan), fake_compose, "r", NOW + 3 * DAY
    )
    assert [r.status for r in store.reminders.of_ticket(ticket.id or 0)] == ["done", "pending"]
    assert store.reminders.claim_due(NOW + 3 * DAY + timedelta(minutes=11)) == []
    outbox = store.outbox.statuses()
    assert len(outbox) == 3  # the approval, the reminder, the second decision's reply
    assert [e.event for e in store.audit.timeline(ticket.id or 0)] == [
        "decision",
        "reminder",
        "decision",
    ]


def test_an_unanswered_escalation_is_stored_again_until_the_ticket_moves(store: Store) -> None:
    rules = load_rulebook(RULES_DIR)
    review = (review_escalation(rules, NOW),)
    ticket = record(
        store,
        "k1",
        message(1),
        None,
        decision(state=TicketState.UNDER_REVIEW, issue_rma=False, reminders=review),
        fake_compose,
        "r",
        NOW,
    )
    first_due = review[0].due_at
    for round_ in range(2):
        [due] = store.reminders.claim_due(first_due + (round_ + 1) * 3 * DAY)
        fired = decide_due(
            due.ticket, due.reminder, rules, due.reminder.due_at, ("a@shop.example",)
        )
        assert fired is not None
        fire(store, due.id, due.ticket, fired, fake_compose, "r", due.reminder.due_at)
    rows = store.reminders.of_ticket(ticket.id or 0)
    assert [(r.kind, r.status) for r in rows] == [("review_overdue", "done")] * 2 + [
        ("review_overdue", "pending")
    ]
    # An agent's decision moves the ticket on: the next repeat is cancelled.
    record(
        store,
        "k2",
        message(2),
        ticket,
        decision(state=TicketState.APPROVED),
        fake_compose,
        "r",
        NOW,
    )
    assert [r.status for r in store.reminders.of_ticket(ticket.id or 0)][-1] == "cancelled"


def test_firing_an_expiry_changes_the_state_and_cancels_the_rest(store: Store) -> None:
    plan = (*_plan(1, 2), Reminder(K.SHIP_EXPIRED, NOW + 3 * DAY, TicketState.APPROVED, {}))
    ticket = record(store, "k1", message(1), None, decision(reminders=plan), fake_compose, "r", NOW)
    expiry = next(
        d for d in store.reminders.claim_due(NOW + 4 * DAY) if d.reminder.kind is K.SHIP_EXPIRED
    )
    waived = fire(
        store,
        expiry.id,
        expiry.ticket,
        _fired(state=TicketState.WAIVED),
        fake_compose,
        "r",
        NOW + 4 * DAY,
    )
    assert waived.state is TicketState.WAIVED and waived.state_since == NOW + 4 * DAY
    statuses = {
        r.kind + str(r.due_at - NOW): r.status for r in store.reminders.of_ticket(ticket.id or 0)
    }
    assert sorted(statuses.values()) == ["cancelled", "cancelled", "done"]


def test_a_claim_is_released_when_its_lease_ends(store: Store) -> None:
    record(store, "k1", message(1), None, decision(reminders=_plan(1)), fake_compose, "r", NOW)
    [first] = store.reminders.claim_due(NOW + DAY)
    assert store.reminders.claim_due(NOW + DAY + timedelta(minutes=9)) == []
    [again] = store.reminders.claim_due(NOW + DAY + timedelta(minutes=10))  # the claimer died
    assert again.id == first.id and again.attempts == 2
    assert store.reminders.failed(again.id, 3, "boom", NOW + DAY) == "failed"
    assert store.reminders.claim_due(NOW + 2 * DAY) == []


def test_the_claims_of_a_process_that_is_gone_are_taken_at_once(store: Store) -> None:
    record(store, "k1", message(1), None, decision(reminders=_plan(1, 2)), fake_compose, "r", NOW)
    alive, dead = {"host:1:alive"}, {"host:2:dead"}
    [mine] = store.reminders.claim_due(NOW + 2 * DAY, limit=1, owner="host:1:alive")
    [theirs] = store.reminders.claim_due(NOW + 2 * DAY, limit=1, owner="host:2:dead")
    later = NOW + 2 * DAY + timedelta(minutes=1)  # both leases still running

    def gone(owner: str) -> bool:
        assert owner in alive | dead
        return owner in dead

    [taken] = store.reminders.claim_due(later, owner="host:3:new", abandoned=gone)
    assert taken.id == theirs.id != mine.id and taken.attempts == 2


def test_two_processes_never_fire_the_same_reminder(db_url: str) -> None:
    setup = Store(db_url)
    setup.create_tables()
    for n in range(20):
        record(
            setup,
            f"k{n}",
            message(n),
            None,
            decision(reminders=_plan(1, 2)),
            fake_compose,
            "r",
            NOW,
        )
    setup.close()
    fired: list[list[int]] = [[], []]

    def work(slot: int) -> None:
        store = Store(db_url)  # its own connection, like a second process
        while batch := store.reminders.claim_due(NOW + 3 * DAY, limit=3):
            for due in batch:
                try:
                    # Same state, same plan: the ticket's other reminder stays pending.
                    fired_decision = _fired(reminders=_plan(1, 2))
                    fire(
                        store, due.id, due.ticket, fired_decision, fake_compose, "r", NOW + 3 * DAY
                    )
                except AlreadyRecorded:
                    continue
                fired[slot].append(due.id)
        store.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not set(fired[0]) & set(fired[1])
    assert len(fired[0]) + len(fired[1]) == 40


def test_an_older_database_gets_the_new_columns(db_url: str) -> None:
    old = Store(db_url)
    old.create_tables()
    for column in ("state_since", "complex", "reopenable"):
        old.db.execute(f"ALTER TABLE tickets DROP COLUMN {column}")
    # That version recorded no schema version either.
    old.db.execute("DROP TABLE schema_version")
    old.close()
    upgraded = Store(db_url)
    upgraded.create_tables()
    ticket = record(upgraded, "k1", message(1), None, decision(), fake_compose, "r", NOW)
    assert ticket.state_since == NOW and ticket.complex is False
    upgraded.close()
