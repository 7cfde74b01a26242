"""Drafting and reviewing: draft, drafts, approve, review."""

from __future__ import annotations

import click

from outreach.cli.app import (
    App,
    cli,
    complete_drafts,
    complete_people,
    complete_templates,
    json_option,
    notice,
    pass_app,
    print_json,
    print_table,
    warn,
)


@cli.command()
@click.argument("template", shell_complete=complete_templates)
@click.argument("people", nargs=-1, shell_complete=complete_people)
@click.option("--tag", "tags", multiple=True, help="Everyone with this tag (repeatable).")
@click.option("--all", "everyone", is_flag=True, help="Everyone in contacts.yaml.")
@click.option("--plan", "use_plan", is_flag=True, help="The people `outreach plan` proposes.")
@click.option("--due", "use_due", is_flag=True, help="Everyone for whom this kind is due.")
@click.option("--note", help="Text the template reaches as {{ note }}.")
@click.option("--replace", is_flag=True, help="Draft again where a draft already waits.")
@pass_app
def draft(
    app: App,
    template: str,
    people: tuple[str, ...],
    tags: tuple[str, ...],
    everyone: bool,
    use_plan: bool,
    use_due: bool,
    note: str | None,
    replace: bool,
) -> None:
    """Render TEMPLATE for PEOPLE (id, email or part of a name) into drafts/.

    In a batch (--all, --tag, --plan, --due) people without email are skipped and
    people with doubts left out. One bad person stops the whole batch: no files.

    \b
    Examples:
      outreach draft request ada jose
      outreach draft request --all
      outreach draft check-in --due
      outreach draft thank-you grace --note "the tip about portfolio reviews"
    """
    from outreach.drafting import draft_messages

    if not (people or tags or everyone or use_plan or use_due):
        raise click.UsageError("name people, or use --all, --tag, --plan or --due")
    workspace = app.workspace
    result = draft_messages(
        workspace,
        template,
        names=people,
        tags=tags,
        everyone=everyone,
        plan=use_plan,
        due=use_due,
        note=note,
        replace=replace,
    )
    for line in result.warnings:
        warn(line)
    for line in result.notices:
        notice(line)
    lines = [f"drafted drafts/{path.name}" for path in result.written]
    if result.unchanged:
        lines.append(f"{len(result.unchanged)} unchanged (the waiting draft is already this text)")
    count = len(result.written)
    lines.append(f"{count} draft{'s' if count != 1 else ''} written. Next: outreach review")
    click.echo("\n".join(lines))


@cli.command()
@json_option
@pass_app
def drafts(app: App, as_json: bool) -> None:
    """List the drafts that wait, each with its status.

    Statuses: draft, approved, failed (refused for good), unknown (a send was cut
    off) or broken (the file no longer parses).

    \b
    Example:
      outreach drafts --json
    """
    from outreach.outbox import waiting

    items = waiting(app.workspace)
    root = app.workspace.root
    if as_json:
        print_json(
            [
                {
                    "file": str(w.draft.path.relative_to(root)),
                    "person": w.draft.person,
                    "template": w.draft.template,
                    "status": w.status,
                    "message_id": w.draft.message_id or None,
                }
                for w in items
            ]
        )
        return
    if not items:
        click.echo("No drafts wait. Make some with: outreach draft TEMPLATE PERSON")
        return
    print_table(
        ("file", "status", "to", "subject"),
        [
            (
                str(w.draft.path.relative_to(root)),
                w.status,
                w.draft.get("to"),
                w.draft.broken or w.draft.get("subject") or w.draft.get("error"),
            )
            for w in items
        ],
    )


@cli.command()
@click.argument("names", nargs=-1, shell_complete=complete_drafts)
@click.option("--all", "everything", is_flag=True, help="Every draft that waits.")
@pass_app
def approve(app: App, names: tuple[str, ...], everything: bool) -> None:
    """Approve drafts without asking: DRAFT is a file's path or name, or a person.

    \b
    Examples:
      outreach approve ada-lovelace--request.md
      outreach approve jose-nunez
      outreach approve --all
    """
    from outreach.drafts import list_drafts
    from outreach.outbox import approve as approve_drafts
    from outreach.outbox import cut_off_ids, find_drafts

    if not names and not everything:
        raise click.UsageError("name drafts or people, or use --all")
    workspace = app.workspace
    chosen = list_drafts(workspace.drafts_dir) if everything else find_drafts(workspace, names)
    cut_off = cut_off_ids(workspace)
    if everything:
        # A broken draft stays in, so that its error is shown and nothing is approved.
        chosen = [
            d for d in chosen if d.broken or (d.message_id not in cut_off and d.status == "draft")
        ]
    approved = approve_drafts(chosen, cut_off)
    for draft_ in approved:
        click.echo(f"approved drafts/{draft_.name}")
    click.echo(f"{len(approved)} approved. Next: outreach send --dry-run")


@cli.command()
@pass_app
def review(app: App) -> None:
    """Walk the waiting drafts one by one: approve, edit, skip or delete each.

    \b
    Example:
      outreach review
    """
    from outreach.drafts import format_address, read_draft
    from outreach.editor import open_in_editor
    from outreach.outbox import approve as approve_drafts
    from outreach.outbox import delete, waiting

    workspace = app.workspace
    me = workspace.settings.me
    sender = format_address(me.name, me.email)
    queue = [w.draft for w in waiting(workspace) if w.status in ("draft", "broken")]
    if not queue:
        click.echo("Nothing to review. Make drafts with: outreach draft TEMPLATE PERSON")
        return
    counts = {"approved": 0, "skipped": 0, "deleted": 0}
    for number, current in enumerate(queue, start=1):
        while True:
            heading = f"\n--- {number}/{len(queue)}: drafts/{current.name}"
            click.echo(click.style(heading, bold=True))
            _show(current, sender)
            choice = click.prompt(
                "[a]pprove, [e]dit, [s]kip, [d]elete, [q]uit",
                type=click.Choice(["a", "e", "s", "d", "q"]),
                show_choices=False,
            )
            if choice == "e":
                open_in_editor(current.path)
                current = read_draft(current.path)
                continue
            if choice == "a":
                if current.broken:
                    warn(f"drafts/{current.name}: {current.broken}; edit it first")
                    continue
                approve_drafts([current])
                counts["approved"] += 1
            elif choice == "d":
                delete(current)
                counts["deleted"] += 1
            elif choice == "s":
                counts["skipped"] += 1
            else:
                _summary(counts)
                return
            break
    _summary(counts)


def _show(current: object, me: str) -> None:
    from outreach.drafts import Draft

    assert isinstance(current, Draft)
    if current.broken:
        click.echo(f"(this draft no longer parses: {current.broken})")
    click.echo(f"From: {me}")
    for key in ("to", "subject", "reply_to"):
        if current.get(key):
            click.echo(f"{key.replace('_', '-').title()}: {current.get(key)}")
    click.echo("")
    click.echo(current.body, nl=False)


def _summary(counts: dict[str, int]) -> None:
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
    if counts["approved"]:
        click.echo("Next: outreach send --dry-run")
