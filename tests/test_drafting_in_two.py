"""A big batch into an empty drafts/ is drafted half in a second process (composing/drafting.py,
support/forked.py): the same drafts, record and output as drafting it all in one, every
problem reported, and nothing written where the second process fails or is lost."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import outreach.composing.drafting as drafting
import outreach.support.forked as forked
from tests.conftest import Invoke
from tests.helpers import assert_error, outreach_command, write

PEOPLE = 40


def contacts(count: int = PEOPLE) -> str:
    companies = ["Gridwise", "Harbor Labs", "Northwind", "Brightside"]
    return "".join(
        f"- name: Person{number:02d} Example\n"
        f"  email: person{number}@example.org\n"
        f"  how_we_know: {companies[number % 4]}, where we worked together\n"
        f"  company: {companies[(number + 1) % 4]}\n"
        f"  can_help: {'true' if number % 3 else 'false'}\n"
        for number in range(count)
    )


@pytest.fixture
def in_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches drafted in two processes, whatever the machine's CPUs."""
    monkeypatch.setattr(drafting, "IN_TWO_FROM", 4)
    monkeypatch.setattr(forked, "other_cpus", lambda: True)


def drafted_by(folder: Path) -> dict[str, set[str]]:
    """The process ids in the drafts' Message-IDs (<time.pid.random@domain>), by draft."""
    found: dict[str, set[str]] = {}
    for path in folder.glob("*.md"):
        pid = re.search(r"^message_id: <\d+\.(\d+)\.", path.read_text(encoding="utf-8"), re.M)
        assert pid is not None, path.name
        found.setdefault(pid[1], set()).add(path.name)
    return found


def without_ids(folder: Path) -> dict[str, str]:
    """Each draft's text but for the lines that differ between two runs."""
    return {
        path.name: re.sub(r"^(message_id|drafted): .*\n", "", path.read_text("utf-8"), flags=re.M)
        for path in sorted(folder.glob("*.md"))
    }


