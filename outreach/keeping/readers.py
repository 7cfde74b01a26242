"""What the keeping rules need, read from the workspace: the journal's summaries, the drafts,
the goal; and the plan, the due items and the warnings made from them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from outreach.journal.summary import NOTHING, Summary
from outreach.keeping.rules import (
    DueItem,
    Plan,
    bounced_on,
    due_items,
    giving_warning,
    make_plan,
)
from outreach.people.contact import Contact
from outreach.workspace.folder import Workspace

if TYPE_CHECKING:
    from outreach.journal.database import Entry, Journal
    from outreach.workspace.goal import Goal


def journal_summaries(journal: Journal | None, as_of: date | None = None) -> dict[str, Summary]:
    """Each person's journal in brief: all of it, or (as_of) the entries up to that day."""
    if journal is None:
        return {}
    from outreach.journal.database import summaries

    return summaries(journal, as_of)


def summaries_of(workspace: Workspace, as_of: date | None = None) -> dict[str, Summary]:
    """Each person's journal in brief, read from the workspace's journal (none before the
    first entry: then not even the journal's code is loaded)."""
    if not workspace.journal_file.exists():
        return {}
    from outreach.journal.database import existing_journal

    with existing_journal(workspace.journal_file) as journal:
        return journal_summaries(journal, as_of)


def drafted_requests(workspace: Workspace) -> set[str]:
    from outreach.drafts.draft import list_drafts

    return {
        d.person
        for d in list_drafts(workspace.drafts_dir)
        if d.get("kind") == "request" and d.status != "failed"
    }


def plan_for(workspace: Workspace, as_of: date) -> Plan:
    """The plan as of a day, from the journal's entries up to that day."""
    from outreach.journal.database import existing_journal

    with existing_journal(workspace.journal_file) as journal:
        return plan_from(workspace, journal, as_of)


def plan_from(workspace: Workspace, journal: Journal | None, as_of: date) -> Plan:
    """The plan as of a day, with the journal a command has open."""
    from outreach.journal.database import sent_requests
    from outreach.workspace.goal import load_goal

    goal, _ = load_goal(workspace.goal_file)
    return make_plan(
        workspace.load_contacts(),
        journal_summaries(journal, as_of),
        sent_requests(journal, as_of) if journal is not None else {},
        drafted_requests(workspace),
        workspace.settings.limits,
        as_of,
        goal,
    )


def due_for(workspace: Workspace, as_of: date, *, only_due: bool = False) -> list[DueItem]:
    """The due items as of a day, from the journal's entries up to that day: all of them, or
    (only_due) those due by that day."""
    until = as_of if only_due else None
    return due_items(workspace.load_contacts(), summaries_of(workspace, as_of), as_of, until)


def giving_warnings(journal: Journal | None, people: Iterable[Contact], goal: Goal) -> list[str]:
    summaries = journal_summaries(journal)
    return [
        line
        for person in people
        if (line := giving_warning(person, summaries.get(person.id, NOTHING), goal))
    ]


def bounced_people(
    journal: Journal | None, people: Iterable[Contact]
) -> list[tuple[Contact, date]]:
    """The people whose address bounced, each with the day (see rules.bounced_on)."""
    summaries = journal_summaries(journal)
    return [
        (person, day) for person in people if (day := bounced_on(summaries.get(person.id, NOTHING)))
    ]


def bounce_warnings(journal: Journal | None, people: Iterable[Contact]) -> list[str]:
    """A new message to an address that bounced will likely bounce again."""
    return [
        f"a message to {person.label} bounced on {day}: check their address "
        f"({person.email}) in contacts.yaml before this one goes"
        for person, day in bounced_people(journal, people)
    ]


_ANSWERED = {"replied": "replied", "met": "met with you", "call": "had a call with you"}


def follow_up_warnings(journal: Journal | None, people: Iterable[Contact]) -> list[str]:
    """A follow-up for someone never sent a request, or who has replied, met or called since
    the latest one, has nothing to follow. A `sent` logged by hand counts as a request: the
    journal does not know what that message was."""
    from outreach.journal.database import exchanges

    people = list(people)
    found: dict[str, list[Entry]] = {}
    if journal is not None:
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
