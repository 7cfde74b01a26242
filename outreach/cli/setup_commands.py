"""Commands that make and inspect the workspace: init, check, goal, contacts."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from outreach.cli.app import (
    App,
    cli,
    compact_json,
    json_option,
    notice,
    pass_app,
    print_json,
    print_table,
    warn,
    warn_and_keep_errors,
)

if TYPE_CHECKING:
    from outreach.keeping.overview import PersonRow


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--example", is_flag=True, help="Make a complete demonstration workspace instead.")
def init(directory: Path, example: bool) -> None:
    """Create a workspace in DIRECTORY (default: here); never overwrites a file.

    \b
    Examples:
      outreach init ~/networking
      outreach init --example demo
    """
    from outreach.workspace.creating import init_workspace

    report = init_workspace(directory, example=example)
    for name in report.created:
        click.echo(f"created {directory / name}")
    for name in report.kept:
        click.echo(f"kept    {directory / name} (it exists; not overwritten)")
    for problem in report.problems:
        warn(problem)
    click.echo("")
    steps = (
        ["outreach check", "outreach draft request --plan", "outreach review"]
        if example
        else [
            "write your goal in goal.md (requests wait until it is clear)",
            "list the people you know in contacts.yaml (or: outreach import contacts.vcf)",
            "outreach check",
        ]
    )
    if directory.resolve() != Path.cwd().resolve():
        import shlex

        steps.insert(0, f"cd {shlex.quote(str(directory))}")
    click.echo("Next:")
    for step in steps:
        click.echo(f"  {step}")


@cli.command()
@pass_app
def check(app: App) -> None:
    """Check settings, goal, contacts, templates and drafts; report every problem.

    Exits 1 if any problem is an error; warnings alone exit 0.

    \b
    Example:
      outreach check
    """
    from outreach.composing.check import check_workspace
    from outreach.delivery.oauth2 import login_report
    from outreach.support.errors import OutreachError
    from outreach.workspace.settings import read_settings

    problems = check_workspace(app.workspace)
    try:
        settings, _ = read_settings(app.workspace.settings_file)  # their problems: above
    except OutreachError:  # outreach.toml does not parse: check_workspace said so
        settings = None
    if settings is not None:
        logins = login_report(settings, sys.stdin.isatty(), only_configured=True)
        for line in logins.lines:
            notice(line)
        problems = [*problems, *logins.problems]
    errors = warn_and_keep_errors(problems)
    if errors:
        raise OutreachError(*errors)
    warnings = len(problems)
    if warnings:
        plural = "s" if warnings != 1 else ""
        click.echo(f"No errors, {warnings} warning{plural} above: {app.workspace.root} is ready.")
    else:
        click.echo(f"All good: {app.workspace.root} is ready.")


@cli.command()
@pass_app
def goal(app: App) -> None:
    """Print the goal and its clarity report.

    Errors block drafting from request templates; warnings only advise.

    \b
    Example:
      outreach goal
    """
    from outreach.support.errors import OutreachError
    from outreach.workspace.goal import load_goal

    loaded, problems = load_goal(app.workspace.goal_file)
    for label, value in (
        ("Looking for", loaded.looking_for),
        ("Request", loaded.request),
        ("Time needed", loaded.time_needed),
        ("Options", ", ".join(loaded.options)),
        ("Offer", loaded.offer),
    ):
        click.echo(f"{label + ':':13} {value or '-'}")
    if loaded.story:
        click.echo("")
        click.echo(loaded.story)
    click.echo("")
    errors = warn_and_keep_errors(problems)
    if errors:
        raise OutreachError(*errors, "requests are not drafted until the goal is clear")
    notice("The goal is clear." if not problems else "The goal is clear enough to draft.")


@cli.command()
@json_option
@pass_app
def contacts(app: App, as_json: bool) -> None:
    """List the people: their lists, asks and gives, last contact and next due date.

    \b
    Examples:
      outreach contacts
      outreach contacts --json | jq '.[] | select(.next_due != null)'
    """
    if as_json and not sys.stdout.isatty():
        _print_contacts_json(app)
        return
    from outreach.keeping.overview import people_overview

    rows = people_overview(app.workspace)
    if not rows and not as_json:
        notice(
            f"Nobody in {app.workspace.contacts_file.name} yet: add people there, "
            "or run: outreach import contacts.vcf"
        )
        return
    if as_json:
        print_json(_json_rows(rows))
        return
    print_table(
        ("id", "name", "email", "lists", "asks", "gives", "last contact", "next due"),
        [
            (
                r.contact.id,
                r.contact.name,
                f"{r.contact.email} (bounced {r.bounced})" if r.bounced else r.contact.email,
                r.contact.lists,
                r.asks,
                r.gives,
                r.last_contact,
                r.next_due,
            )
            for r in rows
        ],
    )


def _print_contacts_json(app: App) -> None:
    """The rows as a pipe gets them: the bytes an earlier run kept, where nothing they were
    made of has changed since (see keeping/contacts_json.py), or made and kept now."""
    from outreach.keeping import contacts_json

    today = date.today()
    output = contacts_json.kept_output(app.workspace, today)
    if output is not None:
        click.echo(output, nl=False)
        return
    from outreach.keeping.overview import people_overview

    sources = contacts_json.sources_now(app.workspace)  # before the files are read
    written = []
    for chunk in compact_json(_json_rows(people_overview(app.workspace, today))):
        click.echo(chunk, nl=False)
        written.append(chunk)
    contacts_json.keep_output(app.workspace, today, sources, written)


def _json_rows(rows: Iterable[PersonRow]) -> Iterator[dict[str, Any]]:
    return (
        {
            "id": contact.id,
            "name": contact.name,
            "email": contact.email,
            "last_contact": last_contact,  # orjson writes dates as YYYY-MM-DD
            "next_due": next_due,
            "bounced": bounced,
            "asks": asks,
            "gives": gives,
        }
        for contact, asks, gives, last_contact, next_due, bounced in rows
    )
