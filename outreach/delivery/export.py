"""Exports for other programs: .eml drafts for a mail program, the calendar, the journal as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from outreach.drafts.draft import Draft, require_sound
from outreach.journal.database import Entry
from outreach.keeping.rules import DueItem
from outreach.support.errors import DraftError, OutreachError, Problem
from outreach.support.files import atomic_write
from outreach.workspace.settings import Me

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


def export_eml(
    drafts: Sequence[Draft], me: Me, folder: Path, root: Path, max_mb: int = 20
) -> list[Path]:
    """One standard .eml per draft, marked `X-Unsent: 1` so mail programs open it as a draft;
    with its attachments (read from the workspace ROOT). Every draft is built before any
    file is written: a draft that cannot be is an error, and nothing is written."""
    from outreach.delivery.mail import full_message

    broken = [Problem(f"drafts/{d.name}", d.broken) for d in drafts if d.broken]
    if broken:
        raise DraftError(*broken)
    messages = []
    problems: list[Problem] = []
    for draft in drafts:
        try:
            _, data = full_message(require_sound(draft), me, root, max_mb, extra={"X-Unsent": "1"})
        except DraftError as error:
            problems.extend(error.problems)
            continue
        messages.append((folder / (draft.path.stem + ".eml"), data))
    if problems:
        raise DraftError(*problems)
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


CANCELLED_FOR = timedelta(days=30)  # how long an event no longer due is written as cancelled
_MEMORY_FORMAT = "outreach-calendar-1"


class CalendarEvent(NamedTuple):
    """An event as `export ics` last wrote it; remembered in .outreach/calendar.json."""

    uid: str
    start: date
    summary: str
    description: str
    reason: str
    sequence: int  # raised whenever the event changes, so calendars take the change
    modified: datetime  # LAST-MODIFIED: when it last changed
    cancelled: date | None = None  # the day it was found no longer due

    def same_event(self, other: CalendarEvent) -> bool:
        return (self.start, self.summary, self.description, self.cancelled is None) == (
            other.start,
            other.summary,
            other.description,
            other.cancelled is None,
        )


def calendar_events(
    items: Iterable[DueItem],
    me: Me,
    remembered: Mapping[str, CalendarEvent],
    day: date,
    now: datetime,
) -> list[CalendarEvent]:
    """Every event to remember: the due items, then those no longer due (cancelled).

    An event keeps its UID; one that changed, was cancelled or is due again gets the next
    SEQUENCE and a new LAST-MODIFIED, one that did not keeps both.
    """
    domain = me.email.rpartition("@")[2]
    events: list[CalendarEvent] = []
    for item in items:
        uid = f"{item.reason}-{item.person.id}@outreach.{domain}"
        event = CalendarEvent(
            uid=uid,
            start=item.due,
            summary=f"{item.reason.capitalize()}: {item.person.name}",
            description=item.detail,
            reason=item.reason,
            sequence=0,
            modified=now,
        )
        events.append(_against(event, remembered.get(uid)))
    due = {event.uid for event in events}
    for uid, before in remembered.items():
        if uid in due:
            continue
        if before.cancelled is None:
            before = before._replace(sequence=before.sequence + 1, modified=now, cancelled=day)
        events.append(before)
    return events


def _against(event: CalendarEvent, before: CalendarEvent | None) -> CalendarEvent:
    if before is None:
        return event
    if event.same_event(before):
        return before
    return event._replace(sequence=before.sequence + 1)


def due_calendar(events: Iterable[CalendarEvent], me: Me, day: date, now: datetime) -> bytes:
    """The events as an iCalendar file: all-day events, the cancelled ones for 30 days."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//outreach//keeping in touch//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"outreach: {me.name}")
    for item in events:
        if item.cancelled is not None and day - item.cancelled > CANCELLED_FOR:
            continue
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", now)
        event.add("last-modified", item.modified)
        event.add("sequence", item.sequence)
        event.add("dtstart", item.start)
        event.add("dtend", item.start + timedelta(days=1))
        event.add("summary", item.summary)
        event.add("description", item.description)
        event.add("categories", ["outreach", item.reason])
        event.add("transp", "TRANSPARENT")
        if item.cancelled is not None:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def calendar_memory(events: Iterable[CalendarEvent]) -> bytes:
    """The events as .outreach/calendar.json keeps them."""
    import json

    return json.dumps(
        {
            "format": _MEMORY_FORMAT,
            "events": [
                {
                    **event._asdict(),
                    "start": event.start.isoformat(),
                    "modified": event.modified.isoformat(),
                    "cancelled": event.cancelled.isoformat() if event.cancelled else None,
                }
                for event in events
            ],
        },
        ensure_ascii=False,
        indent=1,
    ).encode("utf-8")


def read_calendar_memory(path: Path) -> dict[str, CalendarEvent]:
    """The events written before, by UID; none where the file is not there yet.

    A damaged file is an error: without it, events no longer due could not be cancelled.
    """
    import json

    from outreach.support.files import read_bytes

    if not path.exists():
        return {}
    data = read_bytes(path)
    try:
        memory = json.loads(data)
        if memory.get("format") != _MEMORY_FORMAT:
            raise ValueError(f"not a format this version reads ({memory.get('format')!r})")
        events = [_event(fields) for fields in memory["events"]]
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise OutreachError(
            Problem(
                f"{path.parent.name}/{path.name}",
                f"cannot be read ({reason}); it remembers the events written before, so "
                "that those no longer due are cancelled: restore it, or delete it to start "
                "afresh (events already in a calendar then stay there until deleted by hand)",
            )
        ) from None
    return {event.uid: event for event in events}


def _event(fields: Mapping[str, Any]) -> CalendarEvent:
    texts = ("uid", "summary", "description", "reason")
    if not all(isinstance(fields[key], str) for key in texts):
        raise ValueError("an event without its texts")
    sequence = fields["sequence"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise ValueError(f"a sequence that is not a number: {sequence!r}")
    modified = datetime.fromisoformat(fields["modified"])
    if modified.tzinfo is None:
        raise ValueError(f"a time without its zone: {fields['modified']!r}")
    cancelled = fields["cancelled"]
    return CalendarEvent(
        uid=fields["uid"],
        start=date.fromisoformat(fields["start"]),
        summary=fields["summary"],
        description=fields["description"],
        reason=fields["reason"],
        sequence=sequence,
        modified=modified,
        cancelled=None if cancelled is None else date.fromisoformat(cancelled),
    )
