"""A template loaded whole: its front matter read and checked (workspace/templates.py), then
its Jinja compiled in the sandbox (renderer.py), so a syntax error is found when the template
is loaded, not at the first person. The compiled Renderer carries the template (`.template`):
a command loads each template once and renders with what it loaded."""

from __future__ import annotations

from pathlib import Path

from outreach.composing.renderer import Renderer
from outreach.support.errors import Problem, TemplateError
from outreach.workspace.templates import Template, list_templates, load_template


def load_renderer(templates_dir: Path, name: str, default_follow_up: int) -> Renderer:
    return Renderer(load_template(templates_dir, name, default_follow_up))


def load_every(templates_dir: Path, default_follow_up: int) -> tuple[list[Template], list[Problem]]:
    """Every template of templates/ that reads and compiles, and the problems of the others."""
    loaded: list[Template] = []
    problems: list[Problem] = []
    for name in list_templates(templates_dir):
        try:
            loaded.append(load_renderer(templates_dir, name, default_follow_up).template)
        except TemplateError as error:
            problems.extend(error.problems)
    return loaded, problems
