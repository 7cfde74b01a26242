"""`outreach check`: read everything and report every problem at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outreach.support.errors import OutreachError, Problem
from outreach.workspace.folder import Workspace

if TYPE_CHECKING:
    from outreach.drafts.draft import Draft
    from outreach.people.contact import Contact
    from outreach.workspace.goal import Goal


def _caught(problems: list[Problem], error: OutreachError) -> None:
    problems.extend(error.problems)


def check_workspace(workspace: Workspace) -> list[Problem]:
    """Settings, goal, contacts, templates (rendered for their people) and drafts."""
    from outreach.people.reading import read_contacts
    from outreach.workspace.goal import load_goal
    from outreach.workspace.settings import read_settings

    problems: list[Problem] = []
    settings = None
    try:
        settings, found = read_settings(workspace.settings_file, to_send=True)
        problems.extend(found)
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
    if settings is not None and goal is not None and contacts_ok:
        from outreach.composing.drafting import lint_templates

        problems.extend(lint_templates(workspace, settings, goal, goal_problems, contacts))
    if workspace.drafts_dir.is_dir():
        from outreach.drafts.draft import list_drafts

        drafts = list_drafts(workspace.drafts_dir)
        problems.extend(
            Problem(f"drafts/{draft.path.name}", draft.broken) for draft in drafts if draft.broken
        )
        problems.extend(_coach_warnings(workspace, drafts, contacts if contacts_ok else None, goal))
    return problems


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
