"""`contacts --json` writes the bytes an earlier run kept (.outreach/overview.json) only where
nothing they were made of has changed: contacts.yaml, the journal, the day, the version."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from outreach.cli import cli, setup_commands
from outreach.keeping import contacts_json, overview
from outreach.keeping.contacts_json import SETTLED, Sources
from outreach.workspace.folder import Workspace
from tests.conftest import Installed, Invoke
from tests.helpers import write
from tests.terminal import terminal

HOUR = 3600


@pytest.fixture
def settled(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example workspace's files as if last changed an hour ago. Their change times (which
    no program can set back) are as new as the test, so a stamp counts at once here."""
    monkeypatch.setattr(contacts_json, "SETTLED", -HOUR * 1_000_000_000)
    past = time.time() - HOUR
    for path in workspace.rglob("*"):
        os.utime(path, (past, past))
    return workspace


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[date]]:
    """The days the overview was made for (the real overview, counted)."""
    days: list[date] = []
    real = overview.people_overview

    def counted(workspace: Any, as_of: date | None = None) -> Any:
        days.append(as_of or date.today())
        return real(workspace, as_of)

    monkeypatch.setattr(overview, "people_overview", counted)
    yield days


def as_json(run: Invoke) -> bytes:
    result = run("contacts", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout_bytes


def kept(workspace: Path) -> Path:
    return workspace / ".outreach" / "overview.json"


def test_the_same_bytes_come_from_the_kept_file(
    run: Invoke, settled: Path, made: list[date]
) -> None:
    first = as_json(run)
    assert kept(settled).is_file()
    assert as_json(run) == first
    assert as_json(run) == first
    assert len(made) == 1  # made once, then written from the kept file
    assert first.endswith(b"]\n") and b'"id":"ada-lovelace"' in first


def test_a_changed_contacts_file_is_read_again(
    run: Invoke, settled: Path, made: list[date]
) -> None:
    first = as_json(run)
    contacts = settled / "contacts.yaml"
    text = contacts.read_text(encoding="utf-8")
    changed = text.replace("Ada Lovelace", "Ada Lovelacf")  # the same size
    assert len(changed) == len(text) and changed != text
    contacts.write_text(changed, encoding="utf-8")
    second = as_json(run)
    assert len(made) == 2
    assert b'"name":"Ada Lovelacf"' in second and b"Ada Lovelace" not in second
    assert second.count(b'"id"') == first.count(b'"id"')


def test_a_contacts_file_put_back_whole_is_read_again(
    run: Invoke, settled: Path, made: list[date]
) -> None:
    """An editor that saves by writing a new file and renaming it over the old one: the same
    bytes, size and times, but another file."""
    first = as_json(run)
    contacts = settled / "contacts.yaml"
    status = contacts.stat()
    copy = write(settled / "contacts.yaml.new", contacts.read_text(encoding="utf-8"))
    os.utime(copy, ns=(status.st_atime_ns, status.st_mtime_ns))
    copy.replace(contacts)
    assert as_json(run) == first
    assert len(made) == 2


def test_a_journal_entry_is_read(run: Invoke, settled: Path, made: list[date]) -> None:
    as_json(run)
    assert run("log", "add", "ada", "met").exit_code == 0
    after = as_json(run)
    assert len(made) == 2
    ada = next(row for row in after.split(b"},{") if b'"id":"ada-lovelace"' in row)
    assert f'"last_contact":"{date.today().isoformat()}"'.encode() in ada
    assert as_json(run) == after and len(made) == 2  # kept again, with the journal's stamp


def test_another_day_is_made_again(
    run: Invoke, settled: Path, made: list[date], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = as_json(run)
    tomorrow = date.today() + timedelta(days=1)
    monkeypatch.setattr(setup_commands, "date", SimpleNamespace(today=lambda: tomorrow))
    second = as_json(run)
    assert made == [date.today(), tomorrow]
    jose_due = f'"next_due":"{date.today().isoformat()}"'.encode()
    assert jose_due in first and jose_due not in second  # a check-in due "now" moved on


def test_another_version_makes_it_again(
    run: Invoke, settled: Path, made: list[date], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = as_json(run)
    monkeypatch.setattr(contacts_json, "FORMAT", "contacts-json-1 99.0")
    assert as_json(run) == first
    assert len(made) == 2


def test_a_damaged_kept_file_is_made_again(run: Invoke, settled: Path, made: list[date]) -> None:
    first = as_json(run)
    for damaged in (b"", b"garbage\n[]\n", b"contacts-json-1\n", b"\xff\xfe\n"):
        kept(settled).write_bytes(damaged)
        assert as_json(run) == first
    assert len(made) == 5


def test_a_broken_contacts_file_is_an_error_not_the_kept_rows(run: Invoke, settled: Path) -> None:
    as_json(run)
    write(settled / "contacts.yaml", "- name: Ada\n  email: not an address\n")
    result = run("contacts", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: contacts.yaml:2: ")


def test_files_changed_just_now_are_read_and_not_kept(
    run: Invoke, workspace: Path, made: list[date]
) -> None:
    """Within SETTLED of a change, a second change could keep the stamp: nothing is kept."""
    first = as_json(run)
    assert as_json(run) == first
    assert len(made) == 2
    assert not kept(workspace).exists()


def test_a_stamp_counts_once_its_file_has_settled() -> None:
    now = time.time_ns()
    changed = now - SETTLED - 1
    old = f"7:120:{changed}:{changed}"
    assert Sources(now, (old, "-", "-")).settled
    assert not Sources(now, (old, f"8:0:{now - 1}:{changed}", "-")).settled  # just written
    assert not Sources(now, (old, f"8:0:{changed}:{now - SETTLED}", "-")).settled  # touched
    assert Sources(now, ("-", "-", "-")).settled
    assert not Sources(now, (old, "?", "-")).settled  # a file that could not be looked at


def test_the_installed_command_writes_kept_bytes_to_a_pipe_but_not_a_terminal(
    workspace: Path, run_installed: Installed
) -> None:
    """A kept file made from these very files (its stamps taken, as far as it says, an hour
    from now, so they count): a pipe gets its bytes as they are, a terminal the indented rows."""
    sources = contacts_json.sources_now(Workspace(workspace))
    stamps = " ".join(sources.stamps)
    later = sources.taken_at + HOUR * 1_000_000_000
    first = f"{contacts_json.FORMAT} {date.today().isoformat()} {later} {stamps}\n"
    kept(workspace).write_bytes(first.encode() + b'["as kept"]\n')
    piped = run_installed("contacts", "--json", cwd=workspace)
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, '["as kept"]\n', "")
    with terminal("contacts", "--json", cwd=workspace) as screen:
        status, shown = screen.finish()
    assert status == 0
    assert shown.startswith('[\n  {\n    "id": "ada-lovelace"')


def test_kept_bytes_are_written_without_loading_people_or_the_journal(workspace: Path) -> None:
    logged = CliRunner().invoke(cli, ["--workspace", str(workspace), "log", "add", "ada", "met"])
    assert logged.exit_code == 0, logged.output
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from outreach.cli import cli\n"
        "from outreach.keeping import contacts_json\n"
        "contacts_json.SETTLED = -10**12\n"
        f"arguments = ['--workspace', {str(workspace)!r}, 'contacts', '--json']\n"
        "result = CliRunner().invoke(cli, arguments)\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'ada-lovelace' in result.stdout, result.stdout\n"
        "heavy = {'orjson', 'yaml', 'sqlite3', 'outreach.people.cache',\n"
        "         'outreach.keeping.overview'}\n"
        "print(sorted(heavy & sys.modules.keys()))\n"
    )
    made, again = (
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        for _ in range(2)
    )
    assert made.stdout.strip() != "[]"  # the first run made the rows: it loaded what that takes
    assert (again.stdout.strip(), again.stderr) == ("[]", "")
