"""Shell completion's answers: template names, people and drafts for what a word begins with.

Each function takes the workspace and the incomplete word and returns (value, help) pairs;
the CLI hands them to Click. A person is completed to their id, the form the command line
takes best (unique, no spaces), found by the start of the id, of any word of the name
(case and accents ignored: `jo` finds José Núñez) or of the email; the name is the help
that zsh and fish show beside it.
"""

from __future__ import annotations

from outreach.people.lookup import fold_name
from outreach.workspace.folder import Workspace


def templates(workspace: Workspace, incomplete: str) -> list[tuple[str, str]]:
    from outreach.composing.loading import load_renderer
    from outreach.support.errors import OutreachError
    from outreach.workspace.templates import list_templates

    found: list[tuple[str, str]] = []
    days = 7  # only the kind is shown; the follow-up default does not matter here
    for name in list_templates(workspace.templates_dir):
        if not name.startswith(incomplete):
            continue
        try:
            found.append((name, load_renderer(workspace.templates_dir, name, days).template.kind))
        except OutreachError:
            found.append((name, "does not parse"))
    return found


def people(workspace: Workspace, incomplete: str) -> list[tuple[str, str]]:
    wanted = fold_name(incomplete.strip())
    found = []
    for contact in workspace.load_contacts():
        words = [contact.id, *fold_name(contact.name).split(), (contact.email or "").lower()]
        if any(word.startswith(wanted) for word in words):
            found.append((contact.id, contact.name))
    return found


def drafts(workspace: Workspace, incomplete: str) -> list[tuple[str, str]]:
    """The waiting drafts' file names and the people who have one, for approve and unapprove."""
    from outreach.drafts.draft import list_drafts

    waiting = list_drafts(workspace.drafts_dir)
    names = [(d.name, d.status) for d in waiting if d.name.startswith(incomplete)]
    with_drafts = {d.person for d in waiting}
    found = people(workspace, incomplete)
    return names + [(id_, name) for id_, name in found if id_ in with_drafts]
