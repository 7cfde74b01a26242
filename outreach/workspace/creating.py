"""Creating a workspace (`outreach init`) from the files shipped with the package."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from outreach.support.errors import Problem
from outreach.support.files import create_exclusive, make_private, private_folder
from outreach.support.text import TEMPLATE_KINDS
from outreach.workspace.folder import MARKER, PRIVATE_FOLDERS


class InitReport(NamedTuple):
    root: Path
    created: tuple[str, ...]
    kept: tuple[str, ...]
    problems: tuple[Problem, ...]  # what could not be made private


def shipped(name: str) -> str:
    """The text of a file shipped with the package (templates, examples)."""
    from importlib import resources

    return resources.files("outreach.data").joinpath(name).read_text(encoding="utf-8")


def shipped_template(name: str) -> str:
    from importlib import resources

    return resources.files("outreach.data.templates").joinpath(f"{name}.md").read_text("utf-8")


def init_workspace(root: Path, *, example: bool) -> InitReport:
    """Create the workspace's files; a file that exists is kept, never overwritten."""
    files = {
        MARKER: shipped("outreach.example.toml" if example else "outreach.toml"),
        "goal.md": shipped("goal.example.md" if example else "goal.md"),
        "contacts.yaml": shipped("contacts.example.yaml" if example else "contacts.yaml"),
        ".gitignore": shipped("gitignore.txt"),
        # One shipped template a kind, named after it.
        **{f"templates/{kind}.md": shipped_template(kind) for kind in TEMPLATE_KINDS},
    }
    created: list[str] = []
    kept: list[str] = []
    root.parent.mkdir(parents=True, exist_ok=True)
    private_folder(root)  # a new workspace is its owner's alone; an existing folder is kept
    for relative, text in files.items():
        written = create_exclusive(root / relative, text)
        (created if written else kept).append(relative)
    for folder in ("drafts", "sent", ".outreach"):
        private_folder(root / folder)
    problems = make_private(root, PRIVATE_FOLDERS)
    return InitReport(root, tuple(created), tuple(kept), tuple(problems))
