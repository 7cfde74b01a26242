"""Drafting and reviewing: draft, drafts (and drafts push), approve, review."""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from outreach.mailbox.pushing import Pushed


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
    from outreach.composing.drafting import draft_messages

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


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def drafts(ctx: click.Context, as_json: bool) -> None:
    """List the drafts that wait, each with its status.

    Statuses: draft, approved, failed (refused for good), unknown (a send was cut
    off), pushed (put into your mail account's Drafts folder) or broken (the file
    no longer parses).

    \b
    Examples:
      outreach drafts --json
      outreach drafts push --all
    """
    if ctx.invoked_subcommand is None:
        _list_drafts(ctx.ensure_object(App), as_json)


@drafts.command()
@click.argument("names", nargs=-1, shell_complete=complete_drafts)
@click.option("--all", "everything", is_flag=True, help="Every approved draft.")
@pass_app
def push(app: App, names: tuple[str, ...], everything: bool) -> None:
    """Put approved drafts into your mail account's Drafts folder, to send from there.

    DRAFT is a file's path or name, or a person. Uses [imap] in outreach.toml. Each
    draft's status becomes pushed; pushing one again replaces its copy. `send` leaves
    pushed drafts alone unless --force (you may have sent them already).

    \b
    Examples:
      outreach drafts push --all
      outreach drafts push ada-lovelace--request.md
    """
    import sys

    from outreach.mailbox.pushing import push_drafts

    if bool(names) == everything:
        raise click.UsageError("name drafts or people, or use --all (not both)")

    def prompt(text: str) -> str:
        return str(click.prompt(text, hide_input=True))

    def say(pushed: Pushed) -> None:
        replaced = f", replacing {pushed.replaced} older copy" if pushed.replaced else ""
        click.echo(f"pushed drafts/{pushed.draft.name} to {pushed.folder}{replaced}")

    done = push_drafts(
        app.workspace, names, prompt=prompt if sys.stdin.isatty() else None, on_pushed=say
    )
    if not done:
        click.echo("Nothing to push: no draft is approved. Approve drafts with: outreach review")
        return
    click.echo(
        f"{len(done)} pushed. Send them from your mail program; `outreach sync` then logs them."
    )


