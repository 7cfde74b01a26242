"""Durations as people write them: days (`d`), weeks (`w`) or months (`m`, 30 days)."""

from __future__ import annotations

import re

_DURATION = re.compile(r"(\d{1,5})\s*([dwm])")
_DAYS_PER_UNIT = {"d": 1, "w": 7, "m": 30}
MAX_DAYS = 36_500  # a hundred years: longer is a typo, and dates that far out overflow
HELP = "a duration is a number of days, weeks or months such as 10d, 3w or 2m (at most 100 years)"


def parse_days(text: str) -> int | None:
    """The number of days a duration stands for, or None if it is not one."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    days = int(match.group(1)) * _DAYS_PER_UNIT[match.group(2)]
    return days if days <= MAX_DAYS else None


def format_days(days: int) -> str:
    """A number of days written back as a duration."""
    return f"{days}d"
