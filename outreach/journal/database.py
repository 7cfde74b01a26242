"""The journal: every send, reply, meeting, gift and note, in SQLite.

Write-ahead logging, one transaction per change, small append-only migrations.
Sending records an *attempt* before a message goes and its outcome after; an
attempt with no outcome is a message nobody knows arrived. The outcome of a message
the server accepted is its `sent` entry, staged (migration 6) and folded into the
entries when the journal is opened, when the run is over, and before any other change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from outreach.journal.migrations import MIGRATIONS, statements
from outreach.journal.summary import SentFacts, Summary, summarise, with_sent
from outreach.support.errors import OutreachError, Problem, disk_full, naming_a_full_disk
from outreach.support.files import create_private_file
from outreach.support.text import HAND_KINDS, VIAS, EntryKind, entry_kind

if TYPE_CHECKING:
    import sqlite3


@dataclass(frozen=True)
class Entry:
    person: str
    kind: EntryKind
    at: datetime
    day: date
    note: str | None = None
    subject: str | None = None
    message_id: str | None = None
    template: str | None = None
    template_kind: str | None = None
    follow_up_after: int | None = None
    via: str | None = None  # one of VIAS: outreach | thread | address | mailbox | hand
    id: int | None = None  # the journal's number for it, once written (`log remove` takes it)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "person": self.person,
            "kind": self.kind,
            "at": self.at.astimezone().isoformat(timespec="seconds"),
            "note": self.note,
            "subject": self.subject,
            "message_id": self.message_id,
            "via": self.via,
        }

    @property
    def how(self) -> str:
        """How the entry came, in words: sent by outreach, logged by hand, or found by `sync`
        and how it was matched."""
        return _HOW.get(self.via or "", "")

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


_HOW = {
    "outreach": "sent by outreach",
    "hand": "by hand",
    "thread": "sync, by thread",
    "address": "sync, by address",
    "mailbox": "sync",
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


def logged_entry(person: str, kind: str, on: date | None, note: str | None) -> Entry:
    """An entry that `log add` makes: on the day `on` (at noon), else now; the note one line.
    kind is one of HAND_KINDS (ValueError otherwise: the command line offers no other)."""
    moment = moment_on(on) if on else now()
    if kind not in HAND_KINDS:
        raise ValueError(f"{kind!r} is written by outreach, not logged by hand")
    return Entry(
        person=person,
        kind=entry_kind(kind),
        at=moment,
        day=on or moment.astimezone().date(),
        note=" ".join(note.split()) if note else None,
        via="hand",
    )


_COLUMNS = (
    "person, kind, at, day, note, subject, message_id, template, template_kind, follow_up_after, "
    "via"
)
_PLACES = ", ".join("?" * len(_COLUMNS.split(",")))
_READ = f"id, {_COLUMNS}"  # what _entry reads back
_STAGED_SINCE = 6  # the migration that made `sent_staged`
_INSERT = f"INSERT INTO entries ({_COLUMNS}) VALUES ({_PLACES})"
_INSERT_NEW = f"{_INSERT} ON CONFLICT DO NOTHING"
_STAGE = f"INSERT INTO sent_staged ({_COLUMNS}) VALUES ({_PLACES})"
_BEGIN_ATTEMPT = """INSERT INTO attempts (message_id, person, draft, started_at)
    VALUES (?, ?, ?, ?)
    ON CONFLICT (message_id) DO UPDATE SET
        started_at = excluded.started_at, outcome = NULL, detail = NULL, finished_at = NULL"""
# The messages sent and when: an attempt settled by its outcome, or by its staged `sent`
# entry, which is its outcome until the fold writes it into `attempts` (migration 6).
_SENT = """SELECT message_id, finished_at AS at FROM attempts WHERE outcome = 'sent'
    UNION ALL
    SELECT message_id, MIN(at) FROM sent_staged WHERE message_id IN (
        SELECT message_id FROM attempts WHERE outcome IS NOT 'sent') GROUP BY message_id"""


def _values(entry: Entry) -> tuple[object, ...]:
    """An entry's values in the order of _COLUMNS."""
    return (
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
        entry.via,
    )


