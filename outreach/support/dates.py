"""Dates as people type them: `2026-11-22`, `today`, `-3d`, `+2w`, `friday`."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from outreach.support.durations import parse_days

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FORMS = (
    "YYYY-MM-DD, today, yesterday, tomorrow, a signed offset such as -3d, +2w or +1m "
    "(m is 30 days), or a weekday name such as monday"
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAMED = {"today": 0, "yesterday": -1, "tomorrow": 1}

Weekday = Literal["last", "next"]
"""Which day a weekday name means: the most recent one (`last`) or the next one (`next`);
either way today, when today is that day."""


def typed_day(text: str, today: date, weekday: Weekday) -> date | None:
    """The day that `text` names, counted from `today`; None if it names none."""
    word = text.strip().lower()
    if word in _NAMED:
        return today + timedelta(days=_NAMED[word])
    if word in WEEKDAYS:
        wanted = WEEKDAYS.index(word)
        if weekday == "next":
            return today + timedelta(days=(wanted - today.weekday()) % 7)
        return today - timedelta(days=(today.weekday() - wanted) % 7)
    try:
        if _ISO.fullmatch(word):
            return date.fromisoformat(word)
        if word[:1] in ("+", "-") and (days := parse_days(word[1:])) is not None:
            return today + timedelta(days=days if word[0] == "+" else -days)
    except (ValueError, OverflowError):  # 2026-02-30, or an offset past the year 9999
        return None
    return None
