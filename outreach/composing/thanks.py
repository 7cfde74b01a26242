"""`outreach thank`: the thank-you for the latest meeting or call, naming what was discussed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from outreach.workspace.folder import Workspace

if TYPE_CHECKING:
    from outreach.composing.drafting import DraftResult
    from outreach.journal.database import Entry


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
    from outreach.composing.loading import load_checked
    from outreach.people.lookup import find_person
    from outreach.support.errors import OutreachError
    from outreach.workspace.templates import list_templates

    contact = find_person(workspace.load_contacts(), person)
    name = template or _thank_you_template(workspace, list_templates(workspace.templates_dir))
    days = workspace.settings.limits.follow_up_after
    if load_checked(workspace.templates_dir, name, days).kind != "thank-you":
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
    from outreach.composing.loading import load_checked
    from outreach.support.errors import OutreachError

    if "thank-you" in names:
        return "thank-you"
    days = workspace.settings.limits.follow_up_after
    kinds = [n for n in names if load_checked(workspace.templates_dir, n, days).kind == "thank-you"]
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
