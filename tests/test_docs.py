"""Help text is documentation: every command has help with an example, and the README shows it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cogapp import Cog

from tests.readme_help import commands

README = Path(__file__).parent.parent / "README.md"


@pytest.mark.parametrize(
    "command", [c for c, _ in commands() if c.name != "cli"], ids=lambda c: str(c.name)
)
def test_every_command_has_help(command: object) -> None:
    import click

    assert isinstance(command, click.Command)
    assert command.help and len(command.help) > 20
    if not isinstance(command, click.Group):
        assert "Example" in command.help, f"{command.name} has no example"


def test_the_readme_shows_the_current_help() -> None:
    # `cog -r README.md` rewrites the blocks after a change to the commands.
    status = Cog().main(["cog", "--check", str(README)])
    assert status == 0, "README.md's --help blocks are stale: run `cog -r README.md`"


def test_the_readme_opens_with_the_two_commands_ci_runs() -> None:
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    test_command = (
        "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test]' && pytest"
    )
    assert test_command in text and test_command in ci
    assert "outreach init --example demo" in text.split("## A session")[0]
