"""`outreach check`: read everything and report every problem at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outreach.support.errors import OutreachError, Problem
from outreach.workspace.folder import Workspace

if TYPE_CHECKING:
    from outreach.drafts.draft import Draft
    from outreach.journal.database import Journal
    from outreach.people.contact import Contact
    from outreach.workspace.goal import Goal


def _caught(problems: list[Problem], error: OutreachError) -> None:
    problems.extend(error.problems)


def check_workspace(workspace: Workspace) -> list[Problem]:
    """Settings, goal, contacts, templates (rendered for their people) and drafts."""
    from outreach.journal.database import existing_journal
    from outreach.people.reading import read_contacts
    from outreach.workspace.goal import load_goal
    from outreach.workspace.settings import plain_text_logins, read_settings

    problems: list[Problem] = []
    settings = None
    try:
        settings, found = read_settings(workspace.settings_file, to_send=True)
        problems.extend(found)
        if settings is not None:
            problems.extend(plain_text_logins(settings, workspace.settings_file))
    except OutreachError as error:
        _caught(problems, error)
    goal = None
    goal_problems: list[Problem] = []
    try:
        goal, goal_problems = load_goal(workspace.goal_file)
        problems.extend(goal_problems)
    except OutreachError as error:
        _caught(problems, error)
    contacts: list[Contact] = []
    contacts_ok = False
    try:
        contacts, found = read_contacts(workspace.contacts_file, workspace.state_dir)
        problems.extend(found)
        contacts_ok = not any(p.is_error for p in found)
    except OutreachError as error:
        _caught(problems, error)
    try:
        with existing_journal(workspace.journal_file) as journal:
            if settings is not None and goal is not None and contacts_ok:
                from outreach.composing.drafting import lint_templates

                problems.extend(
                    lint_templates(
                        workspace, settings, goal, goal_problems, contacts, journal=journal
                    )
                )
            problems.extend(_bounces(journal, contacts))
    except OutreachError as error:  # a journal that cannot be opened
        _caught(problems, error)
    if workspace.drafts_dir.is_dir():
        from outreach.drafts.draft import list_drafts

        max_mb = settings.limits.max_message_mb if settings is not None else 20
        drafts = list_drafts(workspace.drafts_dir)
        for draft in drafts:
            if draft.broken:
                problems.append(Problem(f"drafts/{draft.path.name}", draft.broken))
            else:
                problems.extend(_attachment_problems(workspace, draft, max_mb))
        problems.extend(_coach_warnings(workspace, drafts, contacts if contacts_ok else None, goal))
    return problems


def _attachment_problems(workspace: Workspace, draft: Draft, max_mb: int) -> list[Problem]:
    """The draft's attachments as they are now: each that cannot go, or a message too big."""
    from outreach.drafts.attachments import check_all, estimated_size, size_problem

    if not draft.attachments:
        return []
    where = f"drafts/{draft.path.name}"
    found, refused = check_all(workspace.root, draft.attachments)
    problems = [Problem(where, str(refusal)) for refusal in refused]
    too_big = size_problem(estimated_size(draft.body, found), max_mb)
    if too_big and not refused:
        problems.append(Problem(where, too_big))
    return problems


def _bounces(journal: Journal | None, contacts: list[Contact]) -> list[Problem]:
    """A warning for each person whose address bounced."""
    from outreach.keeping.readers import bounced_people

    return [
        Problem(
            person.label,
            f"a message to them bounced on {day}: check their address ({person.email}); "
            "a message sent or a reply logged since clears this",
            "warning",
        )
        for person, day in bounced_people(journal, contacts)
    ]


def _coach_warnings(
    workspace: Workspace, drafts: list[Draft], people: list[Contact] | None, goal: Goal | None
) -> list[Problem]:
    """The coach's advice on each draft that parses, as warnings."""
    from outreach.composing.coach import coach_draft, known_from
    from outreach.journal.database import existing_journal

    sound = [draft for draft in drafts if not draft.broken]
    if not sound:
        return []
    try:
        with existing_journal(workspace.journal_file) as journal:
            known = known_from(people, goal, journal)
    except OutreachError:
        known = known_from(people, goal, None)
    found = []
    for draft in sound:
        coaching = coach_draft(draft, known)
        for advice in coaching.warnings if coaching is not None else ():
            found.append(Problem(f"drafts/{draft.path.name}", f"coach: {advice}", "warning"))
    return found
