"""What the due rules need to know of one person's journal, free of the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

EntryFacts = tuple[int, str, str, "str | None", "int | None", "str | None"]
"""What a summary needs of an entry: id, kind, day, template kind, follow_up_after, via."""
SentFacts = tuple[int, str, "str | None", "int | None"]
"""What a summary needs of a message outreach sent: id, day, template kind, follow_up_after."""


def is_contact(kind: str, via: str | None) -> bool:
    """Whether an entry is contact with the person (it resets the check-in clock): not a
    bounce, not an automatic reply, not a note read from the mailbox (a delay notice)."""
    return not (kind in ("bounced", "auto-reply") or (kind == "note" and via == "mailbox"))


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
    last_contact_day: str | None = None  # YYYY-MM-DD of the latest entry that is contact
    last_bounced: str | None = None  # key of the latest bounce


def summarise(person: str, entries: Iterable[EntryFacts]) -> Summary:
    """A person's summary made from their entries, in the order of their keys, by the rules
    the journal's trigger keeps (see migrations 2 and 4)."""
    last_day = last_answer = last_sent = last_sent_kind = None
    last_meeting = last_meeting_kind = last_thanks = last_contact_day = last_bounced = None
    last_sent_follow_up: int | None = None
    asks = gives = 0
    for number, kind, day, template_kind, follow_up, via in entries:
        key = f"{day}#{number:012d}"
        last_day = day
        if is_contact(kind, via):
            last_contact_day = day
        if kind == "bounced":
            last_bounced = key
        if kind == "sent":
            asks += template_kind == "request"
            last_sent, last_sent_follow_up, last_sent_kind = key, follow_up, template_kind
            if template_kind == "thank-you":
                last_thanks = key
        elif kind == "gave":
            gives += 1
        elif kind in ("replied", "met", "call"):
            last_answer = key
            if kind != "replied":
                last_meeting, last_meeting_kind = key, kind
    return Summary(
        person,
        last_day,
        asks,
        gives,
        last_answer,
        last_sent,
        last_sent_follow_up,
        last_sent_kind,
        last_meeting,
        last_meeting_kind,
        last_thanks,
        last_contact_day,
        last_bounced,
    )


def with_sent(summary: Summary, sent: Iterable[SentFacts]) -> Summary:
    """The summary with messages outreach sent added, in any order, as the journal's trigger
    adds any other entry (see migration 5): the latest by key wins."""
    last_day, asks, last_sent = summary.last_day, summary.asks, summary.last_sent
    follow_up, sent_kind = summary.last_sent_follow_up, summary.last_sent_kind
    last_thanks, last_contact_day = summary.last_thanks, summary.last_contact_day
    for number, day, template_kind, follow_up_after in sent:
        key = f"{day}#{number:012d}"
        last_day = max(last_day or "", day)
        last_contact_day = max(last_contact_day or "", day)  # a message sent is contact
        asks += template_kind == "request"
        if last_sent is None or key > last_sent:
            last_sent, follow_up, sent_kind = key, follow_up_after, template_kind
        if template_kind == "thank-you" and (last_thanks is None or key > last_thanks):
            last_thanks = key
    return summary._replace(
        last_day=last_day,
        asks=asks,
        last_sent=last_sent,
        last_sent_follow_up=follow_up,
        last_sent_kind=sent_kind,
        last_thanks=last_thanks,
        last_contact_day=last_contact_day,
    )


def day_of(key: str) -> date:
    return date.fromisoformat(key[:10])


NOTHING = Summary("")
