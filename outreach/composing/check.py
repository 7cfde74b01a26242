"""`outreach check`: read everything and report every problem at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outreach.support.errors import OutreachError, Problem
from outreach.workspace.folder import Workspace

if TYPE_CHECKING:
    from outreach.people.contact import Contact


def _caught(problems: list[Problem], error: OutreachError) -> None:
    problems.extend(error.problems)


def check_workspace(workspace: Workspace) -> list[Problem]:
    """Settings, goal, contacts, templates (rendered for their people) and drafts."""
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
    if settings is not None and goal is not None and contacts_ok:
        from outreach.composing.drafting import lint_templates

        problems.extend(lint_templates(workspace, settings, goal, goal_problems, contacts))
    if workspace.drafts_dir.is_dir():
        from outreach.drafts.draft import list_drafts

        problems.extend(
            Problem(f"drafts/{draft.path.name}", draft.broken)
            for draft in list_drafts(workspace.drafts_dir)
            if draft.broken
        )
    return problems
