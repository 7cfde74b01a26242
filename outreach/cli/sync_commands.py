"""Reading the mailbox: sync."""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from outreach.cli.app import App, TypedDay, cli, json_option, pass_app, print_json, warn

if TYPE_CHECKING:
    from outreach.mailbox.sync import Logged, SyncResult

# The groups of the output, in its order: the kind of entry and what the heading says.
_GROUPS = (
    ("replied", "Replies"),
    ("auto-reply", "Automatic replies (not replies: the follow-up stays due)"),
    ("bounced", "Bounces (no follow-up; the address is flagged)"),
    ("note", "Delays (notes)"),
    ("sent", "Sent"),
)
_LONG_RUN = 1000  # messages in a folder above which a terminal gets a progress bar


def _prompt_password(text: str) -> str:
    return str(click.prompt(text, hide_input=True))


class _Bars:
    """A progress bar per folder on a terminal, for a long read."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.folder = ""
        self.shown = 0

    def __call__(self, folder: str, done: int, total: int) -> None:
        if not self.enabled or total < _LONG_RUN:
            return
        if folder != self.folder:
            self.close()
            self.folder, self.shown = folder, 0
            self.bar = click.progressbar(length=total, label=f"reading {folder}", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command()
@click.option(
    "--since",
    type=TypedDay("last"),
    help="Read back to DATE (default: from where the last run stopped; a first run reads 90 "
    "days, or from the first message sent, whichever is later).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be logged; log nothing.")
@json_option
@pass_app
def sync(app: App, since: date | None, dry_run: bool, as_json: bool) -> None:
    """Read the mailbox's new mail into the journal: replies, automatic replies, bounces,
    and messages sent from your mail program.

    Headers only: nothing in the account is marked read, moved or deleted.

    \b
    Examples:
      outreach sync
      outreach sync --dry-run --since 2024-01-01
    """
    from outreach.journal.database import open_journal
    from outreach.mailbox.connection import connect
    from outreach.mailbox.sync import sync as run_sync
    from outreach.support.errors import OutreachError, Problem

    workspace = app.workspace
    settings = workspace.settings.imap
    if settings is None:
        raise OutreachError(
            Problem("outreach.toml", "there is no [imap] section: sync needs one to read mail")
        )
    prompt = _prompt_password if sys.stdin.isatty() else None
    bars = _Bars(sys.stderr.isatty() and not as_json)
    with (
        connect(settings, prompt=prompt, oauth2=workspace.settings.oauth2, notify=warn) as mailbox,
        open_journal(workspace.journal_file) as journal,
    ):
        try:
            result = run_sync(
                workspace, journal, mailbox, since=since, dry_run=dry_run, progress=bars
            )
        finally:
            bars.close()
    for skipped in result.skipped:
        warn(str(skipped))
    if as_json:
        print_json([item.entry.as_json() for item in result.logged])
        return
    _print_result(result, dry_run)


def _print_result(result: SyncResult, dry_run: bool) -> None:
    folders = ", ".join(result.folders)
    click.echo(f"Read {result.read:,} new messages in {folders}.")
    if not result.logged:
        click.echo("Nothing new to log.")
    for kind, heading in _GROUPS:
        items = [item for item in result.logged if item.entry.kind == kind]
        if not items:
            continue
        click.echo(f"\n{heading}: {len(items)}")
        # one write for the group: a first run can list thousands
        click.echo("\n".join(f"  {_line(item)}" for item in items))
    if any(item.entry.via == "address" for item in result.logged) and not dry_run:
        click.echo("\nCheck the replies matched by address: outreach log remove ID takes one back.")
    if dry_run:
        click.echo("\nDry run: nothing was logged.")


def _line(item: Logged) -> str:
    from outreach.support.text import printable

    entry = item.entry
    number = f"#{entry.id} " if entry.id is not None else ""
    what = " / ".join(x for x in (entry.subject, entry.note) if x)
    how = f"by {entry.via}" if entry.via in ("thread", "address") else f"in {item.folder}"
    text = f"{number}{entry.day} {entry.person}: {what} ({how}: {item.how})"
    if item.filed is not None:
        text += f"; filed as sent/{item.filed.name}"
    return printable(text)
