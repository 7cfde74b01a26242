"""The journal and keeping in touch: log, due, plan, thank."""

from __future__ import annotations

from datetime import date

import click

from outreach.cli.app import (
    App,
    as_of_option,
    cli,
    complete_people,
    complete_templates,
    json_option,
    notice,
    on_option,
    pass_app,
    print_json,
    print_table,
    warn,
)
from outreach.support.text import HAND_KINDS


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def log(ctx: click.Context, as_json: bool) -> None:
    """Show the journal: every send, reply, meeting, call, gift and note.

    \b
    Examples:
      outreach log
      outreach log show ada
      outreach log add ada met --note "coffee; she suggested the Gridwise team" --on monday
    """
    if ctx.invoked_subcommand is None:
        _print_entries(ctx.ensure_object(App), None, as_json)


@log.command()
@click.argument("person", shell_complete=complete_people)
@json_option
@pass_app
def show(app: App, person: str, as_json: bool) -> None:
    """Show one person's part of the journal.

    \b
    Example:
      outreach log show ada --json
    """
    _print_entries(app, person, as_json)


def _print_entries(app: App, person: str | None, as_json: bool) -> None:
    from outreach.journal.database import open_journal
    from outreach.people.lookup import find_person

    workspace = app.workspace
    person_id = find_person(workspace.load_contacts(), person).id if person else None
    with open_journal(workspace.journal_file) as journal:
        entries = journal.entries(person_id)
    if as_json:
        print_json([entry.as_json() for entry in entries])
        return
    if not entries:
        click.echo("The journal is empty." if person is None else "Nothing logged with them yet.")
        return
    print_table(
        ("date", "person", "kind", "what"),
        [
            (e.day, e.person, e.kind, " / ".join(x for x in (e.subject, e.note) if x))
            for e in entries
        ],
    )


@log.command()
@click.argument("person", shell_complete=complete_people)
@click.argument("kind", type=click.Choice(HAND_KINDS))
@click.option("--note", help="What happened, in a few words.")
@on_option
@pass_app
def add(app: App, person: str, kind: str, note: str | None, on: date | None) -> None:
    """Add an entry: KIND is replied, met, call, gave, received, note, or sent
    (a message sent outside outreach).

    \b
    Examples:
      outreach log add ada replied
      outreach log add jose call --note "portfolio advice" --on yesterday
      outreach log add grace gave --note "sent her the research templates"
    """
    from outreach.journal.database import logged_entry, open_journal
    from outreach.people.lookup import find_person

    workspace = app.workspace
    contact = find_person(workspace.load_contacts(), person)
    entry = logged_entry(contact.id, kind, on, note)
    with open_journal(workspace.journal_file) as journal:
        journal.add(entry)
    click.echo(f"logged {kind} with {contact.label} on {entry.day}")
    if kind in ("met", "call"):
        click.echo(f"A thank-you is due: outreach thank {contact.id}")


@cli.command()
@as_of_option
@json_option
@pass_app
def due(app: App, as_of: date, as_json: bool) -> None:
    """List what falls due: follow-ups, thank-yous and check-ins, most overdue first.

    \b
    Examples:
      outreach due
      outreach due --as-of friday --json
    """
    from outreach.keeping.readers import due_for

    items = due_for(app.workspace, as_of, only_due=True)
    if as_json:
        print_json([item.as_json() for item in items])
        return
    if not items:
        click.echo(f"Nothing is due on {as_of}.")
        return
    print_table(
        ("due", "late", "person", "reason", "detail"),
        [
            (
                item.due,
                f"{(as_of - item.due).days}d" if item.due < as_of else "today",
                item.person.label,
                item.reason,
                item.detail,
            )
            for item in items
        ],
    )
    click.echo(
        "\nDraft them with: outreach draft follow-up --due, outreach draft check-in --due, "
        "outreach thank PERSON"
    )


@cli.command()
@as_of_option
@json_option
@pass_app
def plan(app: App, as_of: date, as_json: bool) -> None:
    """Propose who to ask next, and why, within limits.max_new.

    \b
    Examples:
      outreach plan
      outreach draft request --plan
    """
    from outreach.keeping.readers import plan_for

    result = plan_for(app.workspace, as_of)
    for line in result.warnings:
        warn(line)
    if as_json:
        print_json([{"person": p.person.id, "reason": p.reason} for p in result.proposals])
        return
    click.echo(
        f"{len(result.counting)} of {result.max_new} requests still wait for an answer"
        + (f" ({', '.join(result.counting)})" if result.counting else "")
        + "."
    )
    if not result.proposals:
        click.echo("Nobody to ask now: wait for answers, or raise limits.max_new in outreach.toml.")
        return
    print_table(("person", "why"), [(p.person.label, p.reason) for p in result.proposals])
    click.echo("\nDraft these requests with: outreach draft request --plan")


@cli.command()
@click.argument("person", shell_complete=complete_people)
@click.option("--note", help="What you talked about (default: the meeting's own note).")
@click.option(
    "--template",
    default=None,
    shell_complete=complete_templates,
    help="A thank-you template (default: thank-you).",
)
@click.option("--replace", is_flag=True, help="Draft it again where a thank-you already waits.")
@pass_app
def thank(app: App, person: str, note: str | None, template: str | None, replace: bool) -> None:
    """Draft the thank-you for the latest meeting or call with PERSON.

    \b
    Examples:
      outreach thank jose --note "the intro to the Gridwise design team"
      outreach thank jose --replace --note "the portfolio advice"
    """
    from outreach.composing.thanks import thank_you

    result = thank_you(app.workspace, person, note=note, template=template, replace=replace)
    for line in result.warnings:
        warn(line)
    for line in result.notices:
        notice(line)
    for path in result.written:
        click.echo(f"drafted {path.relative_to(app.workspace.root)}. Next: outreach review")