def _list_drafts(app: App, as_json: bool) -> None:
    from outreach.drafts.outbox import deleted_names, waiting

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
    else:
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
    deleted = deleted_names(app.workspace)
    if deleted:
        count = f"{len(deleted)} deleted draft{'s are' if len(deleted) != 1 else ' is'}"
        click.echo(
            f"\n{count} kept in drafts/.deleted/ (ls drafts/.deleted/ lists them). "
            "Bring one back with: mv -i drafts/.deleted/NAME drafts/"
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
    from outreach.drafts.draft import list_drafts
    from outreach.drafts.outbox import approve as approve_drafts
    from outreach.drafts.outbox import cut_off_ids, find_drafts, to_approve

    if not names and not everything:
        raise click.UsageError("name drafts or people, or use --all")
    workspace = app.workspace
    chosen = list_drafts(workspace.drafts_dir) if everything else find_drafts(workspace, names)
    cut_off = cut_off_ids(workspace)
    if everything:
        chosen = to_approve(chosen, cut_off)
    approved = approve_drafts(chosen, cut_off)
    for draft_ in approved:
        click.echo(f"approved drafts/{draft_.name}")
    click.echo(f"{len(approved)} approved. Next: outreach send --dry-run")


@cli.command()
@click.argument("names", nargs=-1, shell_complete=complete_drafts)
@click.option("--all", "everything", is_flag=True, help="Every approved draft.")
@pass_app
def unapprove(app: App, names: tuple[str, ...], everything: bool) -> None:
    """Take approvals back: DRAFT is a file's path or name, or a person.

    The drafts are in status draft again, for review; send leaves them alone.

    \b
    Examples:
      outreach unapprove ada-lovelace--request.md
      outreach unapprove --all
    """
    from outreach.drafts.draft import list_drafts
    from outreach.drafts.outbox import cut_off_ids, find_drafts, to_unapprove
    from outreach.drafts.outbox import unapprove as unapprove_drafts

    if not names and not everything:
        raise click.UsageError("name drafts or people, or use --all")
    workspace = app.workspace
    cut_off = cut_off_ids(workspace)
    if everything:
        chosen = to_unapprove(list_drafts(workspace.drafts_dir), cut_off)
    else:
        chosen = find_drafts(workspace, names)
        for draft_ in chosen:
            if not draft_.broken and draft_.status != "approved":
                notice(f"drafts/{draft_.name} is not approved ({draft_.status}); left as it is")
    taken_back = unapprove_drafts(chosen, cut_off)
    for draft_ in taken_back:
        click.echo(f"unapproved drafts/{draft_.name}")
    click.echo(f"{len(taken_back)} unapproved. Next: outreach review")


@cli.command()
@click.option(
    "--all", "everything", is_flag=True, help="Approved and failed drafts too, not only new ones."
)
@pass_app
def review(app: App, everything: bool) -> None:
    """Walk the waiting drafts one by one: approve, edit, skip or delete each.

    At a terminal one key answers (a, e, s, d or q); from a pipe, a line with the
    letter or the word. A deleted draft goes to drafts/.deleted/.

    \b
    Examples:
      outreach review
      outreach review --all
    """
    from outreach.drafts.draft import format_address, read_draft
    from outreach.drafts.outbox import approve as approve_drafts
    from outreach.drafts.outbox import cut_off_ids, delete, waiting
    from outreach.drafts.reviewing import CHOICES, PROMPT, YES_NO, ask, next_step
    from outreach.support.editor import open_in_editor

    workspace = app.workspace
    me = workspace.settings.me
    sender = format_address(me.name, me.email)
    walked = ("draft", "broken", "approved", "failed") if everything else ("draft", "broken")
    cut_off = cut_off_ids(workspace)  # the journal read once: a review sends nothing
    queue = [w.draft for w in waiting(workspace, cut_off) if w.status in walked]
    if not queue:
        click.echo("Nothing to review. Make drafts with: outreach draft TEMPLATE PERSON")
        return
    counts = {"approved": 0, "skipped": 0, "deleted": 0}
    for number, current in enumerate(queue, start=1):
        _show(current, sender, f"{number}/{len(queue)}")
        while True:
            choice = ask(PROMPT, CHOICES)
            if choice == "e":
                open_in_editor(current.path)
                current = read_draft(current.path)
                _show(current, sender, f"{number}/{len(queue)}")
                continue
            if choice == "a":
                if current.broken:
                    warn(f"drafts/{current.name}: {current.broken}; edit it first")
                    continue
                approve_drafts([current])
                click.echo(f"approved drafts/{current.name}")
                counts["approved"] += 1
            elif choice == "d":
                if ask(f"Delete drafts/{current.name}? [y/N]", YES_NO, default="n") != "y":
                    continue
                where = delete(workspace, current)
                if where is not None:
                    click.echo(f"deleted drafts/{current.name} (kept in drafts/.deleted/)")
                counts["deleted"] += 1
            elif choice == "s":
                counts["skipped"] += 1
            else:
                _summary(counts, next_step(workspace, cut_off))
                return
            break
    _summary(counts, next_step(workspace, cut_off))


def _show(current: object, me: str, place: str) -> None:
    from outreach.drafts.draft import Draft

    assert isinstance(current, Draft)
    status = "" if current.status == "draft" else f" ({current.status})"
    click.echo(click.style(f"\n--- {place}: drafts/{current.name}{status}", bold=True))
    if current.broken:
        click.echo(f"(this draft no longer parses: {current.broken})")
    click.echo(f"From: {me}")
    for key in ("to", "subject", "reply_to"):
        if current.get(key):
            click.echo(f"{key.replace('_', '-').title()}: {current.get(key)}")
    click.echo("")
    click.echo(current.body, nl=False)


def _summary(counts: dict[str, int], next_line: str) -> None:
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
    click.echo(next_line)
