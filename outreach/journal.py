"""The journal: every send, reply, meeting, gift and note, in SQLite.

Write-ahead logging, one transaction per change, small append-only migrations.
Sending records an *attempt* before a message goes and its outcome after; an
attempt with no outcome is a message nobody knows arrived.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from outreach.errors import OutreachError, Problem
from outreach.summary import Summary

KINDS = ("sent", "replied", "met", "call", "gave", "received", "note")

MIGRATIONS = (
    """
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        person TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,            -- UTC, ISO 8601
        day TEXT NOT NULL,           -- the local date, YYYY-MM-DD
        note TEXT,
        subject TEXT,
        message_id TEXT,
        template TEXT,
        template_kind TEXT,
        follow_up_after INTEGER      -- days, as the template said when it was sent
    );
    CREATE INDEX entries_person_day ON entries (person, day);
    CREATE INDEX entries_kind_person ON entries (kind, person, day);
    CREATE UNIQUE INDEX entries_message_id ON entries (message_id) WHERE message_id IS NOT NULL;
    CREATE TABLE attempts (
        message_id TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        draft TEXT NOT NULL,
        started_at TEXT NOT NULL,
        outcome TEXT,                -- NULL while the message is on its way: 'sent' | 'failed'
        detail TEXT,
        finished_at TEXT
    );
    """,
)


@dataclass(frozen=True)
class Entry:
    person: str
    kind: str
    at: datetime
    day: date
    note: str | None = None
    subject: str | None = None
    message_id: str | None = None
    template: str | None = None
    template_kind: str | None = None
    follow_up_after: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "person": self.person,
            "kind": self.kind,
            "at": self.at.astimezone().isoformat(timespec="seconds"),
            "note": self.note,
            "subject": self.subject,
            "message_id": self.message_id,
        }

    def template_fields(self) -> dict[str, object]:
        """What templates reach as `last`."""
        return {
            "kind": self.kind,
            "at": self.at.astimezone(),
            "on": self.day.isoformat(),
            "note": self.note,
            "subject": self.subject,
            "template": self.template,
        }


@dataclass(frozen=True)
class Attempt:
    message_id: str
    person: str
    draft: str
    outcome: str | None
    detail: str | None


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def moment_on(day: date) -> datetime:
    """The time an entry logged `--on DAY` carries: noon, local time."""
    return datetime.combine(day, time(12)).astimezone().astimezone(UTC)


_COLUMNS = (
    "person, kind, at, day, note, subject, message_id, template, template_kind, follow_up_after"
)


def _entry(row: tuple[object, ...]) -> Entry:
    person, kind, at, day, note, subject, message_id, template, template_kind, follow_up = row
    return Entry(
        person=str(person),
        kind=str(kind),
        at=datetime.fromisoformat(str(at)),
        day=date.fromisoformat(str(day)),
        note=note if isinstance(note, str) else None,
        subject=subject if isinstance(subject, str) else None,
        message_id=message_id if isinstance(message_id, str) else None,
        template=template if isinstance(template, str) else None,
        template_kind=template_kind if isinstance(template_kind, str) else None,
        follow_up_after=follow_up if isinstance(follow_up, int) else None,
    )


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise OutreachError(
                Problem(f".outreach/{path.name}", f"the journal cannot be opened: {error}")
            ) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        applied = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM migrations").fetchone()[0]
        for number, script in enumerate(MIGRATIONS, start=1):
            if number <= applied:
                continue
            with self.transaction() as db:
                if db.execute("SELECT 1 FROM migrations WHERE id = ?", (number,)).fetchone():
                    continue  # another process applied it first
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO migrations (id, applied_at) VALUES (?, ?)",
                    (number, now().isoformat()),
                )

    # --- entries ---------------------------------------------------------------

    def add(self, entry: Entry) -> None:
        with self.transaction() as db:
            self._insert(db, entry)

    @staticmethod
    def _insert(db: sqlite3.Connection, entry: Entry) -> None:
        db.execute(
            f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.person,
                entry.kind,
                entry.at.astimezone(UTC).isoformat(),
                entry.day.isoformat(),
                entry.note,
                entry.subject,
                entry.message_id,
                entry.template,
                entry.template_kind,
                entry.follow_up_after,
            ),
        )

    def entries(self, person: str | None = None) -> list[Entry]:
        if person is None:
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM entries ORDER BY at, id")
        else:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM entries WHERE person = ? ORDER BY at, id", (person,)
            )
        return [_entry(row) for row in rows]

    def latest(self) -> dict[str, Entry]:
        """Each person's latest entry."""
        rows = self.db.execute(
            f"""SELECT {_COLUMNS} FROM entries WHERE id IN (
                    SELECT id FROM entries AS e WHERE e.person = entries.person
                    ORDER BY e.at DESC, e.id DESC LIMIT 1)"""
        )
        return {entry.person: entry for entry in map(_entry, rows)}

    def latest_for(self, person: str) -> Entry | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE person = ? ORDER BY at DESC, id DESC LIMIT 1",
            (person,),
        ).fetchone()
        return _entry(row) if row else None

    def sent_since(self, moment: datetime) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM attempts WHERE outcome = 'sent' AND finished_at >= ?",
            (moment.astimezone(UTC).isoformat(),),
        ).fetchone()
        return int(row[0])

    def oldest_sent_since(self, moment: datetime) -> datetime | None:
        row = self.db.execute(
            "SELECT MIN(finished_at) FROM attempts WHERE outcome = 'sent' AND finished_at >= ?",
            (moment.astimezone(UTC).isoformat(),),
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    # --- attempts: at most once ------------------------------------------------

    def attempt(self, message_id: str) -> Attempt | None:
        row = self.db.execute(
            "SELECT message_id, person, draft, outcome, detail FROM attempts WHERE message_id = ?",
            (message_id,),
        ).fetchone()
        return Attempt(*row) if row else None

    def unfinished(self) -> set[str]:
        """Message ids whose send was cut off: nobody knows whether they arrived."""
        rows = self.db.execute("SELECT message_id FROM attempts WHERE outcome IS NULL")
        return {row[0] for row in rows}

    def sent_ids(self) -> set[str]:
        rows = self.db.execute("SELECT message_id FROM attempts WHERE outcome = 'sent'")
        return {row[0] for row in rows}

    def begin_attempt(self, message_id: str, person: str, draft: str) -> None:
        """Recorded once the server accepted sender and recipient, right before the message."""
        with self.transaction() as db:
            db.execute(
                """INSERT INTO attempts (message_id, person, draft, started_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT (message_id) DO UPDATE SET
                       started_at = excluded.started_at, outcome = NULL,
                       detail = NULL, finished_at = NULL""",
                (message_id, person, draft, now().isoformat()),
            )

    def record_sent(self, entry: Entry) -> None:
        """The server accepted the message: the attempt's outcome and the `sent` entry, together."""
        with self.transaction() as db:
            db.execute(
                "UPDATE attempts SET outcome = 'sent', finished_at = ? WHERE message_id = ?",
                (entry.at.astimezone(UTC).isoformat(), entry.message_id),
            )
            if not db.execute(
                "SELECT 1 FROM entries WHERE message_id = ?", (entry.message_id,)
            ).fetchone():
                self._insert(db, entry)

    def record_failed(self, message_id: str, detail: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE attempts SET outcome = 'failed', detail = ?, finished_at = ? "
                "WHERE message_id = ?",
                (detail, now().isoformat(), message_id),
            )

    def forget_attempt(self, message_id: str) -> None:
        """The message is known not to have arrived (refused for now): it may go again."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM attempts WHERE message_id = ? AND outcome IS NULL", (message_id,)
            )


_LATEST = "MAX(day || '#' || printf('%012d', id))"


def summaries(journal: Journal) -> dict[str, Summary]:
    """One Summary per person in the journal, from a few grouped queries."""
    found: dict[str, dict[str, object]] = {}
    for person, last_day, asks, gives in journal.db.execute(
        """SELECT person, MAX(day), SUM(kind = 'sent' AND template_kind = 'request'),
                  SUM(kind = 'gave')
           FROM entries GROUP BY person"""
    ):
        found[person] = {
            "last_day": date.fromisoformat(last_day),
            "asks": int(asks or 0),
            "gives": int(gives or 0),
        }
    for person, key in journal.db.execute(
        f"SELECT person, {_LATEST} FROM entries "
        "WHERE kind IN ('replied', 'met', 'call') GROUP BY person"
    ):
        found[person]["last_answer"] = _key(key)
    # SQLite takes the bare columns from the row that holds the MAX.
    for person, key, follow_up, template_kind in journal.db.execute(
        f"SELECT person, {_LATEST}, follow_up_after, template_kind "
        "FROM entries WHERE kind = 'sent' GROUP BY person"
    ):
        found[person].update(
            last_sent=_key(key), last_sent_follow_up=follow_up, last_sent_kind=template_kind
        )
    for person, key, kind in journal.db.execute(
        f"SELECT person, {_LATEST}, kind FROM entries WHERE kind IN ('met', 'call') GROUP BY person"
    ):
        found[person].update(last_meeting=_key(key), last_meeting_kind=kind)
    for person, key in journal.db.execute(
        f"SELECT person, {_LATEST} FROM entries "
        "WHERE kind = 'sent' AND template_kind = 'thank-you' GROUP BY person"
    ):
        found[person]["last_thanks"] = _key(key)
    requests: dict[str, list[tuple[str, int, int | None]]] = {}
    for person, day, entry_id, follow_up in journal.db.execute(
        "SELECT person, day, id, follow_up_after FROM entries "
        "WHERE kind = 'sent' AND template_kind = 'request'"
    ):
        requests.setdefault(person, []).append((day, entry_id, follow_up))
    for person, items in requests.items():
        found[person]["requests"] = tuple(items)
    return {person: Summary(person, **fields) for person, fields in found.items()}  # type: ignore[arg-type]


def _key(text: str) -> tuple[str, int]:
    day, _, number = text.partition("#")
    return day, int(number)


def open_journal(path: Path) -> Journal:
    return Journal(path)
