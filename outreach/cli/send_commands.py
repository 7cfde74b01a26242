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
            all_go = _show_dry_run(queue.ready, workspace)
            click.echo(
                f"Dry run: {len(queue.ready)} message(s) shown, nothing sent. {broken}"
                "Send them with: outreach send"
            )
            if not all_go:
                raise click.exceptions.Exit(1)
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
    from outreach.delivery.sending import Sender, open_session
    from outreach.support.errors import OutreachError

    settings = workspace.settings
    smtp = settings.smtp
    password = None
    if smtp.user:  # oauth2.py (http.server and more) only where there is a login
        from outreach.delivery.oauth2 import find_secret

        prompt = _prompt_password if _has_terminal() else None
        password = find_secret(smtp, settings.oauth2, prompt, warn)
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


def _show_dry_run(drafts: list[Draft], workspace: object) -> bool:
    """Each message as it would go, its attachments listed with their sizes; False where one
    of them cannot go (named by an Error: line)."""
    from outreach.delivery.mail import as_shown, full_message
    from outreach.support.errors import DraftError
    from outreach.workspace.folder import Workspace

    assert isinstance(workspace, Workspace)
    settings = workspace.settings
    all_go = True
    for draft in drafts:
        try:
            message, _ = full_message(
                draft, settings.me, workspace.root, settings.limits.max_message_mb
            )
        except DraftError as error:
            for problem in error.problems:
                say_error(f"{problem}; it would not be sent")
            all_go = False
            continue
        click.echo(click.style(f"--- drafts/{draft.name}", bold=True))
        click.echo(as_shown(message), nl=False)
        click.echo("")
    return all_go


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
        elif outcome.refused:
            pass  # its Error: line comes with the run's summary
        else:
            line = f"{outcome.result:7} drafts/{outcome.draft.name}: {outcome.detail}"
            click.echo(printable(line), err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.group()
def auth() -> None:
    """Store, check or remove the logins: the SMTP password, or an OAuth2 sign-in."""


@auth.command()
@click.option(
    "--oauth2",
    is_flag=True,
    help="Sign in with the provider of [oauth2] (a browser, or a device code) instead.",
)
@pass_app
def login(app: App, oauth2: bool) -> None:
    """Ask for the SMTP password and keep it in the system keyring.

    Without a terminal, the password is read from standard input. With --oauth2, sign in
    with the provider named in [oauth2] and keep its refresh token (and the client secret,
    asked first: empty for a public client) in the keyring.

    \b
    Examples:
      outreach auth login
      pass show mail/app-password | outreach auth login
      outreach auth login --oauth2
    """
    if oauth2:
        _login_oauth2(app)
        return
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


def _login_oauth2(app: App) -> None:
    import webbrowser

    from outreach.delivery import oauth2
    from outreach.support.errors import OutreachError

    settings = app.workspace.settings
    problems = oauth2.configuration_problems(settings)
    if problems:
        raise OutreachError(*problems)
    servers = oauth2.oauth2_servers(settings)
    if not servers or settings.oauth2 is None:
        raise OutreachError(
            'outreach.toml sets no auth = "oauth2" without a password_cmd (in [smtp] or '
            "[imap]): there is no OAuth2 sign-in to make"
        )
    client_id = settings.oauth2.client_id or ""
    label = f"Client secret for {client_id} (empty for a public client)"
    if _has_terminal():
        secret = str(click.prompt(label, hide_input=True, default="", show_default=False))
    else:
        secret = sys.stdin.readline().rstrip("\r\n")

    def open_browser(url: str) -> bool:
        try:
            return webbrowser.open(url)
        except webbrowser.Error:
            return False

    for account in sorted({server.user for server in servers if server.user}):
        grant = oauth2.login(
            settings.oauth2, account, secret, say=click.echo, open_browser=open_browser
        )
        click.echo(
            f"Signed in as {account} ({grant.provider}); scopes granted: "
            f"{' '.join(grant.scopes)}. The refresh token"
            f"{' and the client secret are' if secret else ' is'} in the system keyring "
            "(service 'outreach'); no access token is kept."
        )


@auth.command()
@pass_app
def status(app: App) -> None:
    """Say where each login's secret would come from, without showing it.

    For OAuth2: the account, the scopes granted and the refresh token's age.

    \b
    Example:
      outreach auth status
    """
    from outreach.delivery.oauth2 import login_report

    report = login_report(app.workspace.settings, _has_terminal())
    for line in report.lines:
        click.echo(line)
    for problem in report.problems:
        (warn if not problem.is_error else say_error)(problem)


@auth.command()
@pass_app
def logout(app: App) -> None:
    """Remove the password, or the OAuth2 login, from the system keyring.

    \b
    Example:
      outreach auth logout
    """
    from outreach.delivery.credentials import forget_password
    from outreach.delivery.oauth2 import forget, oauth2_servers

    settings = app.workspace.settings
    smtp = settings.smtp
    built_in = oauth2_servers(settings)
    client_id = settings.oauth2.client_id if settings.oauth2 else None
    for account in sorted({server.user for server in built_in if server.user}):
        removed = forget(account, client_id)
        if removed:
            click.echo(f"Removed {' and '.join(removed)} from the system keyring.")
        else:
            click.echo(f"No OAuth2 login for {account} was in the system keyring.")
    if smtp in built_in or not smtp.user:
        return
    if forget_password(smtp):
        click.echo(f"Removed the password for {smtp.user} from the system keyring.")
    else:
        click.echo(f"No password for {smtp.user} was in the system keyring.")
