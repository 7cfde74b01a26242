"""`outreach export`: .eml drafts, the calendar of due dates, the journal as CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from outreach.cli.app import App, as_of_option, cli, pass_app


@cli.group()
def export() -> None:
    """Write drafts, due dates or the journal for other programs."""


@export.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@pass_app
def eml(app: App, directory: Path | None) -> None:
    """Write each waiting draft as a .eml file that mail programs open as a draft.

    DIRECTORY defaults to eml/ in the workspace.

    \b
    Example:
      outreach export eml ~/Desktop/outreach-drafts
    """
    from outreach.delivery.export import export_eml
    from outreach.drafts.draft import list_drafts

    workspace = app.workspace
    written = export_eml(
        list_drafts(workspace.drafts_dir),
        workspace.settings.me,
        directory or workspace.eml_dir,
        workspace.root,
        workspace.settings.limits.max_message_mb,
    )
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(written)} .eml file{'s' if len(written) != 1 else ''} written.")


@export.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@as_of_option
@pass_app
def ics(app: App, file: Path | None, as_of: date) -> None:
    """Write every due date as an all-day calendar event (FILE, or standard output).

    Each event keeps its UID across exports, so importing again updates it; one that is
    no longer due is written as cancelled for 30 days, so importing again removes it.
    .outreach/calendar.json remembers what was written.

    \b
    Example:
      outreach export ics outreach.ics
    """
    from outreach.delivery.export import (
        calendar_events,
        calendar_memory,
        due_calendar,
        read_calendar_memory,
    )
    from outreach.keeping.readers import due_for
    from outreach.support.files import atomic_write, write_all_or_nothing

    workspace = app.workspace
    now = datetime.now(UTC)
    remembered = read_calendar_memory(workspace.calendar_file)
    events = calendar_events(
        due_for(workspace, as_of), workspace.settings.me, remembered, as_of, now
    )
    data = due_calendar(events, workspace.settings.me, as_of, now)
    memory = calendar_memory(events)
    if file is None:
        click.echo(data, nl=False)
        atomic_write(workspace.calendar_file, memory)
    else:
        write_all_or_nothing([(file, data), (workspace.calendar_file, memory)], not_private=[file])
        click.echo(f"wrote {file}", err=True)


@export.command("csv")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@pass_app
def csv_command(app: App, file: Path | None) -> None:
    """Write the journal as CSV for a spreadsheet (FILE, or standard output).

    \b
    Example:
      outreach export csv journal.csv
    """
    from outreach.delivery.export import journal_csv
    from outreach.journal.database import open_journal
    from outreach.support.files import atomic_write

    with open_journal(app.workspace.journal_file) as journal:
        text = journal_csv(journal.entries())
    if file is None:
        click.echo(text, nl=False)
    else:
        atomic_write(file, text, private=False)
        click.echo(f"wrote {file}", err=True)
