"""What the due rules need to know of one person's journal, free of the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Summary:
    """What the due rules need to know of one person's journal.

    `(day, id)` orders entries: a reply logged for the day of a send counts as after it.
    """

    person: str
    last_day: date | None = None
    last_answer: tuple[str, int] | None = None  # (day, id) of the latest reply, meeting or call
    last_sent: tuple[str, int] | None = None
    last_sent_follow_up: int | None = None
    last_sent_kind: str | None = None
    last_meeting: tuple[str, int] | None = None
    last_meeting_kind: str | None = None
    last_thanks: tuple[str, int] | None = None
    asks: int = 0
    gives: int = 0
    requests: tuple[tuple[str, int, int | None], ...] = ()  # sent requests: (day, id, follow-up)


NOTHING = Summary("")
