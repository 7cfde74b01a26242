"""A template loaded whole: its front matter read and checked (workspace/templates.py), then
its Jinja compiled in the sandbox (renderer.py), so a syntax error is found when the template
is loaded, not at the first person. The compiled Renderer carries the template (`.template`):
a command loads each template once and renders with what it loaded."""

from __future__ import annotations

from pathlib import Path

from outreach.composing.renderer import Renderer
from outreach.workspace.templates import load_template


def load_renderer(templates_dir: Path, name: str, default_follow_up: int) -> Renderer:
    return Renderer(load_template(templates_dir, name, default_follow_up))
