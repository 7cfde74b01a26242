"""Keeping in touch, with dates under control: due items, the plan, giving, the calendar."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.conftest import Invoke
from tests.helpers import TODAY, configure, day, flat, in_words, without_coach
from tests.smtp_server import PASSWORD, smtp_server


@pytest.fixture
def mail(run: Invoke, workspace: Path) -> Iterator[None]:
    """A real SMTP server that the workspace sends to."""
    with smtp_server() as (_, port):
        configure(workspace, port)
        yield


def send(run: Invoke, template: str, *people: str, extra: tuple[str, ...] = ()) -> None:
    drafted = run("draft", template, *people, *extra)
    assert drafted.exit_code == 0, drafted.output
    assert run("approve", "--all").exit_code == 0
    sent = run("send", "--yes", env={"OUTREACH_SMTP_PASSWORD": PASSWORD})
    assert sent.exit_code == 0, sent.output


def due(run: Invoke, as_of: str) -> list[dict[str, str]]:
    result = run("due", "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, str]] = json.loads(result.stdout)
    return rows


def reasons(run: Invoke, as_of: str, person: str) -> list[str]:
    return [row["reason"] for row in due(run, as_of) if row["person"] == person]


def log(run: Invoke, person: str, kind: str, on: str, note: str | None = None) -> None:
    args = ["log", "add", person, kind, "--on", on] + (["--note", note] if note else [])
    assert run(*args).exit_code == 0


def plan(run: Invoke, as_of: str | None = None) -> list[str]:
    result = run("plan", "--json", *(["--as-of", as_of] if as_of else []))
    assert result.exit_code == 0, result.output
    return [row["person"] for row in json.loads(result.stdout)]


def set_limit(workspace: Path, name: str, value: int) -> None:
    settings = workspace / "outreach.toml"
    settings.write_text(re.sub(rf"{name} = \d+", f"{name} = {value}", settings.read_text()))


# --- follow-ups ---------------------------------------------------------------


def test_a_request_falls_due_for_follow_up_after_its_time(run: Invoke, mail: None) -> None:
    send(run, "request", "ada")
    assert "follow-up" not in reasons(run, day(6), "ada-lovelace")
    rows = [r for r in due(run, day(7)) if r["reason"] == "follow-up"]
    assert rows == [
        {
            "person": "ada-lovelace",
            "reason": "follow-up",
            "due": day(7),
            "detail": f"request sent {TODAY}, no reply yet",
        }
    ]


@pytest.mark.parametrize("ending", ["replied", "met", "call"])
def test_a_reply_meeting_or_call_ends_the_follow_up(run: Invoke, mail: None, ending: str) -> None:
    send(run, "request", "ada")
    log(run, "ada", ending, day(3))
    assert "follow-up" not in reasons(run, day(30), "ada-lovelace")


def test_a_later_message_ends_the_follow_up(run: Invoke, mail: None) -> None:
    send(run, "request", "ada")
    send(run, "check-in", "ada")
    assert "follow-up" not in reasons(run, day(30), "ada-lovelace")


def test_a_note_does_not_end_the_follow_up(run: Invoke, mail: None) -> None:
    send(run, "request", "ada")
    log(run, "ada", "note", day(2), "saw her talk online")
    assert "follow-up" in reasons(run, day(8), "ada-lovelace")


def test_follow_up_drafts_for_those_due(run: Invoke, mail: None, workspace: Path) -> None:
    send(run, "request", "ada", "grace")
    log(run, "grace", "replied", TODAY.isoformat())
    drafted = run("draft", "follow-up", "--due")
    # Nothing is due yet today; the follow-up waits its seven days.
    assert drafted.exit_code == 0 and "0 drafts written" in drafted.stdout
    never = run("draft", "request", "--due")
    assert never.exit_code == 1 and "a request is never due" in never.stderr


def test_a_follow_up_with_nothing_to_follow_warns(run: Invoke, mail: None, workspace: Path) -> None:
    send(run, "request", "ada", "grace", "jose")
    send(run, "check-in", "mei")  # a message, but not a request
    log(run, "grace", "replied", TODAY.isoformat())  # the day of the send: after it
    log(run, "jose", "met", day(1))
    log(run, "ada", "note", day(1), "saw her talk online")  # a note answers nothing
    drafted = run("draft", "follow-up", "ada", "grace", "jose", "mei", "--note", "one more")
    assert drafted.exit_code == 0, drafted.output
    assert "4 drafts written" in drafted.stdout
    assert without_coach(drafted.stderr) == [
        f"Warning: Grace Hopper (grace-hopper) replied on {TODAY}, after your request of "
        f"{TODAY}: this follow-up has nothing to follow",
        f"Warning: José Núñez (jose-nunez) met with you on {day(1)}, after your request of "
        f"{TODAY}: this follow-up has nothing to follow",
        "Warning: Mei Chen (mei-chen) was never sent a request (the journal has none): "
        "this follow-up has nothing to follow",
    ]
    # Any template of kind follow-up; a call counts too; a new request is something to follow.
    made = run("templates", "new", "nudge", "--kind", "follow-up", "--no-edit")
    assert made.exit_code == 0, made.output
    log(run, "ada", "call", day(2))
    send(run, "request", "grace")
    nudged = run("draft", "nudge", "ada", "grace")
    assert nudged.exit_code == 0, nudged.output
    assert without_coach(nudged.stderr) == [
        f"Warning: Ada Lovelace (ada-lovelace) had a call with you on {day(2)}, after your "
        f"request of {TODAY}: this follow-up has nothing to follow",
    ]


def test_a_follow_up_in_a_workspace_without_a_journal_warns(run: Invoke, workspace: Path) -> None:
    drafted = run("draft", "follow-up", "ada")
    assert drafted.exit_code == 0, drafted.output
    assert without_coach(drafted.stderr) == [
        "Warning: Ada Lovelace (ada-lovelace) was never sent a request (the journal has none): "
        "this follow-up has nothing to follow"
    ]
    assert not (workspace / ".outreach" / "journal.sqlite").exists()


# --- thank-yous ---------------------------------------------------------------


def test_a_meeting_makes_a_thank_you_due_that_day(run: Invoke) -> None:
    log(run, "jose", "met", day(-2), "his move from agency work into climate tech")
    assert due(run, day(-2)) == [] or "thank-you" in reasons(run, day(-2), "jose-nunez")
    rows = [r for r in due(run, day(0)) if r["person"] == "jose-nunez"]
    thank = next(r for r in rows if r["reason"] == "thank-you")
    assert thank["due"] == day(-2)
    assert thank["detail"] == f"a meeting on {day(-2)}, no thank-you sent since"


def test_thank_drafts_from_the_latest_meeting_and_sending_settles_it(
    run: Invoke, mail: None, workspace: Path
) -> None:
    log(run, "jose", "call", day(-1), "the Gridwise design team")
    thanked = run("thank", "jose")
    assert thanked.exit_code == 0, thanked.output
    text = (workspace / "drafts" / "jose-nunez--thank-you.md").read_text()
    assert "Thank you for the call on " + in_words(day(-1)) in flat(text)
    assert "the Gridwise design team" in flat(text)
    assert run("approve", "jose-nunez").exit_code == 0
    assert run("send", "--yes", env={"OUTREACH_SMTP_PASSWORD": PASSWORD}).exit_code == 0
    assert "thank-you" not in reasons(run, day(0), "jose-nunez")
    log(run, "jose", "met", day(0))
    assert "thank-you" in reasons(run, day(0), "jose-nunez")


def test_thank_without_a_meeting_warns(run: Invoke) -> None:
    result = run("thank", "grace", "--note", "the portfolio tips")
    assert result.exit_code == 0
    assert "no meeting or call with Grace Hopper (grace-hopper) is logged" in result.stderr


def test_thank_again_is_refused_unless_replace(run: Invoke, workspace: Path) -> None:
    path = workspace / "drafts" / "jose-nunez--thank-you.md"
    log(run, "jose", "met", day(-1), "the Gridwise design team")
    assert run("thank", "jose").exit_code == 0
    first = path.read_text()
    again = run("thank", "jose", "--note", "the portfolio advice")
    assert again.exit_code == 1
    assert "add --replace to draft it again" in again.stderr
    assert path.read_text() == first
    replaced = run("thank", "jose", "--replace", "--note", "the portfolio advice")
    assert replaced.exit_code == 0, replaced.output
    assert replaced.stdout == "drafted drafts/jose-nunez--thank-you.md. Next: outreach review\n"
    text = path.read_text()
    assert "the portfolio advice" in flat(text) and "the Gridwise design team" not in flat(text)
    message_id = re.compile(r"^message_id: .*$", re.MULTILINE)
    assert message_id.findall(text) == message_id.findall(first)  # the same message, redrawn


# --- check-ins ------------------------------------------------------------------


def test_check_in_falls_due_from_last_contact_and_any_contact_resets_it(run: Invoke) -> None:
    # Ada: keep_in_touch 60d, last_contact 2026-09-14 in contacts.yaml.
    assert next(r for r in due(run, "2026-11-13") if r["person"] == "ada-lovelace") == {
        "person": "ada-lovelace",
        "reason": "check-in",
        "due": "2026-11-13",
        "detail": "keep in touch every 60d; last contact 2026-09-14",
    }
    assert "check-in" not in reasons(run, "2026-11-12", "ada-lovelace")
    log(run, "ada", "received", "2026-11-01", "a postcard from Lisbon")
    assert "check-in" not in reasons(run, "2026-12-30", "ada-lovelace")
    assert "check-in" in reasons(run, "2026-12-31", "ada-lovelace")


def test_with_no_contact_at_all_a_check_in_is_due_now(run: Invoke) -> None:
    mei = [r for r in due(run, "2026-10-01") if r["person"] == "mei-chen"]
    assert mei == [
        {
            "person": "mei-chen",
            "reason": "check-in",
            "due": "2026-10-01",
            "detail": "keep in touch every 30d; no contact yet",
        }
    ]


def test_due_lists_the_most_overdue_first_and_reads_at_a_glance(run: Invoke) -> None:
    log(run, "mei", "note", "2026-10-01")
    rows = due(run, "2026-12-01")
    assert [r["due"] for r in rows] == sorted(r["due"] for r in rows)
    table = run("due", "--as-of", "2026-12-01")
    assert table.exit_code == 0
    first = table.stdout.splitlines()[1]
    assert "2026-10-31" in first and "31d" in first and "Mei Chen" in first


def test_check_in_drafts_for_everyone_due_but_doubts_and_no_email(
    run: Invoke, workspace: Path
) -> None:
    result = run("draft", "check-in", "--due")
    assert result.exit_code == 0, result.output
    drafted = sorted(p.name for p in (workspace / "drafts").glob("*.md"))
    assert drafted == [
        "ada-lovelace--check-in.md",
        "grace-hopper--check-in.md",
        "jose-nunez--check-in.md",
        "mei-chen--check-in.md",
    ]


# --- the plan ---------------------------------------------------------------------


def test_plan_order_and_cap(run: Invoke, workspace: Path) -> None:
    assert plan(run) == ["jose-nunez", "ada-lovelace"]  # like and can help; never seen first
    set_limit(workspace, "max_new", 10)
    assert plan(run) == ["jose-nunez", "ada-lovelace", "grace-hopper", "mei-chen"]
    reasons_text = json.loads(run("plan", "--json").stdout)[0]["reason"]
    assert reasons_text == "you like them and they can help; no contact logged yet"


def test_plan_never_proposes_doubts_or_no_email(run: Invoke, workspace: Path) -> None:
    set_limit(workspace, "max_new", 10)
    assert {"tom-baker", "priya-raman"}.isdisjoint(plan(run))


def test_a_drafted_request_counts_and_a_reply_frees_the_cap(
    run: Invoke, mail: None, workspace: Path
) -> None:
    assert run("draft", "request", "--plan").exit_code == 0
    drafted = sorted(p.name for p in (workspace / "drafts").glob("*.md"))
    assert drafted == ["ada-lovelace--request.md", "jose-nunez--request.md"]
    assert plan(run) == []
    assert "2 of 2 requests still wait" in run("plan").stdout
    assert run("approve", "--all").exit_code == 0
    assert run("send", "--yes", env={"OUTREACH_SMTP_PASSWORD": PASSWORD}).exit_code == 0
    assert plan(run, day(13)) == []
    log(run, "jose", "replied", day(1))
    assert plan(run, day(2)) == ["grace-hopper"]
    # Unanswered, a request stops counting after twice its follow_up_after.
    assert plan(run, day(14)) == ["grace-hopper", "mei-chen"]


# --- giving -------------------------------------------------------------------------


def test_a_third_request_without_giving_warns_until_something_is_given(
    run: Invoke, mail: None
) -> None:
    send(run, "request", "ada")
    send(run, "request", "ada")
    third = run("draft", "request", "ada")
    assert third.exit_code == 0
    assert "Ada Lovelace (ada-lovelace) has had 2 requests and nothing given back" in third.stderr
    assert "Your goal offers: I'd be glad to share the user-research templates" in third.stderr
    contacts = json.loads(run("contacts", "--json").stdout)
    ada = next(c for c in contacts if c["id"] == "ada-lovelace")
    assert (ada["asks"], ada["gives"], ada["last_contact"]) == (2, 0, TODAY.isoformat())
    log(run, "ada", "gave", day(0), "the research templates")
    again = run("draft", "request", "ada", "--replace")
    assert again.exit_code == 0 and "nothing given back" not in again.stderr
    table = run("contacts").stdout
    assert re.search(r"ada-lovelace .* 2 +1 ", table)


# --- as of a day: what was logged after it has not happened yet ------------------------


def test_due_as_of_a_day_leaves_out_entries_after_it(run: Invoke, mail: None) -> None:
    send(run, "request", "ada")
    log(run, "ada", "replied", day(10))
    log(run, "mei", "note", day(20), "ran into her at the gym")
    early = {(r["person"], r["reason"]): r for r in due(run, day(8))}
    assert early[("ada-lovelace", "follow-up")]["due"] == day(7)
    assert early[("mei-chen", "check-in")] == {
        "person": "mei-chen",
        "reason": "check-in",
        "due": day(8),
        "detail": "keep in touch every 30d; no contact yet",
    }
    late = {(r["person"], r["reason"]) for r in due(run, day(20))}
    assert ("ada-lovelace", "follow-up") not in late and ("mei-chen", "check-in") not in late


def test_due_today_and_draft_due_leave_out_entries_logged_for_later(
    run: Invoke, workspace: Path
) -> None:
    log(run, "mei", "note", day(1), "dinner booked for tomorrow")
    assert "check-in" in reasons(run, day(0), "mei-chen")
    assert any(r["person"] == "mei-chen" for r in json.loads(run("due", "--json").stdout))
    assert run("draft", "check-in", "--due").exit_code == 0
    assert (workspace / "drafts" / "mei-chen--check-in.md").exists()


def test_plan_as_of_a_day_leaves_out_entries_after_it(run: Invoke, mail: None) -> None:
    send(run, "request", "ada", "jose")
    log(run, "jose", "replied", day(10))
    assert plan(run, day(-1)) == ["jose-nunez", "ada-lovelace"]  # as before anything was sent
    assert plan(run, day(5)) == []  # both requests still wait for an answer
    assert plan(run, day(10)) == ["grace-hopper"]


def test_the_calendar_as_of_a_day_leaves_out_entries_after_it(run: Invoke) -> None:
    log(run, "mei", "note", day(20))
    result = run("export", "ics", "--as-of", day(1))
    events = {str(e["summary"]): e for e in Calendar.from_ical(result.stdout_bytes).walk("VEVENT")}
    assert events["Check-in: Mei Chen"].decoded("dtstart") == TODAY + timedelta(days=1)


# --- calendar and CSV ------------------------------------------------------------------


def test_the_calendar_holds_every_due_item_with_stable_uids(run: Invoke, workspace: Path) -> None:
    log(run, "jose", "met", "2026-11-20", "portfolio advice")
    first = workspace / "first.ics"
    assert run("export", "ics", str(first), "--as-of", "2026-11-22").exit_code == 0
    calendar = Calendar.from_ical(first.read_bytes())
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        "Check-in: Ada Lovelace",
        "Check-in: José Núñez",
        "Check-in: Grace Hopper",
        "Check-in: Mei Chen",
        "Thank-you: José Núñez",
    }
    thanks = events["Thank-you: José Núñez"]
    assert thanks.decoded("dtstart") == date(2026, 11, 20)
    assert thanks.decoded("dtend") == date(2026, 11, 21)
    assert "a meeting on 2026-11-20" in str(thanks["description"])
    log(run, "ada", "call", "2026-11-21")
    second = run("export", "ics", "--as-of", "2026-11-22")
    again = Calendar.from_ical(second.stdout_bytes)
    uids_first = {str(e["uid"]) for e in calendar.walk("VEVENT")}
    uids_again = {str(e["uid"]) for e in again.walk("VEVENT")}
    assert uids_first < uids_again  # the same events keep their UIDs; Ada's thank-you is new
    moved = next(e for e in again.walk("VEVENT") if str(e["summary"]) == "Check-in: Ada Lovelace")
    assert moved.decoded("dtstart") == date(2027, 1, 20)


def test_the_journal_exports_as_csv(run: Invoke) -> None:
    log(run, "ada", "met", "2026-11-20", "coffee, then a walk")
    log(run, "grace", "gave", "2026-11-21", 'the "research" templates')
    result = run("export", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["person"], r["kind"], r["note"]) for r in rows] == [
        ("ada-lovelace", "met", "coffee, then a walk"),
        ("grace-hopper", "gave", 'the "research" templates'),
    ]
    assert rows[0]["at"].startswith("2026-11-20T")
