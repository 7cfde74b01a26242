"""Sending and credentials: send, auth login | status | logout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from outreach.cli.app import App, cli, notice, pass_app, say_error, warn

if TYPE_CHECKING:
    from outreach.delivery.sending import Outcome, Queue
    from outreach.drafts.draft import Draft
    from outreach.journal.database import Journal
    from outreach.support.errors import OutreachError
    from outreach.workspace.folder import Workspace


def _has_terminal() -> bool:
    return sys.stdin.isatty()


def _prompt_password(text: str) -> str:
    return str(click.prompt(text, hide_input=True))


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show the messages as they would go; send nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before sending.")
@click.option("--limit", type=click.IntRange(min=0), help="Send at most N messages.")
@click.option("--retry-unknown", is_flag=True, help="Also send drafts whose last send was cut off.")
@click.option(
    "--force", is_flag=True, help="Also send pushed drafts (you may have sent them already)."
)
@pass_app
def send(
    app: App, dry_run: bool, yes: bool, limit: int | None, retry_unknown: bool, force: bool
) -> None:
    """Send the approved drafts through your mail account, each at most once.

    Says what it is about to do and asks first (unless --yes). Logs in once; keeps
    per_minute and per_day; moves each sent draft to sent/ and logs it.

    \b
    Examples:
      outreach send --dry-run
      outreach send --limit 5
      outreach send --yes
    """
    from outreach.delivery.report import RunReport, broken_note, run_report, waiting_note
    from outreach.delivery.sending import check_sendable, prepare, send_lock
    from outreach.journal.database import open_journal
    from outreach.support.errors import OutreachError

    workspace = app.workspace
    check_sendable(workspace)
    report: RunReport | None = None  # a run's; none for a dry run or nothing to send
    with send_lock(workspace), open_journal(workspace.journal_file) as journal:
        queue = prepare(workspace, journal, limit=limit, retry_unknown=retry_unknown, force=force)
        _say_held_back(queue, workspace.root)
        broken, waiting = broken_note(queue), waiting_note(queue)
        if not queue.ready:
            click.echo(
                "Nothing to send. " + broken + (waiting or "Approve drafts with: outreach review")
            )
        elif dry_run:
            _show_dry_run(queue.ready, workspace)
            click.echo(
                f"Dry run: {len(queue.ready)} message(s) shown, nothing sent. {broken}"
                "Send them with: outreach send"
            )
        else:
            _say_what_goes(workspace, len(queue.ready), waiting)
            if not yes:
                click.confirm("Send them?", abort=True)
            outcomes, stopped = _run(workspace, journal, queue, force)
            report = run_report(queue, outcomes, stopped)
    if report is not None:
        click.echo(report.summary)
        if report.problems:
            raise OutreachError(*report.problems)
    if queue.broken:
        raise click.exceptions.Exit(1)


def _say_held_back(queue: Queue, root: Path) -> None:
    """What earlier runs left, and the drafts this run holds back, each with why."""
    for path in queue.filed:
        click.echo(f"filed {path.relative_to(root)} (sent by an earlier run)")
    for draft, filed in queue.kept:
        warn(_kept_note(draft, filed, root))
    for draft in queue.unknown:
        warn(
            f"drafts/{draft.name}: a send was cut off and nobody knows whether it arrived; "
            "check your Sent folder, then delete the draft or use --retry-unknown"
        )
    for draft in queue.broken:  # reported now; the exit status says so at the end
        say_error(f"drafts/{draft.name}: {draft.broken} (not sent)")
    for draft in queue.broken_unapproved:
        warn(f"drafts/{draft.name}: {draft.broken} (not approved; mend it in: outreach review)")
    for draft in queue.pushed:
        warn(
            f"drafts/{draft.name}: pushed to your mail account's {draft.get('pushed_folder')} "
            "folder, so you may have sent it from there: not sent (send it anyway with --force)"
        )


def _say_what_goes(workspace: Workspace, count: int, waiting: str) -> None:
    settings = workspace.settings
    smtp = settings.smtp
    login = f" as {smtp.user}" if smtp.user else " without a login"
    click.echo(
        f"About to send {count} message(s) from {settings.me.name} "
        f"<{settings.me.email}> through {smtp.host}:{smtp.port} ({smtp.security}){login}, "
        f"from the workspace {workspace.root}."
    )
    if waiting:
        click.echo(waiting)


def _run(
    workspace: Workspace, journal: Journal, queue: Queue, force: bool = False
) -> tuple[list[Outcome], OutreachError | None]:
    """Log in and send the queue: the outcomes, and the error that stopped the run, if one did."""
    from outreach.delivery.credentials import find_password
    from outreach.delivery.sending import Sender, open_session
    from outreach.support.errors import OutreachError

    smtp = workspace.settings.smtp
    password = (
        find_password(smtp, _prompt_password if _has_terminal() else None) if smtp.user else None
    )
    session = open_session(workspace, password, notice)
    progress = _Progress(len(queue.ready), workspace.root)
    sender = Sender(
        workspace,
        journal,
        session,
        progress.report,
        frozenset(queue.retrying),
        notify=notice,
        force=force,
    )
    stopped: OutreachError | None = None
    try:
        sender.run(queue.ready)
    except OutreachError as error:  # the summary still says what the run did
        stopped = error
    finally:
        progress.close()
    for draft, filed in sender.kept:
        warn(_kept_note(draft, filed, workspace.root))
    return sender.outcomes, stopped


def _kept_note(draft: Draft, filed: Path, root: Path) -> str:
    return (
        f"drafts/{draft.name} changed after its message went; the message as it went is "
        f"{filed.relative_to(root)}. The changed text stays in drafts/ and is not sent "
        "(its message id is used): delete it, or draft again to write a new message"
    )


def _show_dry_run(drafts: list[Draft], workspace: object) -> None:
    from outreach.delivery.mail import as_shown, build_message
    from outreach.workspace.folder import Workspace

    assert isinstance(workspace, Workspace)
    for draft in drafts:
        message = build_message(draft, workspace.settings.me)
        click.echo(click.style(f"--- drafts/{draft.name}", bold=True))
        click.echo(as_shown(message), nl=False)
        click.echo("")


class _Progress:
    """A progress bar on a terminal; a line per message otherwise."""

    def __init__(self, total: int, root: object) -> None:
        self.root = root
        self.bar = (
            click.progressbar(length=total, label="Sending", file=sys.stderr)
            if sys.stderr.isatty() and total > 1
            else None
        )
        if self.bar is not None:
            self.bar.__enter__()

    def report(self, outcome: Outcome) -> None:
        from outreach.support.text import printable

        if self.bar is not None:
            self.bar.update(1)
        if outcome.result == "sent":
            if self.bar is None:
                click.echo(f"sent    {outcome.draft.get('to')}: {outcome.draft.get('subject')}")
        elif outcome.notice:
            warn(f"drafts/{outcome.draft.name}: {outcome.detail}")
        else:
            line = f"{outcome.result:7} drafts/{outcome.draft.name}: {outcome.detail}"
            click.echo(printable(line), err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.group()
def auth() -> None:
    """Store, check or remove the SMTP password in the system keyring."""


@auth.command()
@pass_app
def login(app: App) -> None:
    """Ask for the SMTP password and keep it in the system keyring.

    Without a terminal, the password is read from standard input.

    \b
    Examples:
      outreach auth login
      pass show mail/app-password | outreach auth login
    """
    from outreach.delivery.credentials import store_password

    smtp = app.workspace.settings.smtp
    if not smtp.user:
        raise click.UsageError("smtp.user is not set in outreach.toml: there is no login to keep")
    if _has_terminal():
        password = _prompt_password(f"SMTP password for {smtp.user} at {smtp.host}")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    store_password(smtp, password)
    click.echo(f"Stored the password for {smtp.user} in the system keyring (service 'outreach').")


@auth.command()
@pass_app
def status(app: App) -> None:
    """Say where the password would come from, without showing it.

    \b
    Example:
      outreach auth status
    """
    from outreach.delivery.credentials import password_source

    source = password_source(app.workspace.settings.smtp, _has_terminal())
    click.echo(f"Password: {source.detail}")


@auth.command()
@pass_app
def logout(app: App) -> None:
    """Remove the password from the system keyring.

    \b
    Example:
      outreach auth logout
    """
    from outreach.delivery.credentials import forget_password

    smtp = app.workspace.settings.smtp
    if forget_password(smtp):
        click.echo(f"Removed the password for {smtp.user} from the system keyring.")
    else:
        click.echo(f"No password for {smtp.user} was in the system keyring.")
