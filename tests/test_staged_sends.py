"""A send's `sent` entries are staged (migration 6) and folded into the journal: when it is
opened, when the run is over and before any other change. Nothing staged is lost, nothing is
logged twice, and every reader sees the staged sends."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

from outreach.journal.database import Entry, Journal, logged_entry, now, summaries
from tests.conftest import Invoke
from tests.helpers import (
    PASSWORD_ENV,
    approve_requests,
    configure,
    outreach_command,
    send_again,
    statuses,
)
from tests.smtp_server import Behaviour, smtp_server

PEOPLE = ["ada-lovelace", "grace-hopper", "jose-nunez", "mei-chen"]
ADDRESSES = ["ada@example.org", "jose@example.org", "grace.hopper@example.org", "mei@example.org"]


def _journal_file(workspace: Path) -> Path:
    return workspace / ".outreach" / "journal.sqlite"


def _counts(path: Path) -> dict[str, int]:
    """The journal's rows as they are on disk, read without outreach (which would fold)."""
    with closing(sqlite3.connect(path)) as db:
        return {
            "staged": db.execute("SELECT COUNT(*) FROM sent_staged").fetchone()[0],
            "sent": db.execute("SELECT COUNT(*) FROM entries WHERE kind = 'sent'").fetchone()[0],
            "settled": db.execute(
                "SELECT COUNT(*) FROM attempts WHERE outcome = 'sent'"
            ).fetchone()[0],
        }


def _stored_asks(path: Path) -> dict[str, int]:
    """The summaries table itself (not as a reader adds the sends in)."""
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT person, asks FROM summaries"))


def _sent(person: str, number: int, day: date | None = None) -> Entry:
    moment = now()
    return Entry(
        person=person,
        kind="sent",
        at=moment,
        day=day or moment.astimezone().date(),
        subject="May I ask your advice?",
        message_id=f"<staged-{number}@example.org>",
        template="request",
        template_kind="request",
        follow_up_after=7,
        via="outreach",
    )


def _stage(journal: Journal, entry: Entry) -> None:
    """What a send run writes for a message the server accepted."""
    journal.begin_attempt(str(entry.message_id), entry.person, f"{entry.person}--request.md")
    journal.record_sent(entry)


