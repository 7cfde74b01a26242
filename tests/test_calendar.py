"""`export ics` over time: events that change, events no longer due, and what is remembered."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.conftest import Installed, Invoke
from tests.helpers import configure, day
from tests.smtp_server import PASSWORD, smtp_server


def export(run: Invoke, workspace: Path, *extra: str) -> dict[str, Any]:
    """The events of a fresh `export ics FILE`, by summary."""
    path = workspace / "outreach.ics"
    result = run("export", "ics", str(path), *extra)
    assert result.exit_code == 0, result.output
    return {str(e["summary"]): e for e in Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def remove_person(workspace: Path, name: str) -> str:
    """contacts.yaml without NAME's entry; returns the entry's text."""
    path = workspace / "contacts.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"- name: {name}\n")
    end = text.find("\n- name: ", start)
    entry = text[start : end + 1] if end != -1 else text[start:]
    path.write_text(text.replace(entry, ""), encoding="utf-8")
    return entry


def test_every_event_carries_sequence_and_last_modified(run: Invoke, workspace: Path) -> None:
    events = export(run, workspace)
    assert events
    for event in events.values():
        assert int(event["sequence"]) == 0
        assert event.decoded("last-modified").tzinfo is not None
        assert "status" not in event
    again = export(run, workspace)
    for summary, event in again.items():  # nothing changed: nothing to take again
        assert int(event["sequence"]) == 0
        assert event.decoded("last-modified") == events[summary].decoded("last-modified")


def test_a_settled_thank_you_is_cancelled_under_its_uid(run: Invoke, workspace: Path) -> None:
    assert run("log", "add", "jose", "met", "--on", day(-1)).exit_code == 0
    before = export(run, workspace)
    thanks = before["Thank-you: José Núñez"]
    assert int(thanks["sequence"]) == 0

    with smtp_server() as (_, port):
        configure(workspace, port)
        assert run("thank", "jose").exit_code == 0
        assert run("approve", "--all").exit_code == 0
        sent = run("send", "--yes", env={"OUTREACH_SMTP_PASSWORD": PASSWORD})
        assert sent.exit_code == 0, sent.output

    after = export(run, workspace)
    cancelled = after["Thank-you: José Núñez"]
    assert str(cancelled["uid"]) == str(thanks["uid"])
    assert str(cancelled["status"]) == "CANCELLED"
    assert int(cancelled["sequence"]) == 1
    assert cancelled.decoded("dtstart") == thanks.decoded("dtstart")
    assert cancelled.decoded("last-modified") >= thanks.decoded("last-modified")
    # José's check-in moved (the thank-you is contact): the same event, taken again
    moved = after["Check-in: José Núñez"]
    assert str(moved["uid"]) == str(before["Check-in: José Núñez"]["uid"])
    assert int(moved["sequence"]) == 1 and "status" not in moved
    # Ada's did not change at all
    ada_before, ada_after = before["Check-in: Ada Lovelace"], after["Check-in: Ada Lovelace"]
    assert int(ada_after["sequence"]) == 0
    assert ada_after.decoded("last-modified") == ada_before.decoded("last-modified")

    again = export(run, workspace)  # cancelled once: written the same while it is kept
    assert int(again["Thank-you: José Núñez"]["sequence"]) == 1
    assert str(again["Thank-you: José Núñez"]["status"]) == "CANCELLED"


def test_a_cancelled_event_is_written_for_30_days(run: Invoke, workspace: Path) -> None:
    export(run, workspace)
    entry = remove_person(workspace, "Mei Chen")
    cancelled = export(run, workspace)["Check-in: Mei Chen"]
    assert str(cancelled["status"]) == "CANCELLED"
    assert int(cancelled["sequence"]) == 1
    still = export(run, workspace, "--as-of", day(30))["Check-in: Mei Chen"]
    assert str(still["status"]) == "CANCELLED" and int(still["sequence"]) == 1
    assert "Check-in: Mei Chen" not in export(run, workspace, "--as-of", day(31))

    # Back in contacts.yaml: the same UID, due again, above every sequence written before
    path = workspace / "contacts.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + entry, encoding="utf-8")
    back = export(run, workspace)["Check-in: Mei Chen"]
    assert str(back["uid"]) == str(cancelled["uid"])
    assert int(back["sequence"]) == 2 and "status" not in back


def test_standard_output_is_remembered_too(run: Invoke, workspace: Path) -> None:
    first = run("export", "ics")
    assert first.exit_code == 0
    remove_person(workspace, "Mei Chen")
    second = Calendar.from_ical(run("export", "ics").stdout_bytes)
    mei = next(e for e in second.walk("VEVENT") if str(e["summary"]) == "Check-in: Mei Chen")
    assert str(mei["status"]) == "CANCELLED"


def real_memory(run: Invoke, workspace: Path) -> bytes:
    export(run, workspace)
    return (workspace / ".outreach" / "calendar.json").read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],  # cut off
        lambda data: b"\xff\xfe" + data,  # not UTF-8
        lambda data: data.replace(b'"sequence": 0', b'"sequence": "zero"', 1),
        lambda data: data.replace(b'"modified": "', b'"modified": "last week', 1),
        lambda data: json.dumps({"format": "outreach-calendar-99", "events": []}).encode(),
        lambda data: b"[1, 2, 3]",
        lambda data: json.dumps({"format": "outreach-calendar-1", "events": [1]}).encode(),
    ],
    ids=["empty", "cut-off", "not-utf8", "sequence", "time", "format", "list", "event"],
)
def test_a_damaged_memory_is_a_clear_error(
    run: Invoke, workspace: Path, run_installed: Installed, damage: Callable[[bytes], bytes]
) -> None:
    memory = workspace / ".outreach" / "calendar.json"
    memory.write_bytes(damage(real_memory(run, workspace)))
    damaged = memory.read_bytes()
    target = workspace / "new.ics"
    result = run_installed("--workspace", str(workspace), "export", "ics", str(target))
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: .outreach/calendar.json: cannot be read (")
    assert "delete it to start afresh" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not target.exists()
    assert memory.read_bytes() == damaged


def test_the_memory_is_written_with_the_calendar_or_not_at_all(
    run: Invoke, workspace: Path
) -> None:
    memory = workspace / ".outreach" / "calendar.json"
    before = real_memory(run, workspace)
    remove_person(workspace, "Mei Chen")
    blocked = workspace / "not-a-folder"
    blocked.write_text("a file where the calendar's folder would be\n")
    result = run("export", "ics", str(blocked / "outreach.ics"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert memory.read_bytes() == before  # Mei's cancellation was not written anywhere
    assert not list(memory.parent.glob(".calendar.json.*"))  # no temporary file left
    cancelled = export(run, workspace)["Check-in: Mei Chen"]
    assert int(cancelled["sequence"]) == 1
