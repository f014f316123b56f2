"""Inbound keys: claimed by one process at a time, recorded once (with the decision, or as
skipped or quarantined), failures counted; agents' command mails applied, by content."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from mailbot.store.db import Database
from mailbot.store.errors import ERROR_CHARS, AlreadyRecorded
from mailbot.store.values import moment, stamp

_KEYS_PER_QUERY = 500  # IN lists: well below SQLite's variable limit


class InboundReads:
    """The inbound and applied_commands tables, read."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def key_of_message_id(self, message_id: str) -> str | None:
        """The inbound key already recorded with this Message-ID, or None."""
        if not message_id:
            return None
        key = self.db.scalar(
            'SELECT "key" FROM "inbound" WHERE "message_id" = ? LIMIT 1', [message_id]
        )
        return None if key is None else str(key)

    def is_processed(self, key: str) -> bool:
        """True when the inbound message with this key was already recorded."""
        return bool(self.recorded([key]))

    def recorded(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` whose inbound message was already recorded (a query per 500:
        an inbox of thousands is checked in a few statements, not one per message)."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.rows(f'SELECT "key" FROM "inbound" WHERE "key" IN ({marks})', chunk)
            found.update(key for (key,) in rows)
        return found

    def applied_command_mail(self, content: str) -> str | None:
        """The inbound key of the command mail with this content already applied, or None."""
        key = self.db.scalar(
            'SELECT "key" FROM "applied_commands" WHERE "content" = ? LIMIT 1', [content]
        )
        return None if key is None else str(key)


class InboundKeys(InboundReads):
    """The inbound, inbound_claims, inbound_failures and applied_commands tables."""

    def __init__(self, db: Database, lease: timedelta) -> None:
        super().__init__(db)
        self._lease = lease

    def claim(
        self,
        keys: Iterable[str],
        owner: str,
        now: datetime,
        abandoned: Callable[[str], bool] = lambda owner: False,
    ) -> list[str]:
        """Of `keys`, those this `owner` may work on now: unclaimed, its own, or claimed by a
        process whose lease ran out or that `abandoned` says is gone. Claims last one
        lease; several processes sharing an inbox so split it instead of all handling
        every message."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        until = stamp(now + self._lease)
        marks = ", ".join("?" for _ in wanted)
        with self.db.transaction():
            held = {
                key: (owner_, held_until)
                for key, owner_, held_until in self.db.rows(
                    'SELECT "key", "owner", "until" FROM "inbound_claims"'
                    f' WHERE "key" IN ({marks})',
                    wanted,
                )
            }
            # Recorded meanwhile by another process (its claim is gone with it): not ours.
            done = {
                key for (key,) in self.db.rows(
                    f'SELECT "key" FROM "inbound" WHERE "key" IN ({marks})', wanted
                )
            }  # fmt: skip
            fresh = [key for key in wanted if key not in done and key not in held]
            mine = set(self._claim_fresh(fresh, owner, until))
            for key, (claimer, held_until) in held.items():
                if key in done:
                    continue
                if claimer == owner or moment(held_until) <= now or abandoned(claimer):
                    taken = self.db.execute(
                        'UPDATE "inbound_claims" SET "owner" = ?, "until" = ? '
                        'WHERE "key" = ? AND "owner" = ? AND "until" = ?',
                        [owner, until, key, claimer, held_until],
                    )
                    if taken:
                        mine.add(key)
        return [key for key in wanted if key in mine]

    def _claim_fresh(self, keys: list[str], owner: str, until: str) -> list[str]:
        """Claim unclaimed `keys` with one INSERT; those another process claimed a moment
        ago are skipped (ON CONFLICT DO NOTHING), the rest returned."""
        if not keys:
            return []
        values = ", ".join("(?, ?, ?)" for _ in keys)
        inserted = self.db.rows(
            f'INSERT INTO "inbound_claims" ("key", "owner", "until") VALUES {values} '
            'ON CONFLICT ("key") DO NOTHING RETURNING "key"',
            [value for key in keys for value in (key, owner, until)],
        )
        return [key for (key,) in inserted]

    def release(self, key: str, owner: str) -> None:
        """Give up `owner`'s claim on `key` (its handling failed: anyone may try again)."""
        self.db.execute(
            'DELETE FROM "inbound_claims" WHERE "key" = ? AND "owner" = ?', [key, owner]
        )

    def note_failure(self, key: str, error: str, now: datetime) -> int:
        """Count one failed attempt at an inbound message; return the attempts so far."""
        error, at = error[:ERROR_CHARS], stamp(now)
        attempts = self.db.scalar(
            'INSERT INTO "inbound_failures" ("key", "attempts", "last_error", "first_at",'
            ' "last_at") VALUES (?, 1, ?, ?, ?) ON CONFLICT ("key") DO UPDATE SET'
            ' "attempts" = "inbound_failures"."attempts" + 1, "last_error" = ?, "last_at" = ?'
            ' RETURNING "attempts"',
            [key, error, at, at, error, at],
        )
        return int(attempts)

    def record(self, key: str, message_id: str, outcome: str, now: datetime) -> None:
        """Record the key as handled (inside the caller's transaction); its claim is done.
        Raises AlreadyRecorded when another process recorded it first."""
        self._insert_key(key, message_id, outcome, now)
        self.db.execute('DELETE FROM "inbound_claims" WHERE "key" = ?', [key])

    def mark_applied(self, content: str, key: str, ticket_id: int, now: datetime) -> None:
        """Keep the content of a command mail applied to a ticket."""
        self.db.execute(
            'INSERT INTO "applied_commands" ("content", "key", "ticket_id", "at")'
            " VALUES (?, ?, ?, ?)",
            [content, key, ticket_id, stamp(now)],
        )

    def _insert_key(self, key: str, message_id: str, outcome: str, now: datetime) -> None:
        # ON CONFLICT rather than catching the violation: on PostgreSQL a violation
        # aborts the whole transaction, so it needed a savepoint (two more round trips
        # a message). A writer of the same key that has not committed yet is waited
        # for, as it was for the violation.
        inserted = self.db.execute(
            'INSERT INTO "inbound" ("key", "message_id", "processed_at", "outcome")'
            ' VALUES (?, ?, ?, ?) ON CONFLICT ("key") DO NOTHING',
            [key, message_id, stamp(now), outcome],
        )
        if not inserted:
            raise AlreadyRecorded(f"inbound message {key} is already recorded")
