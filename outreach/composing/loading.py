"""A template loaded whole: its front matter read and checked (workspace/templates.py), then
its Jinja compiled in the sandbox (renderer.py), so a syntax error is found when the template
is loaded, not at the first person."""

from __future__ import annotations

from pathlib import Path

from outreach.composing.renderer import Renderer
from outreach.workspace.templates import Template, load_template


def load_checked(templates_dir: Path, name: str, default_follow_up: int) -> Template:
    template = load_template(templates_dir, name, default_follow_up)
    Renderer(template)
    return template
