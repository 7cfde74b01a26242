"""Opening a file in the person's own editor ($VISUAL or $EDITOR)."""

from __future__ import annotations

from pathlib import Path

import click

from outreach.errors import OutreachError


def open_in_editor(path: Path) -> None:
    try:
        click.edit(filename=str(path))
    except click.ClickException as error:
        raise OutreachError(f"the editor could not be opened: {error.message}") from None
