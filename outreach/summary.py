"""What the due rules need to know of one person's journal, free of the database."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class Summary(NamedTuple):
    """One person's journal in brief, as the journal's `summaries` table keeps it.

    Entries are ordered by a key `YYYY-MM-DD#000000000042`: the day, then the order of
    logging, so a reply logged for the day of a send counts as after it.
    """

    person: str
    last_day: str | None = None  # YYYY-MM-DD of the latest entry
    asks: int = 0  # requests sent
    gives: int = 0  # `gave` entries
    last_answer: str | None = None  # key of the latest reply, meeting or call
    last_sent: str | None = None  # key of the latest message sent
    last_sent_follow_up: int | None = None  # its follow_up_after, in days
    last_sent_kind: str | None = None  # its template's kind
    last_meeting: str | None = None  # key of the latest meeting or call
    last_meeting_kind: str | None = None  # met | call
    last_thanks: str | None = None  # key of the latest thank-you sent


def day_of(key: str) -> date:
    return date.fromisoformat(key[:10])


NOTHING = Summary("")
