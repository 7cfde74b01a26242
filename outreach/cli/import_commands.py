"""`outreach import`: people from a phone's or an address book's export."""

from __future__ import annotations

from pathlib import Path

import click

from outreach.cli.app import App, cli, notice, pass_app, warn


def _encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from outreach.people.addressbook.encodings import known_encoding

    if value is None:
        return None
    name = known_encoding(value)
    if name is None:
        raise click.BadParameter(f"{value!r} is not an encoding (try utf-8, windows-1252, utf-16)")
    return name


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show who would be added; change nothing.")
@click.option(
    "--encoding",
    metavar="NAME",
    callback=_encoding,
    help="The file's encoding (default: found from a byte-order mark, else UTF-8, "
    "else Windows-1252).",
)
@pass_app
def import_(app: App, file: Path, dry_run: bool, encoding: str | None) -> None:
    """Add the people of FILE (a vCard .vcf or a CSV export) to contacts.yaml.

    Reads vCard 2.1, 3.0 and 4.0 (iPhone, Android, Nextcloud, macOS Contacts), and
    CSV from Google Contacts, Outlook (UTF-8, "ANSI" or "Unicode text"), LinkedIn,
    Thunderbird or a plain `name,email` header. Anyone already
    in contacts.yaml is skipped: the same email, or the same name where one of the
    two has no email. Comments and order in contacts.yaml are kept.

    \b
    Examples:
      outreach import ~/Downloads/contacts.vcf
      outreach import google-contacts.csv --dry-run
      outreach import outlook.csv --encoding cp1251
    """
    from outreach.people.addressbook.importer import import_people

    workspace = app.workspace
    report = import_people(workspace.contacts_file, file, dry_run=dry_run, encoding=encoding)
    if report.encoding_notice:
        notice(report.encoding_notice)
    for problem in report.notices:
        warn(problem)
    for item in report.added:
        email = f" <{item.person.email}>" if item.person.email else " (no email)"
        click.echo(f"{'would add' if dry_run else 'added'} {item.person.name}{email} as {item.id}")
    for skipped in report.skipped:
        notice(f"skipped {skipped.name} ({skipped.where}): {skipped.reason}")
    if dry_run:
        click.echo(
            f"{len(report.added)} to add, {len(report.skipped)} skipped "
            "(dry run: contacts.yaml was not changed)."
        )
    else:
        click.echo(f"{len(report.added)} added, {len(report.skipped)} skipped.")
