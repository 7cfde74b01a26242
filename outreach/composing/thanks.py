"""`outreach thank`: the thank-you for the latest meeting or call, naming what was discussed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from outreach.workspace.folder import Workspace

if TYPE_CHECKING:
    from outreach.composing.drafting import DraftResult
    from outreach.composing.renderer import Renderer
    from outreach.journal.database import Entry, Journal


def thank_you(
    workspace: Workspace,
    person: str,
    *,
    note: str | None,
    template: str | None,
    replace: bool = False,
) -> DraftResult:
    """Draft the thank-you for the latest meeting or call, naming what was discussed."""
    from outreach.composing.drafting import Audience, draft_with
    from outreach.composing.loading import as_loaded, load_renderer
    from outreach.journal.database import existing_journal
    from outreach.people.lookup import find_person
    from outreach.support.errors import OutreachError
    from outreach.workspace.templates import list_templates

    contact = find_person(workspace.load_contacts(), person)
    days = workspace.settings.limits.follow_up_after
    if template:
        renderer = load_renderer(workspace.templates_dir, template, days)
    else:
        renderer = _thank_you_template(workspace, list_templates(workspace.templates_dir))
    if renderer.template.kind != "thank-you":
        raise OutreachError(f"templates/{renderer.template.name}.md is not a thank-you template")
    with existing_journal(workspace.journal_file) as journal:
        meeting = _latest_meeting(journal, contact.id)
        warnings = []
        if meeting is None:
            warnings.append(
                f"no meeting or call with {contact.label} is logged; log it with "
                f"'outreach log add {contact.id} met' so the thank-you settles it"
            )
        return draft_with(
            workspace,
            as_loaded(renderer),
            journal,
            Audience(names=[contact.id]),
            note=note or (meeting.note if meeting else None),
            replace=replace,
            warnings=warnings,
        )


def _thank_you_template(workspace: Workspace, names: Sequence[str]) -> Renderer:
    """thank-you.md, or else the one template of kind thank-you."""
    from outreach.composing.loading import load_renderer
    from outreach.support.errors import OutreachError

    days = workspace.settings.limits.follow_up_after
    if "thank-you" in names:
        return load_renderer(workspace.templates_dir, "thank-you", days)
    loaded = [load_renderer(workspace.templates_dir, name, days) for name in names]
    kinds = [renderer for renderer in loaded if renderer.template.kind == "thank-you"]
    if len(kinds) == 1:
        return kinds[0]
    raise OutreachError("name the thank-you template with --template (there is no thank-you.md)")


def _latest_meeting(journal: Journal | None, person: str) -> Entry | None:
    if journal is None:
        return None
    meetings = [e for e in journal.entries(person) if e.kind in ("met", "call")]
    return meetings[-1] if meetings else None
