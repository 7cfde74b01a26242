"""Writing templates: a new one from the shipped template of its kind, and editing with a check."""

from __future__ import annotations

from pathlib import Path

from outreach.support.editor import open_in_editor
from outreach.support.errors import OutreachError, Problem, TemplateError
from outreach.support.files import atomic_write
from outreach.support.text import MAX_NAME_LENGTH
from outreach.workspace.creating import shipped_template
from outreach.workspace.folder import Workspace
from outreach.workspace.templates import name_problem, template_path, valid_name


def create_template(workspace: Workspace, name: str, kind: str) -> Path:
    reason = name_problem(name)
    if reason is not None:
        shown = name if len(name) <= MAX_NAME_LENGTH else name[:MAX_NAME_LENGTH] + "…"
        raise OutreachError(f"'{shown}' cannot name a template: {reason}")
    path = template_path(workspace.templates_dir, name)
    if path.exists():
        raise OutreachError(Problem(f"templates/{path.name}", "exists already; edit it instead"))
    atomic_write(path, shipped_template(kind))
    return path


def edit_template(workspace: Workspace, name: str) -> list[Problem]:
    """Open the template in the editor; the problems it has once saved."""
    from outreach.composing.drafting import lint_templates
    from outreach.workspace.goal import load_goal

    path = template_path(workspace.templates_dir, name)
    if not valid_name(name) or not path.is_file():
        raise TemplateError(f"no template '{name}' in templates/")
    open_in_editor(path)
    goal, goal_problems = load_goal(workspace.goal_file)
    return lint_templates(
        workspace, workspace.settings, goal, goal_problems, workspace.load_contacts(), [name]
    )
