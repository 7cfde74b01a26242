"""The README's `--help` blocks, generated from the commands themselves (kept true by cog)."""

from __future__ import annotations

from collections.abc import Iterator

import click

from outreach.cli import cli


def commands(
    group: click.Group = cli, parent: click.Context | None = None
) -> Iterator[tuple[click.Command, click.Context]]:
    context = click.Context(
        group,
        info_name="outreach" if parent is None else group.name,
        parent=parent,
        terminal_width=100,
        max_content_width=100,
        help_option_names=["-h", "--help"],
    )
    yield group, context
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from commands(command, context)
        else:
            yield (
                command,
                click.Context(
                    command,
                    info_name=name,
                    parent=context,
                    terminal_width=100,
                    max_content_width=100,
                ),
            )


def help_blocks() -> str:
    blocks = []
    for command, context in commands():
        blocks.append(
            f"### `{context.command_path}`\n\n```text\n{command.get_help(context)}\n```\n"
        )
    return "\n".join(blocks)
