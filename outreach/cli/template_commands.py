"""`outreach templates`: list, new, edit, preview, check."""

from __future__ import annotations

import click

from outreach.cli.app import (
    App,
    cli,
    complete_people,
    complete_templates,
    is_interactive,
    json_option,
    pass_app,
    print_json,
    print_table,
    say_error,
    warn_and_keep_errors,
)
from outreach.support.text import TEMPLATE_KINDS


@cli.group()
def templates() -> None:
    """List, write, preview and check the message templates in templates/."""


@templates.command("list")
@json_option
@pass_app
def list_command(app: App, as_json: bool) -> None:
    """List the templates with their kind and subject.

    \b
    Example:
      outreach templates list
    """
    from outreach.composing.loading import load_every
    from outreach.support.errors import OutreachError

    days = app.workspace.settings.limits.follow_up_after
    loaded, problems = load_every(app.workspace.templates_dir, days)
    rows = [
        {"name": t.name, "kind": t.kind, "subject": t.subject, "follow_up_after": t.follow_up_text}
        for t in loaded
    ]
    if as_json:
        print_json(rows)
    else:
        print_table(
            ("name", "kind", "follow up", "subject"),
            [(r["name"], r["kind"], r["follow_up_after"], r["subject"]) for r in rows],
        )
    if problems:
        raise OutreachError(*problems)


@templates.command()
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(TEMPLATE_KINDS),
    default="request",
    show_default=True,
    help="What the template is for; it decides how the tool treats its messages.",
)
@click.option("--no-edit", is_flag=True, help="Create the file without opening the editor.")
@pass_app
def new(app: App, name: str, kind: str, no_edit: bool) -> None:
    """Create templates/NAME.md from the shipped template of its kind, then edit it.

    \b
    Example:
      outreach templates new intro-request --kind request
    """
    from outreach.composing.template_editing import create_template

    path = create_template(app.workspace, name, kind)
    click.echo(f"created {path}")
    if not no_edit:
        _edit_until_clean(app, name)


@templates.command()
@click.argument("name", shell_complete=complete_templates)
@pass_app
def edit(app: App, name: str) -> None:
    """Open templates/NAME.md in $VISUAL or $EDITOR, and check it when saved.

    \b
    Example:
      EDITOR=nano outreach templates edit request
    """
    _edit_until_clean(app, name)


def _edit_until_clean(app: App, name: str) -> None:
    from outreach.composing.template_editing import edit_template
    from outreach.support.errors import OutreachError

    while True:
        problems = edit_template(app.workspace, name)
        errors = warn_and_keep_errors(problems)
        if not errors:
            click.echo(f"templates/{name}.md is fine.")
            return
        for problem in errors:
            say_error(problem)
        if not is_interactive() or not click.confirm("Edit again?", default=True):
            raise OutreachError(f"templates/{name}.md was saved with the problems above")


@templates.command()
@click.argument("name", shell_complete=complete_templates)
@click.option(
    "--to",
    "person",
    required=True,
    shell_complete=complete_people,
    help="The person to render it for.",
)
@click.option("--note", help="The text a drafting command's --note would give.")
@pass_app
def preview(app: App, name: str, person: str, note: str | None) -> None:
    """Show the message NAME renders for one person, without writing anything.

    \b
    Examples:
      outreach templates preview request --to ada
      outreach templates preview check-in --to grace --note "heat pumps in old houses"
    """
    from outreach.composing.drafting import preview as render_preview

    _, contact, subject, body = render_preview(app.workspace, name, person, note)
    click.echo(f"To: {contact.name} <{contact.email or 'no email'}>")
    click.echo(f"Subject: {subject}")
    click.echo("")
    click.echo(body, nl=False)


@templates.command("check")
@click.argument("names", nargs=-1, shell_complete=complete_templates)
@pass_app
def check_command(app: App, names: tuple[str, ...]) -> None:
    """Render every template (or NAMES) for everyone a batch would reach; report problems.

    \b
    Example:
      outreach templates check
    """
    from outreach.composing.drafting import lint_templates
    from outreach.support.errors import OutreachError
    from outreach.workspace.goal import load_goal

    workspace = app.workspace
    goal, goal_problems = load_goal(workspace.goal_file)
    problems = lint_templates(
        workspace,
        workspace.settings,
        goal,
        goal_problems,
        workspace.load_contacts(),
        list(names) or None,
    )
    errors = warn_and_keep_errors(problems)
    if errors:
        raise OutreachError(*errors)
    click.echo("Every template renders for everyone it would reach.")