def _entry(row: tuple[object, ...]) -> Entry:
    number, person, kind, at, day, note, subject, message_id, template, template_kind = row[:10]
    follow_up, via = row[10:]
    return Entry(
        person=str(person),
        kind=entry_kind(str(kind)),
        at=datetime.fromisoformat(str(at)),
        day=date.fromisoformat(str(day)),
        note=note if isinstance(note, str) else None,
        subject=subject if isinstance(subject, str) else None,
        message_id=message_id if isinstance(message_id, str) else None,
        template=template if isinstance(template, str) else None,
        template_kind=template_kind if isinstance(template_kind, str) else None,
        follow_up_after=follow_up if isinstance(follow_up, int) else None,
        via=via if isinstance(via, str) else None,
        id=number if isinstance(number, int) else None,
    )


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f".outreach/{path.name}"  # how errors name it
        import sqlite3  # here, not at the top: a command with no journal to read never loads it

        create_private_file(path)  # SQLite gives its -wal and -shm files the journal's mode
        self._staged_here = False  # sends staged through this connection, not yet folded
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            staging = len(MIGRATIONS) >= _STAGED_SINCE  # not so in an older journal's schema
            if staging and _any_staged(self.db):  # a run killed before it folded, or one running
                with self.transaction() as db:
                    _fold_staged(db)
        except sqlite3.DatabaseError as error:
            raise disk_full(error, self.where) or OutreachError(
                Problem(self.where, f"the journal cannot be opened: {error}")
            ) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it or none; a full disk is a DiskFull naming the journal."""
        with naming_a_full_disk(self.where):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:  # SQLite may have rolled back on its own
                    self.db.execute("ROLLBACK")
                raise

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        applied = {row[0] for row in self.db.execute("SELECT id FROM migrations")}
        for number, script in enumerate(MIGRATIONS, start=1):
            if number in applied:
                continue
            with self.transaction() as db:
                if db.execute("SELECT 1 FROM migrations WHERE id = ?", (number,)).fetchone():
                    continue  # another process applied it first
                for statement in statements(script):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO migrations (id, applied_at) VALUES (?, ?)",
                    (number, now().isoformat()),
                )

    # --- entries ---------------------------------------------------------------

    def add(self, entry: Entry) -> None:
        _check_via(entry)
        with self.transaction() as db:
            _fold_staged(db)  # the sends before it take the lower ids: they came first
            db.execute(_INSERT, _values(entry))

    def add_new(self, entries: Iterable[Entry]) -> list[Entry]:
        """Those of entries whose message_id the journal does not hold yet, written in one
        transaction (all or none); returned as written, with their ids. An entry without a
        message_id is always new. Adding the same entries again adds nothing."""
        entries = list(entries)
        for entry in entries:
            _check_via(entry)
        added = []
        with self.transaction() as db:
            _fold_staged(db)  # a staged send is in the journal already: not added again
            for entry in entries:
                cursor = db.execute(_INSERT_NEW, _values(entry))
                if cursor.rowcount:
                    added.append(replace(entry, id=cursor.lastrowid))
        return added

    def remove(self, entry_id: int) -> Entry:
        """Takes an entry back (the person's summary is kept right by the journal's trigger);
        the entry removed, or an OutreachError where the journal has no entry of that number."""
        with self.transaction() as db:
            row = db.execute(f"SELECT {_READ} FROM entries WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                raise OutreachError(Problem(self.where, f"there is no entry {entry_id}"))
            # The trigger sums the person up again from all their entries: the sends not yet
            # in the summaries go in first, or they would count twice.
            _fold_staged(db)
            _fold_sent(db)
            db.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
            _fold_sent(db)  # the highest id may be free again: `upto` comes down with it
        return _entry(row)

    def reading(self) -> sqlite3.Connection:
        """The connection to read entries and summaries through: the sends staged through it
        are folded in first (those of other connections were folded when it was opened)."""
        if self._staged_here:
            self.summarise_sent()
        return self.db

    def summarise_sent(self) -> None:
        """The messages outreach sent, staged or not yet in the summaries table, put into
        the entries and the summaries in one transaction (a send run does this once it is
        over, its own and those of a run that was cut off; see migrations 5 and 6). Nothing
        is written where there are none."""
        if _any_staged(self.db) or _unsummarised_sent(self.db):
            with self.transaction() as db:
                _fold_staged(db)
                _fold_sent(db)
        self._staged_here = False

    def entries(self, person: str | None = None) -> list[Entry]:
        if person is None:
            rows = self.reading().execute(f"SELECT {_READ} FROM entries ORDER BY at, id")
        else:
            rows = self.reading().execute(
                f"SELECT {_READ} FROM entries WHERE person = ? ORDER BY at, id", (person,)
            )
        return [_entry(row) for row in rows]

    def latest(self) -> dict[str, Entry]:
        """Each person's latest entry that is contact (not a bounce, an automatic reply or a
        note read from the mailbox: see summary.is_contact)."""
        # One pass with a window function: a subquery per person took 1.2 s at 20,000 entries.
        rows = self.reading().execute(
            f"""SELECT {_READ} FROM (
                    SELECT {_READ}, ROW_NUMBER() OVER (
                        PARTITION BY person ORDER BY at DESC, id DESC) AS place
                    FROM entries WHERE NOT (kind IN ('bounced', 'auto-reply')
                        OR (kind = 'note' AND via IS 'mailbox')))
                WHERE place = 1"""
        )
        return {entry.person: entry for entry in map(_entry, rows)}

    def sent_since(self, moment: datetime) -> int:
        row = self.db.execute(
            f"SELECT COUNT(*) FROM ({_SENT}) WHERE at >= ?",
            (moment.astimezone(UTC).isoformat(),),
        ).fetchone()
        return int(row[0])

    def oldest_sent_since(self, moment: datetime) -> datetime | None:
        row = self.db.execute(
            f"SELECT MIN(at) FROM ({_SENT}) WHERE at >= ?",
            (moment.astimezone(UTC).isoformat(),),
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    # --- attempts: at most once ------------------------------------------------

    def attempt(self, message_id: str) -> Attempt | None:
        row = self.db.execute(
            """SELECT message_id, person, draft, CASE
                    WHEN message_id IN (SELECT message_id FROM sent_staged) THEN 'sent'
                    ELSE outcome END, detail
                FROM attempts WHERE message_id = ?""",
            (message_id,),
        ).fetchone()
        return Attempt(*row) if row else None

    def unfinished(self) -> set[str]:
        """Message ids whose send was cut off: nobody knows whether they arrived."""
        rows = self.db.execute(
            "SELECT message_id FROM attempts WHERE outcome IS NULL "
            "AND message_id NOT IN (SELECT message_id FROM sent_staged)"
        )
        return {row[0] for row in rows}

    def sent_ids(self) -> set[str]:
        rows = self.db.execute(f"SELECT message_id FROM ({_SENT})")
        return {row[0] for row in rows}

    def begin_attempt(self, message_id: str, person: str, draft: str) -> None:
        """Recorded once the server accepted sender and recipient, right before the message.

        One statement, so it commits on its own (the connection is in autocommit mode).
        """
        # A plain try rather than naming_a_full_disk: this and record_sent run for every
        # message, and the statements are built once (sqlite3 keeps them compiled).
        try:
            self.db.execute(_BEGIN_ATTEMPT, (message_id, person, draft, now().isoformat()))
        except Exception as error:
            full = disk_full(error, self.where)
            if full is None:
                raise
            raise full from None

    def record_sent(self, entry: Entry) -> None:
        """The server accepted the message: its `sent` entry, staged, which is the attempt's
        outcome too (migration 6). One statement, so it commits on its own, whole or not at
        all; the entry reaches `entries` when the staged ones are folded in."""
        try:
            self.db.execute(_STAGE, _values(entry))
        except Exception as error:
            full = disk_full(error, self.where)
            if full is None:
                raise
            raise full from None
        self._staged_here = True

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


_SUMMARY = (
    "person, last_day, asks, gives, last_answer, last_sent, last_sent_follow_up, "
    "last_sent_kind, last_meeting, last_meeting_kind, last_thanks, last_contact_day, "
    "last_bounced"
)


def _any_staged(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sent_staged LIMIT 1").fetchone() is not None


def _fold_staged(db: sqlite3.Connection) -> None:
    """Inside a transaction: the staged `sent` entries into `entries`, in the order they were
    staged (one whose message id is there already is not written again), their attempts
    settled, and the summaries with them. A fold killed halfway is rolled back whole."""
    if not _any_staged(db):
        return
    # `WHERE true`: without it SQLite would read ON CONFLICT as the start of a join's ON.
    db.execute(
        f"INSERT INTO entries ({_COLUMNS}) SELECT {_COLUMNS} FROM sent_staged "
        "WHERE true ORDER BY rowid ON CONFLICT DO NOTHING"
    )
    # entries_settle_attempt settled those just written; these are those logged already.
    db.execute(
        """UPDATE attempts SET outcome = 'sent', finished_at = (
                SELECT MIN(at) FROM sent_staged AS s WHERE s.message_id = attempts.message_id)
            WHERE outcome IS NOT 'sent' AND message_id IN (SELECT message_id FROM sent_staged)"""
    )
    db.execute("DELETE FROM sent_staged")
    _fold_sent(db)


def _unsummarised_sent(db: sqlite3.Connection) -> dict[str, list[SentFacts]]:
    """The messages outreach sent that the summaries table does not hold yet, by person:
    those above `summarised.upto` (migration 5). Reads only the entries above it."""
    found: dict[str, list[SentFacts]] = {}
    for person, number, day, template_kind, follow_up in db.execute(
        "SELECT person, id, day, template_kind, follow_up_after FROM entries "
        "WHERE id > (SELECT upto FROM summarised) AND kind = 'sent' AND via IS 'outreach'"
    ):
        found.setdefault(person, []).append((number, day, template_kind, follow_up))
    return found


def _fold_sent(db: sqlite3.Connection) -> None:
    """Inside a transaction: the unsummarised sends put into the summaries table, and
    `upto` set to the highest entry, every entry up to it summarised now."""
    unsummarised = _unsummarised_sent(db)
    if unsummarised:
        import json

        stored = db.execute(
            f"SELECT {_SUMMARY} FROM summaries WHERE person IN (SELECT value FROM json_each(?))",
            (json.dumps(list(unsummarised)),),
        )
        found = {row[0]: Summary._make(row) for row in stored}
        db.executemany(
            f"INSERT OR REPLACE INTO summaries ({_SUMMARY}) VALUES ({', '.join('?' * 13)})",
            (
                with_sent(found.get(person) or Summary(person), sent)
                for person, sent in unsummarised.items()
            ),
        )
    db.execute("UPDATE summarised SET upto = (SELECT COALESCE(MAX(id), 0) FROM entries)")


def summaries(journal: Journal, as_of: date | None = None) -> dict[str, Summary]:
    """Each person's summary, as the `summaries` table keeps it, with the sends it does not
    hold yet; with `as_of`, of the entries dated on or before that day only (someone with
    none is left out)."""
    cutoff = (as_of or date.max).isoformat()
    db = journal.reading()
    rows = db.execute(f"SELECT {_SUMMARY} FROM summaries")
    found = {row[0]: Summary._make(row) for row in rows}
    for person, sent in _unsummarised_sent(db).items():
        found[person] = with_sent(found.get(person) or Summary(person), sent)
    later = [person for person, summary in found.items() if (summary.last_day or "") > cutoff]
    if not later:
        return found
    # The few with entries after the day: summed up again from their entries up to it.
    for person in later:
        del found[person]
    import json

    earlier = db.execute(
        "SELECT person, id, kind, day, template_kind, follow_up_after, via FROM entries "
        "WHERE day <= ? AND person IN (SELECT value FROM json_each(?)) "
        "ORDER BY person, day, id",
        (cutoff, json.dumps(later)),
    )
    for person, entries in groupby(earlier, key=lambda row: str(row[0])):
        found[person] = summarise(person, (row[1:] for row in entries))
    return found


def sent_requests(
    journal: Journal, as_of: date | None = None
) -> dict[str, list[tuple[str, int | None]]]:
    """Every request sent (on or before `as_of`), by person: its key and its follow_up_after
    in days."""
    found: dict[str, list[tuple[str, int | None]]] = {}
    for person, key, follow_up in journal.reading().execute(
        "SELECT person, day || '#' || printf('%012d', id), follow_up_after FROM entries "
        "WHERE kind = 'sent' AND template_kind = 'request' AND day <= ?",
        ((as_of or date.max).isoformat(),),
    ):
        found.setdefault(person, []).append((key, follow_up))
    return found


def exchanges(journal: Journal, person: str) -> list[Entry]:
    """One person's messages sent, replies, meetings and calls, in the order the due rules
    use: the day, then the order of logging (a reply logged for the day of a send is after it)."""
    rows = journal.reading().execute(
        f"SELECT {_READ} FROM entries WHERE person = ? "
        "AND kind IN ('sent', 'replied', 'met', 'call') ORDER BY day, id",
        (person,),
    )
    return [_entry(row) for row in rows]


def _check_via(entry: Entry) -> None:
    if entry.via is not None and entry.via not in VIAS:
        raise ValueError(f"{entry.via!r} is not a way an entry comes ({', '.join(VIAS)})")


def given_since_sent(journal: Journal) -> dict[str, list[Entry]]:
    """Each person's `gave` entries logged after the latest message sent to them (all of
    them where nothing was sent), oldest first: what a message need not offer again."""
    rows = journal.reading().execute(
        f"""SELECT {_READ} FROM entries AS g WHERE kind = 'gave' AND NOT EXISTS (
                SELECT 1 FROM entries AS s WHERE s.person = g.person AND s.kind = 'sent'
                AND (s.day > g.day OR (s.day = g.day AND s.id > g.id)))
            ORDER BY day, id"""
    )
    found: dict[str, list[Entry]] = {}
    for entry in map(_entry, rows):
        found.setdefault(entry.person, []).append(entry)
    return found


def open_journal(path: Path) -> Journal:
    return Journal(path)


def take_back(path: Path, entry_id: int) -> Entry:
    """`log remove`: the entry of that number taken out of the journal at path."""
    with existing_journal(path) as journal:
        if journal is None:
            raise OutreachError(Problem(f".outreach/{path.name}", f"there is no entry {entry_id}"))
        return journal.remove(entry_id)


@contextmanager
def existing_journal(path: Path) -> Iterator[Journal | None]:
    """The journal, opened once for what a command reads of it; None where nothing was ever
    logged (reading does not create it)."""
    if not path.exists():
        yield None
        return
    with open_journal(path) as journal:
        yield journal
