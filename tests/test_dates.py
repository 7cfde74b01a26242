"""Dates a person types: every date option takes YYYY-MM-DD, today, -3d, +2w, friday ..."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from outreach.cli.app import TypedDay
from outreach.support.dates import WEEKDAYS, typed_day
from tests.conftest import Invoke
from tests.readme_help import commands

TUESDAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22", date(2026, 11, 22)),
        ("today", TUESDAY),
        ("yesterday", date(2026, 11, 30)),
        ("tomorrow", date(2026, 12, 2)),
        ("-3d", date(2026, 11, 28)),
        ("+3d", date(2026, 12, 4)),
        ("+2w", date(2026, 12, 15)),
        ("-1w", date(2026, 11, 24)),
        ("+1m", date(2026, 12, 31)),  # a month is 30 days, as in durations
        ("-2m", date(2026, 10, 2)),
        ("+0d", TUESDAY),
        ("+31d", date(2027, 1, 1)),
        ("Today", TUESDAY),
        ("  TOMORROW ", date(2026, 12, 2)),
        ("+2W", date(2026, 12, 15)),
    ],
)
def test_each_form_names_its_day(text: str, expected: date) -> None:
    assert typed_day(text, TUESDAY, "last") == expected
    assert typed_day(text, TUESDAY, "next") == expected


@pytest.mark.parametrize(
    ("text", "last", "next_one"),
    [
        ("monday", date(2026, 11, 30), date(2026, 12, 7)),
        ("tuesday", TUESDAY, TUESDAY),  # today, when today is that day
        ("wednesday", date(2026, 11, 25), date(2026, 12, 2)),
        ("sunday", date(2026, 11, 29), date(2026, 12, 6)),
        ("Friday", date(2026, 11, 27), date(2026, 12, 4)),
        ("SATURDAY", date(2026, 11, 28), date(2026, 12, 5)),
    ],
)
def test_a_weekday_is_the_last_one_or_the_next_one(text: str, last: date, next_one: date) -> None:
    assert typed_day(text, TUESDAY, "last") == last
    assert typed_day(text, TUESDAY, "next") == next_one


@pytest.mark.parametrize("today", [date(2026, 11, 23) + timedelta(days=n) for n in range(7)])
def test_every_weekday_from_every_day_of_a_week(today: date) -> None:
    for number, name in enumerate(WEEKDAYS):
        last = typed_day(name, today, "last")
        following = typed_day(name, today, "next")
        assert last is not None and following is not None
        assert last.weekday() == following.weekday() == number
        assert 0 <= (today - last).days <= 6 and 0 <= (following - today).days <= 6
        assert (last == today) == (following == today) == (today.weekday() == number)


def test_offsets_cross_months_years_and_leap_days() -> None:
    assert typed_day("+1d", date(2026, 12, 31), "next") == date(2027, 1, 1)
    assert typed_day("+1d", date(2028, 2, 28), "next") == date(2028, 2, 29)
    assert typed_day("-1d", date(2028, 3, 1), "last") == date(2028, 2, 29)
    assert typed_day("yesterday", date(2027, 1, 1), "last") == date(2026, 12, 31)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "3d",  # unsigned: past or future?
        "fridya",
        "next friday",
        "2026-02-30",
        "2026-1-5",
        "20261122",
        "2026-W48-2",
        "22/11/2026",
        "+3x",
        "+d",
        "+-3d",
        "+99999d",  # past the hundred years a duration may be
        "-2000000d",
    ],
)
def test_anything_else_names_no_day(text: str) -> None:
    assert typed_day(text, TUESDAY, "last") is None
    assert typed_day(text, TUESDAY, "next") is None


def test_an_offset_past_the_calendar_names_no_day() -> None:
    assert typed_day("+1d", date.max, "next") is None
    assert typed_day("-1d", date.min, "last") is None


# --- the options ------------------------------------------------------------------------


def test_every_date_option_is_the_one_type() -> None:
    """--on and --since mean the last weekday of that name, --as-of the next one."""
    found = {}
    for command, context in commands():
        for param in command.params:
            if param.name in ("on", "since", "as_of"):
                assert isinstance(param.type, TypedDay), context.command_path
                found[f"{context.command_path} {param.opts[0]}"] = param.type.weekday
    assert {name: way for name, way in found.items() if not name.endswith("--since")} == {
        "outreach due --as-of": "next",
        "outreach export ics --as-of": "next",
        "outreach log add --on": "last",
        "outreach plan --as-of": "next",
    }
    assert all(way == "last" for name, way in found.items() if name.endswith("--since"))


TODAY = date.today()


def weekday_of(offset: int) -> str:
    return WEEKDAYS[(TODAY + timedelta(days=offset)).weekday()]


@pytest.mark.parametrize(
    ("typed", "offset"),
    [
        ("today", 0),
        ("yesterday", -1),
        ("tomorrow", 1),
        ("-3d", -3),
        ("+2w", 14),
        ("+1m", 30),
        (weekday_of(-2).capitalize(), -2),  # the last one
        (weekday_of(0), 0),
    ],
)
def test_log_add_on_takes_every_form(run: Invoke, typed: str, offset: int) -> None:
    result = run("log", "add", "ada", "met", "--on", typed)
    expected = (TODAY + timedelta(days=offset)).isoformat()
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"logged met with Ada Lovelace (ada-lovelace) on {expected}")
    [entry] = json.loads(run("log", "--json").stdout)
    assert entry["at"].startswith(expected)


@pytest.mark.parametrize(
    ("typed", "offset"),
    [("tomorrow", 1), ("+5d", 5), ("-1w", -7), (weekday_of(3), 3), (weekday_of(0).upper(), 0)],
)
def test_due_and_plan_as_of_take_every_form(run: Invoke, typed: str, offset: int) -> None:
    # Mei has never been in touch: her check-in is due on the day asked about.
    result = run("due", "--as-of", typed, "--json")
    assert result.exit_code == 0, result.output
    mei = next(row for row in json.loads(result.stdout) if row["person"] == "mei-chen")
    assert mei["due"] == (TODAY + timedelta(days=offset)).isoformat()
    assert run("plan", "--as-of", typed).exit_code == 0


def test_export_ics_takes_a_typed_as_of(run: Invoke, tmp_path: Path) -> None:
    from icalendar import Calendar

    assert run("export", "ics", str(tmp_path / "week.ics"), "--as-of", "+1w").exit_code == 0
    calendar = Calendar.from_ical((tmp_path / "week.ics").read_bytes())
    mei = next(e for e in calendar.walk("VEVENT") if str(e["summary"]) == "Check-in: Mei Chen")
    assert mei.decoded("dtstart") == TODAY + timedelta(days=7)


@pytest.mark.parametrize(
    "args",
    [
        ("log", "add", "ada", "met", "--on", "fridya"),
        ("log", "add", "ada", "met", "--on", "3d"),
        ("due", "--as-of", "2026-02-30"),
        ("plan", "--as-of", "next week"),
        ("export", "ics", "--as-of", "22/11/2026"),
    ],
)
def test_a_bad_date_is_a_usage_error_that_lists_the_forms(
    run: Invoke, no_writes: None, args: tuple[str, ...]
) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert args[-2] in result.stderr  # the option, named by Click
    error = result.stderr
    assert f"'{args[-1]}' is not a date; use YYYY-MM-DD, today, yesterday, tomorrow" in error
    assert "-3d, +2w or +1m" in error and "a weekday name such as monday" in error
    assert "Traceback" not in result.output
