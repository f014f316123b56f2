"""`mailbot tickets` and `mailbot ticket`: what the desk did, for a person or as JSON.

Times are shown in the desk's time zone ([policy] timezone), with the zone named.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, tzinfo
from typing import Any

from mailbot.config import Config
from mailbot.core.model import Ticket
from mailbot.errors import RulebookError
from mailbot.rulefiles import load_rulebook
from mailbot.store import Store

HEADER = f"{'TICKET':<9} {'STATE':<15} {'SCENARIO':<15} {'ORDER':<10} {'RMA':<13} CUSTOMER"


def desk_zone(config: Config) -> tzinfo:
    """The desk's zone from the rules; UTC when the rules do not load (`check` says why)."""
    try:
        return load_rulebook(config.rules_dir).timezone
    except RulebookError:
        return UTC


def when(at: datetime | None, zone: tzinfo) -> str:
    return "-" if at is None else at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _iso(at: datetime | None, zone: tzinfo) -> str | None:
    return None if at is None else at.astimezone(zone).isoformat()


def ticket_line(t: Ticket) -> str:
    order, rma = t.order_id or "-", t.rma or "-"
    return (
        f"{t.reference:<9} {t.state:<15} {t.scenario:<15} {order:<10} {rma:<13} {t.customer_email}"
    )


def ticket_data(t: Ticket, zone: tzinfo) -> dict[str, Any]:
    return {
        "reference": t.reference,
        "state": str(t.state),
        "scenario": str(t.scenario),
        "customer": t.customer_email,
        "order": t.order_id,
        "rma": t.rma,
        "language": t.language or None,
        "created_at": _iso(t.created_at, zone),
        "state_since": _iso(t.state_since, zone),
        "ship_by": _iso(t.ship_by, zone),
    }


def show_tickets(store: Store, zone: tzinfo, found: list[Ticket], as_json: bool) -> None:
    if as_json:
        json.dump([ticket_data(t, zone) for t in found], sys.stdout, indent=2)
        print()
        return
    print(HEADER)
    for ticket in found:
        print(ticket_line(ticket))


def show_ticket(store: Store, zone: tzinfo, ticket: Ticket, as_json: bool) -> None:
    assert ticket.id is not None
    timeline = store.audit.timeline(ticket.id)
    mails = store.outbox.sent_on(ticket.id)
    reminders = store.reminders.of_ticket(ticket.id)
    if as_json:
        data = ticket_data(ticket, zone)
        data["timeline"] = [
            {
                "at": _iso(e.at, zone),
                "actor": e.actor,
                "event": e.event,
                "outcome": e.outcome,
                "reasons": list(e.reasons),
            }
            for e in timeline
        ]
        data["mails"] = [
            {**asdict(m), "queued_at": _iso(m.queued_at, zone), "sent_at": _iso(m.sent_at, zone)}
            for m in mails
        ]
        data["reminders"] = [
            {
                "due_at": _iso(r.due_at, zone),
                "kind": str(r.kind),
                "status": r.status,
                "done_at": _iso(r.done_at, zone),
            }
            for r in reminders
        ]
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return
    print(HEADER)
    print(ticket_line(ticket))
    print("timeline:")
    for entry in timeline:
        print(f"  {when(entry.at, zone)} {entry.actor}: {entry.event} {entry.outcome}")
        for reason in entry.reasons:
            print(f"      - {reason}")
    print("mails sent:" if mails else "mails sent: none")
    for m in mails:
        status = f"sent {when(m.sent_at, zone)}" if m.status == "sent" else m.status
        print(f"  {when(m.queued_at, zone)} to {m.to}: {m.subject} ({status})")
    if reminders:
        print("reminders:")
    for r in reminders:
        done = f" ({when(r.done_at, zone)})" if r.done_at else ""
        print(f"  {when(r.due_at, zone)} {r.kind:<17} {r.status}{done}")
