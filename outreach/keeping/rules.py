"""Keeping in touch: what falls due, who to ask next, and giving as much as asking."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

from outreach.journal.summary import NOTHING, Summary, day_of
from outreach.people.reading import Contact
from outreach.workspace.folder import Workspace

if TYPE_CHECKING:
    from outreach.composing.drafting import DraftResult
    from outreach.journal.database import Entry
    from outreach.workspace.goal import Goal
    from outreach.workspace.settings import Limits
    from outreach.workspace.templates import Template

REASONS = ("follow-up", "thank-you", "check-in")
GROUP_REASONS = (
    "you like them and they can help",
    "they can help",
    "you like them",
    "someone you know",
)


class DueItem(NamedTuple):
    person: Contact
    reason: str  # follow-up | thank-you | check-in
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


def person_dues(person: Contact, summary: Summary, as_of: date) -> list[tuple[str, date]]:
    """The due rules for one person: each reason that applies, with its date."""
    if summary is NOTHING:  # nothing logged: only a check-in can be due
        if not person.keep_in_touch_days:
            return []
        last = person.last_contact
        return [
            ("check-in", as_of if last is None else last + timedelta(person.keep_in_touch_days))
        ]
    dues: list[tuple[str, date]] = []
    sent = summary.last_sent
    follow_up = summary.last_sent_follow_up
    if sent is not None and follow_up is not None and not _after(summary.last_answer, sent):
        dues.append(("follow-up", day_of(sent) + timedelta(days=follow_up)))
    meeting = summary.last_meeting
    if meeting is not None and not _after(summary.last_thanks, meeting):
        dues.append(("thank-you", day_of(meeting)))
    if person.keep_in_touch_days:
        last = last_contact(person, summary)
        dues.append(
            (
                "check-in",
                as_of if last is None else last + timedelta(days=person.keep_in_touch_days),
            )
        )
    return dues


def _detail(reason: str, person: Contact, summary: Summary) -> str:
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
    items.sort(key=lambda item: (item.due, REASONS.index(item.reason), item.person.id))
    return items


def last_contact(person: Contact, summary: Summary) -> date | None:
    logged = date.fromisoformat(summary.last_day) if summary.last_day else None
    if logged is None or person.last_contact is None:
        return logged or person.last_contact
    return max(logged, person.last_contact)


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
        answered = summaries.get(person, NOTHING).last_answer
        for key, follow_up in sent:
            window = 2 * (follow_up or limits.follow_up_after)
            if not _after(answered, key) and as_of < day_of(key) + timedelta(days=window):
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
        if (line := _giving_warning(p.person, summaries.get(p.person.id, NOTHING), goal))
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


def _giving_warning(person: Contact, summary: Summary, goal: Goal | None) -> str | None:
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


# --- reading the workspace ---------------------------------------------------------


def journal_summaries(workspace: Workspace, as_of: date | None = None) -> dict[str, Summary]:
    """Each person's journal in brief: all of it, or (as_of) the entries up to that day."""
    if not workspace.journal_file.exists():
        return {}
    from outreach.journal.database import open_journal, summaries

    with open_journal(workspace.journal_file) as journal:
        return summaries(journal, as_of)


def drafted_requests(workspace: Workspace) -> set[str]:
    from outreach.drafts.draft import list_drafts

    return {
        d.person
        for d in list_drafts(workspace.drafts_dir)
        if d.get("kind") == "request" and d.status != "failed"
    }


def plan_for(workspace: Workspace, as_of: date) -> Plan:
    """The plan as of a day, from the journal's entries up to that day."""
    from outreach.workspace.goal import load_goal

    goal, _ = load_goal(workspace.goal_file)
    requests: dict[str, list[tuple[str, int | None]]] = {}
    if workspace.journal_file.exists():
        from outreach.journal.database import open_journal, sent_requests

        with open_journal(workspace.journal_file) as journal:
            requests = sent_requests(journal, as_of)
    return make_plan(
        workspace.load_contacts(),
        journal_summaries(workspace, as_of),
        requests,
        drafted_requests(workspace),
        workspace.settings.limits,
        as_of,
        goal,
    )


def due_for(workspace: Workspace, as_of: date, *, only_due: bool = False) -> list[DueItem]:
    """The due items as of a day, from the journal's entries up to that day: all of them, or
    (only_due) those due by that day."""
    until = as_of if only_due else None
    return due_items(workspace.load_contacts(), journal_summaries(workspace, as_of), as_of, until)


