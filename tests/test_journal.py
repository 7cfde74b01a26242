"""The journal: migrations, and the per-person summaries its trigger keeps."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import outreach.journal.database as journal_module
from outreach.journal.database import Entry, Journal, now, sent_requests, summaries
from outreach.journal.migrations import MIGRATIONS


def _random_journal(path: Path, entries: int, seed: int) -> Journal:
    journal = Journal(path)
    rng = random.Random(seed)
    kinds = ["sent", "replied", "met", "call", "gave", "received", "note"]
    for _ in range(entries):
        kind = rng.choice(kinds)
        sent = kind == "sent"
        journal.add(
            Entry(
                person=f"p{rng.randrange(12)}",
                kind=kind,
                at=now(),
                day=date(2026, 1, 1) + timedelta(days=rng.randrange(60)),
                template_kind=rng.choice(["request", "thank-you", "check-in"]) if sent else None,
                follow_up_after=rng.choice([None, 7, 14]) if sent else None,
            )
        )
    return journal


Row = tuple[str, str, str, int, "str | None", "int | None"]  # person, kind, day, id, kind, days


def _expected(rows: list[Row], person: str) -> tuple[object, ...]:
    """A person's summary worked out the slow way, from every entry."""
    mine = [r for r in rows if r[0] == person]

    def key(row: Row) -> str:
        return f"{row[2]}#{row[3]:012d}"

    def latest(rows: list[Row]) -> Row | None:
        return max(rows, key=key) if rows else None

    sent = latest([r for r in mine if r[1] == "sent"])
    meeting = latest([r for r in mine if r[1] in ("met", "call")])
    answer = latest([r for r in mine if r[1] in ("replied", "met", "call")])
    thanks = latest([r for r in mine if r[1] == "sent" and r[4] == "thank-you"])
    return (
        max(r[2] for r in mine),
        sum(r[1] == "sent" and r[4] == "request" for r in mine),
        sum(r[1] == "gave" for r in mine),
        key(answer) if answer else None,
        key(sent) if sent else None,
        sent[5] if sent else None,
        sent[4] if sent else None,
        key(meeting) if meeting else None,
        meeting[1] if meeting else None,
        key(thanks) if thanks else None,
    )


def test_the_trigger_keeps_each_persons_summary_exact(tmp_path: Path) -> None:
    journal = _random_journal(tmp_path / "journal.sqlite", 600, seed=7)
    rows = journal.db.execute(
        "SELECT person, kind, day, id, template_kind, follow_up_after FROM entries"
    ).fetchall()
    found = summaries(journal)
    assert set(found) == {r[0] for r in rows}
    for person, summary in found.items():
        assert tuple(summary[1:]) == _expected(rows, person)


def test_the_migration_fills_summaries_for_an_existing_journal(tmp_path: Path) -> None:
    journal = _random_journal(tmp_path / "journal.sqlite", 300, seed=3)
    kept = summaries(journal)
    # As a journal written before migration 2 was: no summaries, no trigger.
    journal.db.execute("DROP TRIGGER entries_summarise")
    journal.db.execute("DROP TABLE summaries")
    journal.db.execute("DELETE FROM migrations WHERE id = 2")
    journal.close()
    reopened = Journal(tmp_path / "journal.sqlite")
    assert summaries(reopened) == kept


def test_opening_twice_applies_each_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    Journal(path).close()
    with sqlite3.connect(path) as db:
        applied = [row[0] for row in db.execute("SELECT id FROM migrations ORDER BY id")]
    assert applied == list(range(1, len(MIGRATIONS) + 1))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_damaged_journal_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    try:
        Journal(path)
    except journal_module.OutreachError as error:
        assert "the journal cannot be opened" in str(error)
    else:
        raise AssertionError("a damaged journal opened")


def test_summaries_as_of_a_day_count_only_the_entries_up_to_it(tmp_path: Path) -> None:
    journal = _random_journal(tmp_path / "journal.sqlite", 600, seed=11)
    rows = journal.db.execute(
        "SELECT person, kind, day, id, template_kind, follow_up_after FROM entries"
    ).fetchall()
    assert summaries(journal, date(2030, 1, 1)) == summaries(journal)
    for cutoff in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 20), date(2026, 2, 28)):
        earlier = [r for r in rows if r[2] <= cutoff.isoformat()]
        found = summaries(journal, cutoff)
        assert set(found) == {r[0] for r in earlier}
        for person, summary in found.items():
            assert tuple(summary[1:]) == _expected(earlier, person)


def test_sent_requests_as_of_a_day_leave_out_later_ones(tmp_path: Path) -> None:
    journal = _random_journal(tmp_path / "journal.sqlite", 300, seed=5)
    cutoff = date(2026, 1, 30)
    every = sent_requests(journal)
    earlier = sent_requests(journal, cutoff)
    assert earlier and earlier != every
    assert earlier == {
        person: kept
        for person, keys in every.items()
        if (kept := [(key, days) for key, days in keys if key[:10] <= cutoff.isoformat()])
    }