def test_a_send_killed_after_staging_is_folded_in_once_when_the_journal_is_next_opened(
    run: Invoke, workspace: Path
) -> None:
    behaviour = Behaviour(stall_on="mei@example.org")  # the last of the four: no answer
    with smtp_server(behaviour) as (server, port):
        configure(workspace, port)
        approve_requests(run)
        batch = subprocess.Popen(
            [*outreach_command(), "--workspace", str(workspace), "send", "--yes"],
            env={**os.environ, **PASSWORD_ENV},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert behaviour.stalled.wait(30)
        batch.send_signal(signal.SIGKILL)  # before the run could fold its sends in
        batch.communicate()
        path = _journal_file(workspace)
        # Three messages went and were staged (the third while mei's sender was checked).
        assert _counts(path) == {"staged": 3, "sent": 0, "settled": 0}
        Journal(path).close()  # any command opening the journal folds them in
        assert _counts(path) == {"staged": 0, "sent": 3, "settled": 3}
        assert _stored_asks(path) == {"ada-lovelace": 1, "grace-hopper": 1, "jose-nunez": 1}
        Journal(path).close()
        behaviour.stall_on = None
        again = send_again(workspace)
    assert again.returncode == 0, again.stderr
    assert _counts(path) == {"staged": 0, "sent": 3, "settled": 3}  # nothing logged twice
    log = json.loads(run("log", "--json").stdout)
    assert sorted(entry["person"] for entry in log) == PEOPLE[:3]
    assert len({entry["message_id"] for entry in log}) == 3
    assert sorted(server.recipients()) == sorted(ADDRESSES)  # everything arrived, nothing twice
    assert statuses(run) == {"mei-chen": "unknown"}  # the one cut off, left to the person


def test_a_reader_while_a_send_runs_folds_what_went_and_the_run_still_logs_each_once(
    run: Invoke, workspace: Path
) -> None:
    path = _journal_file(workspace)
    seen: list[list[str]] = []

    def read_the_journal(arrived: int) -> None:  # another connection, while the run waits
        if arrived == 3:
            with Journal(path) as reader:
                seen.append([entry.person for entry in reader.entries()])

    with smtp_server(Behaviour(on_message=read_the_journal)) as (server, port):
        configure(workspace, port)
        approve_requests(run)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert len(seen) == 1 and len(seen[0]) == 2  # the two whose entries were staged by then
    assert len(server.recipients()) == 4
    assert _counts(path) == {"staged": 0, "sent": 4, "settled": 4}
    assert _stored_asks(path) == dict.fromkeys(PEOPLE, 1)


def test_log_contacts_and_due_see_staged_sends(run: Invoke, workspace: Path) -> None:
    path = _journal_file(workspace)
    run("log", "--json")  # the journal, created and empty
    empty = {command: run(*command).stdout for command in (("contacts", "--json"), ("due",))}
    with Journal(path) as journal:
        _stage(journal, _sent("ada-lovelace", 1, date.today() - timedelta(days=30)))
        _stage(journal, _sent("jose-nunez", 2))
    assert _counts(path) == {"staged": 2, "sent": 0, "settled": 0}
    staged = path.with_name("staged.sqlite")
    shutil.copyfile(path, staged)  # closed: the file holds everything

    def each_from_staged(*command: str) -> str:
        shutil.copyfile(staged, path)
        assert _counts(path)["staged"] == 2
        result = run(*command)
        assert result.exit_code == 0, result.output
        return result.stdout

    log = json.loads(each_from_staged("log", "--json"))
    assert [(e["person"], e["kind"], e["via"]) for e in log] == [
        ("ada-lovelace", "sent", "outreach"),
        ("jose-nunez", "sent", "outreach"),
    ]
    for command in (("contacts", "--json"), ("due",)):
        from_staged = each_from_staged(*command)
        folded = run(*command).stdout  # the journal folded by the command before
        assert from_staged == folded
        assert from_staged != empty[command]


def test_the_attempts_read_a_staged_entry_as_their_outcome_before_it_is_folded(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        _stage(journal, _sent("ada", 1))
        journal.begin_attempt("<cut-off@example.org>", "mei", "mei--request.md")
        with closing(sqlite3.connect(path)) as raw:  # on disk: not settled in `attempts` yet
            outcomes = dict(raw.execute("SELECT message_id, outcome FROM attempts"))
        assert outcomes == {"<staged-1@example.org>": None, "<cut-off@example.org>": None}
        assert journal.unfinished() == {"<cut-off@example.org>"}
        assert journal.sent_ids() == {"<staged-1@example.org>"}
        attempt = journal.attempt("<staged-1@example.org>")
        assert attempt is not None and attempt.outcome == "sent"
        assert journal.sent_since(now() - timedelta(days=1)) == 1
        assert journal.oldest_sent_since(now() - timedelta(days=1)) is not None
        # Read through the connection that staged them, the entries hold the sends.
        assert [entry.person for entry in journal.entries()] == ["ada"]
    assert _counts(path) == {"staged": 0, "sent": 1, "settled": 1}


def test_another_change_folds_the_staged_sends_first_so_they_keep_their_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    person = Journal(path)  # a command opened before the send below was staged
    sender = Journal(path)
    day = date(2026, 3, 2)
    _stage(sender, _sent("ada", 1, day))
    person.add(logged_entry("ada", "replied", day, "yes, gladly"))
    by_kind = {entry.kind: entry for entry in person.entries("ada")}
    sent, replied = by_kind["sent"], by_kind["replied"]
    assert sent.id is not None and replied.id is not None and sent.id < replied.id
    assert summaries(person)["ada"].last_answer == f"2026-03-02#{replied.id:012d}"
    _stage(sender, _sent("ada", 2, day))
    person.remove(replied.id)  # its trigger sums ada up again: the staged send is in it
    sender.close()
    person.close()
    assert _counts(path) == {"staged": 0, "sent": 2, "settled": 2}
    assert _stored_asks(path) == {"ada": 2}
    with Journal(path) as journal:
        assert summaries(journal)["ada"].last_answer is None


def test_a_staged_send_already_in_the_journal_is_not_logged_twice(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    entry = _sent("ada", 1)
    with Journal(path) as journal:
        journal.add_new([entry])  # found by sync in the Sent folder, say
        _stage(journal, entry)
        _stage(journal, entry)  # staged twice: a fold is keyed by message id
    assert _counts(path) == {"staged": 2, "sent": 1, "settled": 0}
    with Journal(path) as journal:
        assert [e.message_id for e in journal.entries()] == [entry.message_id]
        assert journal.sent_ids() == {entry.message_id}
        assert summaries(journal)["ada"].asks == 1
    assert _counts(path) == {"staged": 0, "sent": 1, "settled": 1}