def test_two_processes_draft_what_one_does(
    workspace: Path, run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(workspace / "contacts.yaml", contacts())
    alone = run("draft", "request", "--all")
    assert alone.exit_code == 0, alone.output
    one = without_ids(workspace / "drafts")
    assert len(drafted_by(workspace / "drafts")) == 1
    for name in ("drafts", ".outreach"):
        os.rename(workspace / name, tmp_path / f"alone-{name}")

    monkeypatch.setattr(drafting, "IN_TWO_FROM", 4)
    monkeypatch.setattr(forked, "other_cpus", lambda: True)
    both = run("draft", "request", "--all")
    assert both.exit_code == 0, both.output
    assert both.stdout == alone.stdout  # the same drafts listed, in the same order
    assert both.stderr == alone.stderr  # the coach's count among them
    assert without_ids(workspace / "drafts") == one
    by_process = drafted_by(workspace / "drafts")
    assert len(by_process) == 2 and str(os.getpid()) in by_process
    assert sorted(map(len, by_process.values())) == [PEOPLE // 2, PEOPLE // 2]
    assert not [p for p in workspace.iterdir() if p.name.endswith(".tmp")]

    record: Any = orjson.loads((workspace / ".outreach" / "drafted.json").read_bytes())
    assert sorted(record["drafts"]) == sorted(one)
    for name, (_, inode, size, mtime, _) in record["drafts"].items():
        stat = (workspace / "drafts" / name).stat()  # the file each process wrote
        assert (inode, size, mtime) == (stat.st_ino, stat.st_size, stat.st_mtime_ns), name
    # Every draft as its record says it was written: a --replace rewrites none.
    stats = {p.name: p.stat().st_mtime_ns for p in (workspace / "drafts").iterdir()}
    again = run("draft", "request", "--all", "--replace")
    assert again.exit_code == 0, again.output
    assert f"{PEOPLE} unchanged (the waiting draft is already this text)" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (workspace / "drafts").iterdir()} == stats


def test_a_problem_in_the_second_half_stops_the_batch(
    workspace: Path, run: Invoke, in_two: None
) -> None:
    write(workspace / "contacts.yaml", contacts())
    template = workspace / "templates" / "request.md"
    text = template.read_text(encoding="utf-8")
    write(
        template,
        text.replace(
            "Hi {{ contact.first_name }},",
            '{% if contact.email == "person39@example.org" %}{{ contact.nope }}{% endif %}'
            "Hi {{ contact.first_name }},",
        ),
    )
    result = run("draft", "request", "--all")
    assert result.exit_code == 1
    assert_error(result, "templates/request.md:6", "contact.nope", "Person39 Example")
    assert not (workspace / "drafts").exists() or not list((workspace / "drafts").iterdir())
    assert not [p for p in workspace.iterdir() if p.name.endswith(".tmp")]


def test_a_second_process_lost_loses_nothing(
    workspace: Path, run: Invoke, in_two: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(workspace / "contacts.yaml", contacts())
    parent = os.getpid()
    render_for = drafting.render_for

    def killed_in_the_second(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return render_for(*args, **kwargs)

    monkeypatch.setattr(drafting, "render_for", killed_in_the_second)
    result = run("draft", "request", "--all")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: drafting stopped: the second process ended with status -9 before it was "
        "done; no draft was written"
    ]
    assert not (workspace / "drafts").exists() or not list((workspace / "drafts").iterdir())
    assert not [p for p in workspace.iterdir() if p.name.endswith(".tmp")]
    assert not (workspace / ".outreach" / "drafted.json").exists()


def test_a_small_batch_or_one_into_waiting_drafts_stays_in_one_process(
    workspace: Path, run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forked, "other_cpus", lambda: True)
    monkeypatch.setattr(drafting, "IN_TWO_FROM", PEOPLE + 1)
    write(workspace / "contacts.yaml", contacts())
    assert run("draft", "request", "--all").exit_code == 0
    assert len(drafted_by(workspace / "drafts")) == 1

    monkeypatch.setattr(drafting, "IN_TWO_FROM", 4)
    write(workspace / "contacts.yaml", contacts(PEOPLE + 10))
    assert run("draft", "request", "--all").exit_code == 0  # drafts/ holds drafts already
    assert len(drafted_by(workspace / "drafts")) == 1


def test_no_second_process_beside_another_thread() -> None:
    assert forked.other_cpus() == (len(os.sched_getaffinity(0)) > 1)
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    try:
        assert not forked.other_cpus()  # fork would copy this thread alone
    finally:
        stop.set()
        waiting.join()


def test_without_a_second_process_one_drafts_them_all(
    workspace: Path, run: Invoke, in_two: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(forked.os, "fork", no_fork)
    write(workspace / "contacts.yaml", contacts())
    result = run("draft", "request", "--all")
    assert result.exit_code == 0, result.output
    assert len(list((workspace / "drafts").glob("*.md"))) == PEOPLE
    assert len(drafted_by(workspace / "drafts")) == 1


def test_interrupted_in_two_leaves_nothing_and_no_process(workspace: Path) -> None:
    """Ctrl-C reaches both processes (the terminal signals its whole process group): no
    draft, no hidden folder, and neither process outlives the command."""
    write(workspace / "contacts.yaml", contacts(3_000))
    command = [*outreach_command(), "--workspace", str(workspace), "draft", "request", "--all"]
    with subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as drafting_run:
        try:
            deadline = time.monotonic() + 30
            while not list(workspace.glob(".drafts.*.tmp/*.md")):  # the first draft aside
                assert drafting_run.poll() is None, "finished before it could be interrupted"
                assert time.monotonic() < deadline
                time.sleep(0.002)
            os.killpg(drafting_run.pid, signal.SIGINT)
            drafting_run.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(drafting_run.pid, signal.SIGKILL)
    assert drafting_run.returncode != 0
    assert not list(workspace.glob("drafts/*.md"))
    assert not list(workspace.glob(".drafts.*"))
    deadline = time.monotonic() + 10
    while True:  # the group is empty once the second process has gone too
        try:
            os.killpg(drafting_run.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "a process of the command outlived it"
        time.sleep(0.01)
