"""The journal: migrations, and the per-person summaries its trigger keeps."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

import outreach.journal.database as journal_module
from outreach.journal.database import (
    Entry,
    Journal,
    logged_entry,
    now,
    sent_requests,
    summaries,
)
from outreach.journal.migrations import MIGRATIONS
from outreach.support.text import ENTRY_KINDS, VIAS, EntryKind


def _random_journal(path: Path, entries: int, seed: int) -> Journal:
    journal = Journal(path)
    rng = random.Random(seed)
    for number in range(entries):
        kind = rng.choice(ENTRY_KINDS)
        sent = kind == "sent"
        journal.add(
            Entry(
                person=f"p{rng.randrange(12)}",
                kind=kind,
                at=now(),
                day=date(2026, 1, 1) + timedelta(days=rng.randrange(60)),
                template_kind=rng.choice(["request", "thank-you", "check-in"]) if sent else None,
                follow_up_after=rng.choice([None, 7, 14]) if sent else None,
                message_id=f"<{number}@example.org>" if rng.random() < 0.5 else None,
                via=rng.choice(VIAS),
            )
        )
    return journal


ROW_COLUMNS = "person, kind, day, id, template_kind, follow_up_after, via"
# person, kind, day, id, template kind, days, via
Row = tuple[str, str, str, int, "str | None", "int | None", "str | None"]


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
    bounce = latest([r for r in mine if r[1] == "bounced"])
    contact = [
        r[2]
        for r in mine
        if r[1] not in ("bounced", "auto-reply") and not (r[1] == "note" and r[6] == "mailbox")
    ]
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
        max(contact) if contact else None,
        key(bounce) if bounce else None,
    )


def test_the_trigger_keeps_each_persons_summary_exact(tmp_path: Path) -> None:
    journal = _random_journal(tmp_path / "journal.sqlite", 600, seed=7)
    rows = journal.db.execute(f"SELECT {ROW_COLUMNS} FROM entries").fetchall()
    found = summaries(journal)
    assert set(found) == {r[0] for r in rows}
    for person, summary in found.items():
        assert tuple(summary[1:]) == _expected(rows, person)


def _journal_of_version(path: Path, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A journal as outreach wrote it when it had only the first `version` migrations, with
    the entries a random journal of today holds (their columns of then)."""
    today = _random_journal(path.with_name("today.sqlite"), 300, seed=3)
    columns = "person, kind, at, day, note, subject, message_id, template, template_kind, "
    columns += "follow_up_after"
    rows = today.db.execute(
        f"SELECT {columns} FROM entries WHERE kind NOT IN ('bounced', 'auto-reply')"
    ).fetchall()
    today.close()
    with monkeypatch.context() as patch:
        patch.setattr(journal_module, "MIGRATIONS", MIGRATIONS[:version])
        old = Journal(path)
        with old.transaction() as db:
            db.executemany(f"INSERT INTO entries ({columns}) VALUES ({', '.join('?' * 10)})", rows)
        old.close()


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_the_migrations_fill_summaries_for_an_existing_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: int
) -> None:
    path = tmp_path / "journal.sqlite"
    _journal_of_version(path, version, monkeypatch)
    reopened = Journal(path)
    rows = reopened.db.execute(f"SELECT {ROW_COLUMNS} FROM entries").fetchall()
    found = summaries(reopened)
    assert set(found) == {r[0] for r in rows}
    for person, summary in found.items():
        assert tuple(summary[1:]) == _expected(rows, person)