def batch_for(
    workspace: Workspace,
    contacts: Sequence[Contact],
    template: Template,
    *,
    plan: bool,
    due: bool,
    today: date | None = None,
) -> list[Contact]:
    """The people `draft --plan` or `draft --due` means for this template."""
    from outreach.support.errors import OutreachError

    as_of = today or date.today()
    chosen: list[Contact] = []
    if plan:
        if template.kind != "request":
            raise OutreachError(f"--plan drafts requests; '{template.name}' is a {template.kind}")
        chosen.extend(p.person for p in plan_for(workspace, as_of).proposals)
    if due:
        if template.kind == "request":
            raise OutreachError(
                "a request is never due: use --plan, or a follow-up, check-in or thank-you template"
            )
        summaries = journal_summaries(workspace, as_of)
        chosen.extend(
            item.person
            for item in due_items(contacts, summaries, as_of, until=as_of)
            if item.reason == template.kind
        )
    return chosen


def giving_warnings(workspace: Workspace, people: Iterable[Contact], goal: Goal) -> list[str]:
    summaries = journal_summaries(workspace)
    return [
        line
        for person in people
        if (line := _giving_warning(person, summaries.get(person.id, NOTHING), goal))
    ]


_ANSWERED = {"replied": "replied", "met": "met with you", "call": "had a call with you"}


def follow_up_warnings(workspace: Workspace, people: Iterable[Contact]) -> list[str]:
    """A follow-up for someone never sent a request, or who has replied, met or called since
    the latest one, has nothing to follow. A `sent` logged by hand counts as a request: the
    journal does not know what that message was."""
    from outreach.journal.database import exchanges, open_journal

    people = list(people)
    found: dict[str, list[Entry]] = {}
    if people and workspace.journal_file.exists():
        with open_journal(workspace.journal_file) as journal:
            found = {person.id: exchanges(journal, person.id) for person in people}
    warnings = []
    for person in people:
        entries = found.get(person.id, [])
        asked = [
            number
            for number, entry in enumerate(entries)
            if entry.kind == "sent" and entry.template_kind in ("request", None)
        ]
        if not asked:
            warnings.append(
                f"{person.label} was never sent a request (the journal has none): "
                "this follow-up has nothing to follow"
            )
            continue
        request = entries[asked[-1]]
        answers = [e for e in entries[asked[-1] + 1 :] if e.kind in _ANSWERED]
        if answers:
            answer = answers[-1]
            warnings.append(
                f"{person.label} {_ANSWERED[answer.kind]} on {answer.day}, after your request "
                f"of {request.day}: this follow-up has nothing to follow"
            )
    return warnings


def thank_you(
    workspace: Workspace,
    person: str,
    *,
    note: str | None,
    template: str | None,
    replace: bool = False,
) -> DraftResult:
    """Draft the thank-you for the latest meeting or call, naming what was discussed."""
    from outreach.composing.drafting import draft_messages
    from outreach.people.reading import find_person
    from outreach.support.errors import OutreachError
    from outreach.workspace.templates import list_templates, load_template

    contact = find_person(workspace.load_contacts(), person)
    name = template or _thank_you_template(workspace, list_templates(workspace.templates_dir))
    days = workspace.settings.limits.follow_up_after
    if load_template(workspace.templates_dir, name, days).kind != "thank-you":
        raise OutreachError(f"templates/{name}.md is not a thank-you template")
    meeting = _latest_meeting(workspace, contact.id)
    warnings = []
    if meeting is None:
        warnings.append(
            f"no meeting or call with {contact.label} is logged; log it with "
            f"'outreach log add {contact.id} met' so the thank-you settles it"
        )
    result = draft_messages(
        workspace,
        name,
        names=[contact.id],
        note=note or (meeting.note if meeting else None),
        replace=replace,
    )
    result.warnings[:0] = warnings
    return result


def _thank_you_template(workspace: Workspace, names: Sequence[str]) -> str:
    from outreach.support.errors import OutreachError
    from outreach.workspace.templates import load_template

    if "thank-you" in names:
        return "thank-you"
    days = workspace.settings.limits.follow_up_after
    kinds = [
        n for n in names if load_template(workspace.templates_dir, n, days).kind == "thank-you"
    ]
    if len(kinds) == 1:
        return kinds[0]
    raise OutreachError("name the thank-you template with --template (there is no thank-you.md)")


def _latest_meeting(workspace: Workspace, person: str) -> Entry | None:
    if not workspace.journal_file.exists():
        return None
    from outreach.journal.database import open_journal

    with open_journal(workspace.journal_file) as journal:
        meetings = [e for e in journal.entries(person) if e.kind in ("met", "call")]
    return meetings[-1] if meetings else None
