"""Keeping in touch: what falls due, who to ask next, and giving as much as asking.

The rules are functions of values (the people, their journal summaries, the limits); the
readers in readers.py feed them from the workspace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, NamedTuple, get_args

from outreach.journal.summary import NOTHING, Summary, day_of
from outreach.people.contact import Contact

if TYPE_CHECKING:
    from outreach.workspace.goal import Goal
    from outreach.workspace.settings import Limits

# Why someone is due, in the order the due list gives a day's items.
DueReason = Literal["follow-up", "thank-you", "check-in"]
DUE_REASONS: tuple[DueReason, ...] = get_args(DueReason)
GROUP_REASONS = (
    "you like them and they can help",
    "they can help",
    "you like them",
    "someone you know",
)


class DueItem(NamedTuple):
    person: Contact
    reason: DueReason
    due: date
    detail: str

    def as_json(self) -> dict[str, str]:
        return {
            "person": self.person.id,
            "reason": self.reason,
            "due": self.due.isoformat(),
            "detail": self.detail,
        }


class Proposal(NamedTuple):
    person: Contact
    reason: str


class Plan(NamedTuple):
    proposals: list[Proposal]
    counting: list[str]  # ids of people whose request still waits for an answer
    max_new: int
    warnings: list[str]


def _after(later: str | None, earlier: str) -> bool:
    return later is not None and later > earlier


def person_dues(person: Contact, summary: Summary, as_of: date) -> list[tuple[DueReason, date]]:
    """The due rules for one person: each reason that applies, with its date."""
    if summary is NOTHING:  # nothing logged: only a check-in can be due
        day = check_in_day(person, person.last_contact, as_of)
        return [] if day is None else [("check-in", day)]
    dues: list[tuple[DueReason, date]] = []
    sent = summary.last_sent
    follow_up = summary.last_sent_follow_up
    if (
        sent is not None
        and follow_up is not None
        and not _after(summary.last_answer, sent)
        and not _after(summary.last_bounced, sent)  # it never arrived: nothing to follow up
    ):
        dues.append(("follow-up", day_of(sent) + timedelta(days=follow_up)))
    meeting = summary.last_meeting
    if meeting is not None and not _after(summary.last_thanks, meeting):
        dues.append(("thank-you", day_of(meeting)))
    check_in = check_in_day(person, last_contact(person, summary), as_of)
    if check_in is not None:
        dues.append(("check-in", check_in))
    return dues


def check_in_day(person: Contact, last: date | None, as_of: date) -> date | None:
    """When a check-in is due, for a person with a keep-in-touch rhythm: that long after the
    last contact, or now if there was none."""
    days = person.keep_in_touch_days
    if not days:
        return None
    return as_of if last is None else last + timedelta(days=days)


def _detail(reason: DueReason, person: Contact, summary: Summary) -> str:
    """Why an item is due, in words."""
    if reason == "follow-up":
        assert summary.last_sent is not None
        return f"{summary.last_sent_kind or 'message'} sent {summary.last_sent[:10]}, no reply yet"
    if reason == "thank-you":
        assert summary.last_meeting is not None
        what = "a call" if summary.last_meeting_kind == "call" else "a meeting"
        return f"{what} on {summary.last_meeting[:10]}, no thank-you sent since"
    last = last_contact(person, summary)
    since = f"last contact {last}" if last else "no contact yet"
    return f"keep in touch every {person.keep_in_touch}; {since}"


def due_items(
    contacts: Iterable[Contact],
    summaries: Mapping[str, Summary],
    as_of: date,
    until: date | None = None,
) -> list[DueItem]:
    """Every due item (or those due by `until`), most overdue first."""
    items: list[DueItem] = []
    for person in contacts:
        summary = summaries.get(person.id, NOTHING)
        for reason, due in person_dues(person, summary, as_of):
            if until is None or due <= until:
                items.append(DueItem(person, reason, due, _detail(reason, person, summary)))
    items.sort(key=lambda item: (item.due, DUE_REASONS.index(item.reason), item.person.id))
    return items


def last_contact(person: Contact, summary: Summary) -> date | None:
    """The day of the latest contact: the journal's (a bounce or an automatic reply is not
    contact), or last_contact in contacts.yaml, whichever is later."""
    day = summary.last_contact_day
    logged = date.fromisoformat(day) if day else None
    if logged is None or person.last_contact is None:
        return logged or person.last_contact
    return max(logged, person.last_contact)


def bounced_on(summary: Summary) -> date | None:
    """The day the person's address bounced, while nothing was sent to them and no reply,
    meeting or call was logged since (either says the address may be right again)."""
    bounce = summary.last_bounced
    if bounce is None or _after(summary.last_sent, bounce) or _after(summary.last_answer, bounce):
        return None
    return day_of(bounce)


def counting_requests(
    summaries: Mapping[str, Summary],
    requests: Mapping[str, Sequence[tuple[str, int | None]]],
    drafted: Iterable[str],
    limits: Limits,
    as_of: date,
) -> set[str]:
    """People with a request that still counts against max_new: drafted, or sent and unanswered
    for less than twice its follow-up time."""
    counting = set(drafted)
    for person, sent in requests.items():
        summary = summaries.get(person, NOTHING)
        for key, follow_up in sent:
            window = 2 * (follow_up or limits.follow_up_after)
            bounced = key == summary.last_sent and _after(summary.last_bounced, key)
            if (
                not _after(summary.last_answer, key)
                and not bounced  # a request that never arrived waits for nothing
                and as_of < day_of(key) + timedelta(days=window)
            ):
                counting.add(person)
    return counting


def make_plan(
    contacts: Sequence[Contact],
    summaries: Mapping[str, Summary],
    requests: Mapping[str, Sequence[tuple[str, int | None]]],
    drafted: Iterable[str],
    limits: Limits,
    as_of: date,
    goal: Goal | None = None,
) -> Plan:
    """Who to ask next and why: people not asked yet before those asked already; then
    like-and-can-help, can-help, like, the rest; the longest unseen first; at most max_new."""
    counting = counting_requests(summaries, requests, drafted, limits, as_of)
    slots = max(0, limits.max_new - len(counting))

    def rank(person: Contact) -> tuple[bool, int, date, str]:
        # People not asked yet come first: another request to someone just asked can wait.
        summary = summaries.get(person.id, NOTHING)
        seen = last_contact(person, summary) or date.min
        return summary.asks > 0, _group(person), seen, person.name.lower()

    candidates = sorted(
        (p for p in contacts if p.email and not p.doubts and p.id not in counting), key=rank
    )
    proposals = [Proposal(p, _why(p, summaries.get(p.id, NOTHING))) for p in candidates[:slots]]
    warnings = [
        line
        for p in proposals
        if (line := giving_warning(p.person, summaries.get(p.person.id, NOTHING), goal))
    ]
    return Plan(proposals, sorted(counting), limits.max_new, warnings)


def _group(person: Contact) -> int:
    """0: like and can help; 1: can help; 2: like; 3: neither."""
    if person.can_help:
        return 0 if person.like else 1
    return 2 if person.like else 3


def _why(person: Contact, summary: Summary) -> str:
    group = GROUP_REASONS[_group(person)]
    seen = last_contact(person, summary)
    since = f"last contact {seen}" if seen else "no contact logged yet"
    asked = (
        f"; asked {summary.asks} time{'s' if summary.asks != 1 else ''} before"
        if summary.asks
        else ""
    )
    return f"{group}; {since}{asked}"


def giving_warning(person: Contact, summary: Summary, goal: Goal | None) -> str | None:
    if summary.asks < 2 or summary.gives:
        return None
    offer = (
        f" Your goal offers: {goal.offer}"
        if goal is not None and goal.offer
        else (" Your goal offers nothing yet: add an offer to goal.md.")
    )
    return (
        f"{person.label} has had {summary.asks} requests and nothing given back yet; "
        f"give before you ask again (log it with: outreach log add {person.id} gave).{offer}"
    )
