"""The workspace: one folder of one person's networking, found the way git finds a repository."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from outreach.support.errors import Problem, WorkspaceNotFound, at
from outreach.support.files import make_private

if TYPE_CHECKING:
    from outreach.people.contact import Contact
    from outreach.workspace.settings import Settings

MARKER = "outreach.toml"
# What the tool writes about people: its owner's alone, in a workspace made before that too.
PRIVATE_FOLDERS = (".outreach", "drafts", "sent", "eml")


class Workspace:
    """One person's networking folder, and where each of its files lives."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    @property
    def settings_file(self) -> Path:
        return self.root / MARKER

    @property
    def goal_file(self) -> Path:
        return self.root / "goal.md"

    @property
    def contacts_file(self) -> Path:
        return self.root / "contacts.yaml"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @cached_property  # asked for once a person while drafting
    def drafts_dir(self) -> Path:
        return self.root / "drafts"

    @property
    def sent_dir(self) -> Path:
        return self.root / "sent"

    @property
    def state_dir(self) -> Path:
        """`.outreach/`: the journal, the lock and caches."""
        return self.root / ".outreach"

    @property
    def journal_file(self) -> Path:
        return self.state_dir / "journal.sqlite"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "send.lock"

    @property
    def address_verdicts_file(self) -> Path:
        """email-validator's verdicts on the domains seen so far (see people/addresses.py)."""
        return self.state_dir / "email-validator.json"

    @property
    def calendar_file(self) -> Path:
        """The events `export ics` has written, so that one no longer due is cancelled."""
        return self.state_dir / "calendar.json"

    @property
    def eml_dir(self) -> Path:
        """Where `export eml` writes unless told."""
        return self.root / "eml"

    def make_private(self) -> list[Problem]:
        """Tighten the private folders where they let others in (one stat each otherwise)."""
        return make_private(self.root, PRIVATE_FOLDERS)

    @cached_property
    def settings(self) -> Settings:
        from outreach.workspace.settings import load_settings

        return load_settings(self.settings_file)

    def load_contacts(self) -> list[Contact]:
        from outreach.people.reading import load_contacts

        return load_contacts(self.contacts_file, self.state_dir)


def find_workspace(named: Path | None = None, start: Path | None = None) -> Workspace:
    """--workspace, then OUTREACH_WORKSPACE, then here or the nearest parent with outreach.toml."""
    if named is None and os.environ.get("OUTREACH_WORKSPACE"):
        named = Path(os.environ["OUTREACH_WORKSPACE"])
    if named is not None:
        if not (named / MARKER).is_file():
            raise WorkspaceNotFound(
                Problem(
                    at(str(named)),
                    f"not an outreach workspace (no {MARKER}); "
                    f"make one with: outreach init {named}",
                )
            )
        return Workspace(named.resolve())
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return Workspace(folder)
    raise WorkspaceNotFound(
        f"no outreach workspace here or in any parent folder ({MARKER} not found); "
        "make one with 'outreach init DIR', try 'outreach init --example DIR', "
        "or name one with --workspace DIR or OUTREACH_WORKSPACE"
    )
