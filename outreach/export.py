"""Exports for other programs: .eml drafts for a mail program, the calendar, the journal as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from outreach.drafts import Draft, require_sound
from outreach.errors import DraftError, Problem
from outreach.files import atomic_write
from outreach.journal import Entry
from outreach.keeping import DueItem
from outreach.settings import Me

CSV_COLUMNS = (
    "person",
    "kind",
    "at",
    "note",
    "subject",
    "message_id",
    "template",
    "follow_up_after",
)


def export_eml(drafts: Sequence[Draft], me: Me, folder: Path) -> list[Path]:
    """One standard .eml per draft, marked `X-Unsent: 1` so mail programs open it as a draft."""
    from outreach.mail import build_message, message_bytes

    broken = [Problem(f"drafts/{d.name}", d.broken) for d in drafts if d.broken]
    if broken:
        raise DraftError(*broken)
    messages = []
    for draft in drafts:
        message = build_message(require_sound(draft), me, extra={"X-Unsent": "1"})
        data = message_bytes(message)
        messages.append((folder / (draft.path.stem + ".eml"), data))
    written = []
    for path, data in messages:
        atomic_write(path, data)
        written.append(path)
    return written


def journal_csv(entries: Iterable[Entry]) -> str:
    """The journal as CSV for a spreadsheet, one row per entry."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            (
                entry.person,
                entry.kind,
                entry.at.astimezone().isoformat(timespec="seconds"),
                entry.note or "",
                entry.subject or "",
                entry.message_id or "",
                entry.template or "",
                f"{entry.follow_up_after}d" if entry.follow_up_after is not None else "",
            )
        )
    return out.getvalue()


def due_calendar(items: Iterable[DueItem], me: Me, now: datetime | None = None) -> bytes:
    """Every due item as an all-day event; the UID is stable, so re-importing updates it."""
    from datetime import timedelta

    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//outreach//keeping in touch//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"outreach: {me.name}")
    stamp = now or datetime.now().astimezone()
    domain = me.email.rpartition("@")[2]
    for item in items:
        event = Event()
        event.add("uid", f"{item.reason}-{item.person.id}@outreach.{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due)
        event.add("dtend", item.due + timedelta(days=1))
        event.add("summary", f"{item.reason.capitalize()}: {item.person.name}")
        event.add("description", item.detail)
        event.add("categories", ["outreach", item.reason])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
