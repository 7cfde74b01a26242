"""Opening a file in the person's own editor ($VISUAL or $EDITOR, else a plain default)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from outreach.support.errors import OutreachError


def default_editor() -> str | None:
    """The editor to open where neither VISUAL nor EDITOR is set: notepad on Windows, else
    nano where it is installed (it shows its keys on screen), else vi. None means Click's
    own choice ($VISUAL, then $EDITOR). Click would try `sensible-editor` first, which on a
    fresh Debian or Ubuntu asks the person to pick an editor from a list before it opens."""
    if os.environ.get("VISUAL") or os.environ.get("EDITOR"):
        return None
    if sys.platform == "win32":
        return "notepad"
    return "nano" if shutil.which("nano") else "vi"


def open_in_editor(path: Path) -> None:
    try:
        click.edit(filename=str(path), editor=default_editor())
    except click.ClickException as error:
        raise OutreachError(f"the editor could not be opened: {error.message}") from None
