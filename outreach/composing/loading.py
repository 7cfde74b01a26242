"""A template loaded whole: its front matter read and checked (workspace/templates.py), then
its Jinja compiled in the sandbox (renderer.py), so a syntax error is found when the template
is loaded, not at the first person. The compiled Renderer carries the template (`.template`):
a command loads each template once and renders with what it loaded.

Drafting loads a template as `Loaded`: compiled at once, as above, unless the record of
drafts (composing/drafted.py) proves that these very bytes compiled before, with output fixed
by their inputs; then at its first render, so a `draft --replace` that renders nothing never
imports Jinja (its import and the compile: 150 M instructions of 1,258 M for 5,000
unchanged drafts)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from outreach.support.errors import Problem, TemplateError
from outreach.workspace.templates import Template, list_templates, load_template_source

if TYPE_CHECKING:  # renderer.py imports Jinja
    from outreach.composing.drafted import Record
    from outreach.composing.renderer import Renderer


def load_renderer(templates_dir: Path, name: str, default_follow_up: int) -> Renderer:
    from outreach.composing.renderer import Renderer

    template, _ = load_template_source(templates_dir, name, default_follow_up)
    return Renderer(template)


class Loaded:
    """A template for drafting, with the bytes it was read from (None: not kept), and its
    Renderer."""

    def __init__(self, template: Template, source: bytes | None, renderer: Renderer | None) -> None:
        self.template = template
        self.source = source
        self._renderer = renderer

    @property
    def compiled(self) -> bool:
        return self._renderer is not None

    @property
    def deterministic(self) -> bool:
        """Whether its output is fixed by its inputs: as compiled, or as proven (only a
        template whose output is fixed gets a proof)."""
        return self._renderer is None or self._renderer.deterministic

    def renderer(self) -> Renderer:
        if self._renderer is None:
            from outreach.composing.renderer import Renderer

            self._renderer = Renderer(self.template)
        return self._renderer


def load_for_drafting(
    templates_dir: Path, name: str, default_follow_up: int, record: Record | None
) -> Loaded:
    """The template, compiled now unless `record` proves it compiles (then at first use)."""
    template, source = load_template_source(templates_dir, name, default_follow_up)
    if record is not None and record.compiles(name, source):
        return Loaded(template, source, None)
    from outreach.composing.renderer import Renderer

    return Loaded(template, source, Renderer(template))


def as_loaded(renderer: Renderer) -> Loaded:
    """A template compiled already, for drafting (the record then reads its file)."""
    return Loaded(renderer.template, None, renderer)


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