def test_migration_4_says_how_each_existing_entry_came(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.sqlite"
    _journal_of_version(path, 3, monkeypatch)
    with Journal(path) as journal:
        found = {(e.kind, e.message_id is not None, e.via) for e in journal.entries()}
    # `send` wrote the sent entries with a message id; the rest were logged by hand.
    assert {via for kind, sent, via in found if kind == "sent" and sent} == {"outreach"}
    assert {via for kind, sent, via in found if not (kind == "sent" and sent)} == {"hand"}


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
    rows = journal.db.execute(f"SELECT {ROW_COLUMNS} FROM entries").fetchall()
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


def test_removing_entries_keeps_each_persons_summary_exact(tmp_path: Path) -> None:
    journal = _random_journal(tmp_path / "journal.sqlite", 400, seed=13)
    rng = random.Random(13)
    ids = [row[0] for row in journal.db.execute("SELECT id FROM entries")]
    gone = rng.sample(ids, 250)
    for number in gone:
        journal.remove(number)
    rows = journal.db.execute(f"SELECT {ROW_COLUMNS} FROM entries").fetchall()
    assert len(rows) == 150
    found = summaries(journal)
    assert set(found) == {r[0] for r in rows}
    for person, summary in found.items():
        assert tuple(summary[1:]) == _expected(rows, person)


def test_removing_a_persons_last_entry_leaves_no_summary(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.add(logged_entry("ada", "met", None, None))
        (entry,) = journal.entries("ada")
        assert entry.id is not None
        assert journal.remove(entry.id) == entry
        assert journal.entries() == []
        assert summaries(journal) == {}


def test_removing_an_entry_the_journal_does_not_hold_is_a_clear_error(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.add(logged_entry("ada", "met", None, None))
        with pytest.raises(journal_module.OutreachError, match="no entry 7"):
            journal.remove(7)
        assert len(journal.entries()) == 1


def _incoming(number: int, kind: EntryKind = "replied", via: str = "thread") -> Entry:
    return Entry(
        person="ada",
        kind=kind,
        at=now(),
        day=date(2026, 3, number),
        message_id=f"<in-{number}@example.org>",
        via=via,
    )


def test_add_new_adds_each_message_once_and_returns_what_it_added(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        first = journal.add_new([_incoming(1), _incoming(2, "auto-reply", "mailbox")])
        assert [(e.message_id, e.kind) for e in first] == [
            ("<in-1@example.org>", "replied"),
            ("<in-2@example.org>", "auto-reply"),
        ]
        assert first == journal.entries()  # as read back: with their ids, via and all
        assert all(e.id is not None for e in first)
        # Again, with one new and the same twice: only the new one, once.
        again = journal.add_new([_incoming(2, "auto-reply", "mailbox"), _incoming(3)] * 2)
        assert [e.message_id for e in again] == ["<in-3@example.org>"]
        assert len(journal.entries()) == 3
        assert journal.add_new([]) == []


def test_add_new_writes_all_or_nothing(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        broken = replace(_incoming(2), person=None)  # type: ignore[arg-type]
        with pytest.raises(sqlite3.IntegrityError):
            journal.add_new([_incoming(1), broken])
        assert journal.entries() == []
        assert summaries(journal) == {}


def test_an_entry_comes_by_one_of_the_known_ways(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        with pytest.raises(ValueError, match="carrier pigeon"):
            journal.add_new([_incoming(1, via="carrier pigeon")])
        with pytest.raises(ValueError, match="carrier pigeon"):
            journal.add(_incoming(1, via="carrier pigeon"))
        assert journal.entries() == []


def test_log_add_writes_by_hand_and_only_the_kinds_a_person_logs() -> None:
    assert logged_entry("ada", "sent", date(2026, 3, 1), "from my phone").via == "hand"
    for kind in ("bounced", "auto-reply"):
        with pytest.raises(ValueError, match="written by outreach"):
            logged_entry("ada", kind, None, None)


def test_the_latest_entry_templates_see_is_contact(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        met = logged_entry("ada", "met", date(2026, 3, 1), "coffee")
        journal.add(met)
        journal.add_new(
            [
                _incoming(2, "auto-reply", "mailbox"),
                _incoming(3, "bounced", "mailbox"),
                replace(_incoming(4, "note", "mailbox"), note="4.4.1 delayed"),
            ]
        )
        assert journal.latest()["ada"].note == "coffee"
        journal.add(logged_entry("ada", "note", date(2026, 3, 5), "by hand"))
        assert journal.latest()["ada"].note == "by hand"


def test_the_latest_entry_of_each_person_is_the_latest_contact_ties_broken_by_id(
    tmp_path: Path,
) -> None:
    rng = random.Random(23)
    first = now()
    with Journal(tmp_path / "journal.sqlite") as journal:
        for number in range(600):
            kind = rng.choice(ENTRY_KINDS)
            moment = first + timedelta(hours=rng.randrange(40))  # many share a moment
            journal.add(
                Entry(
                    person=f"p{rng.randrange(30)}",
                    kind=kind,
                    at=moment,
                    day=moment.date(),
                    note=f"entry {number}",
                    via=rng.choice(VIAS),
                )
            )
        everything = journal.entries()
        latest = journal.latest()
    contact = [
        entry
        for entry in everything
        if not (
            entry.kind in ("bounced", "auto-reply")
            or (entry.kind == "note" and entry.via == "mailbox")
        )
    ]
    expected: dict[str, Entry] = {}
    for entry in contact:
        known = expected.get(entry.person)
        if known is None or (entry.at, entry.id or 0) > (known.at, known.id or 0):
            expected[entry.person] = entry
    assert latest == expected
    assert len(expected) > 20 and len(everything) > len(contact)  # the case is not empty


def _stored(journal: Journal) -> dict[str, tuple[object, ...]]:
    """The summaries table itself, as written (not as `summaries` reads it)."""
    rows = journal.db.execute(f"SELECT {journal_module._SUMMARY} FROM summaries")
    return {row[0]: tuple(row[1:]) for row in rows}


def _sent(person: str, number: int, kind: str, day: date) -> Entry:
    return Entry(
        person=person,
        kind="sent",
        at=now(),
        day=day,
        message_id=f"<sent-{number}@example.org>",
        template=kind,
        template_kind=kind,
        follow_up_after=7 if kind == "request" else None,
        via="outreach",
    )


def _send(journal: Journal, person: str, number: int, kind: str, day: date) -> None:
    """What a send run writes for one message: the attempt, then the `sent` entry."""
    entry = _sent(person, number, kind, day)
    journal.begin_attempt(str(entry.message_id), person, f"{person}--{kind}.md")
    journal.record_sent(entry)


def _send_as_before(journal: Journal, person: str, number: int, kind: str, day: date) -> None:
    """What a send run wrote for one message before its entry was staged (migration 6): the
    attempt, then the `sent` entry straight into `entries`, whose trigger settles the attempt."""
    entry = _sent(person, number, kind, day)
    journal.begin_attempt(str(entry.message_id), person, f"{person}--{kind}.md")
    journal.db.execute(
        f"INSERT INTO entries ({journal_module._COLUMNS}) VALUES ({journal_module._PLACES})",
        journal_module._values(entry),
    )


def test_sends_are_summarised_when_read_and_once_folded_in(tmp_path: Path) -> None:
    journal = _random_journal(tmp_path / "journal.sqlite", 200, seed=17)
    journal.summarise_sent()
    rng = random.Random(17)
    for number in range(120):
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(90))
        person = f"p{rng.randrange(15)}"  # some of them new to the journal
        if rng.random() < 0.7:  # as a run of outreach before migration 6 left them, cut off
            kind = rng.choice(["request", "thank-you", "check-in"])
            _send_as_before(journal, person, number, kind, day)
        else:
            journal.add(logged_entry(person, rng.choice(["replied", "met", "gave"]), day, None))
    rows = journal.db.execute(f"SELECT {ROW_COLUMNS} FROM entries").fetchall()
    expected = {person: _expected(rows, person) for person in {r[0] for r in rows}}
    # The sends are not in the table yet, but every reader sees them.
    assert _stored(journal) != expected
    assert {p: tuple(s[1:]) for p, s in summaries(journal).items()} == expected
    journal.summarise_sent()  # as a send run does once it is over
    assert _stored(journal) == expected
    assert {p: tuple(s[1:]) for p, s in summaries(journal).items()} == expected
    journal.summarise_sent()  # again: nothing counts twice
    assert _stored(journal) == expected


def test_removing_entries_before_the_sends_are_folded_in_keeps_summaries_exact(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    journal.add(logged_entry("ada", "met", date(2026, 3, 1), None))
    _send(journal, "ada", 1, "thank-you", date(2026, 3, 2))
    _send(journal, "ada", 2, "request", date(2026, 3, 3))
    met, _, last = journal.entries("ada")
    assert met.id is not None and last.id is not None
    journal.remove(met.id)  # the trigger sums ada up again: her sends count once
    rows = journal.db.execute(f"SELECT {ROW_COLUMNS} FROM entries").fetchall()
    assert tuple(summaries(journal)["ada"][1:]) == _expected(rows, "ada")
    journal.remove(last.id)  # the highest id: the next entry may take its number again
    _send(journal, "ada", 3, "request", date(2026, 3, 4))
    assert journal.entries("ada")[-1].id == last.id
    rows = journal.db.execute(f"SELECT {ROW_COLUMNS} FROM entries").fetchall()
    assert tuple(summaries(journal)["ada"][1:]) == _expected(rows, "ada")
    journal.summarise_sent()
    assert _stored(journal) == {"ada": _expected(rows, "ada")}


def test_migration_5_keeps_every_attempt_and_what_became_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.sqlite"
    with monkeypatch.context() as patch:
        patch.setattr(journal_module, "MIGRATIONS", MIGRATIONS[:4])
        with Journal(path) as old:
            _send_as_before(old, "ada", 1, "request", date(2026, 3, 1))
            old.begin_attempt("<cut-off@example.org>", "mei", "mei--request.md")
            old.begin_attempt("<refused@example.org>", "grace", "grace--request.md")
            old.record_failed("<refused@example.org>", "550 no such user")
            before = old.db.execute("SELECT * FROM attempts ORDER BY message_id").fetchall()
    with Journal(path) as journal:
        assert journal.db.execute("SELECT * FROM attempts ORDER BY message_id").fetchall() == before
        assert journal.unfinished() == {"<cut-off@example.org>"}
        assert journal.sent_ids() == {"<sent-1@example.org>"}
        _send(journal, "mei", 2, "request", date(2026, 3, 2))  # its staged entry settles it
        assert journal.sent_ids() == {"<sent-1@example.org>", "<sent-2@example.org>"}
        assert tuple(summaries(journal)["ada"][1:3]) == ("2026-03-01", 1)
