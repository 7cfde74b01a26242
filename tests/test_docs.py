"""Help text is documentation: every command has help with an example, and the README shows it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from tests.readme_help import commands

README = Path(__file__).parent.parent / "README.md"


@pytest.mark.parametrize(
    "command", [c for c, _ in commands() if c.name != "cli"], ids=lambda c: str(c.name)
)
def test_every_command_has_help(command: object) -> None:
    assert isinstance(command, click.Command)
    assert command.help and len(command.help) > 20
    if not isinstance(command, click.Group):
        assert "Example" in command.help, f"{command.name} has no example"


def test_the_readme_shows_the_current_help() -> None:
    # `cog -r README.md` rewrites the blocks after a change to the commands. Compared here is
    # what the project wrote (each usage, text, option and its help), not Click's layout or
    # its own words, which may change with a release.
    shown = readme_help_blocks()
    for command, context in commands():
        path = context.command_path
        assert path in shown, f"README.md has no help for {path}: run `cog -r README.md`"
        block = flat(shown[path])
        stale = f"README.md's help for {path} is stale: run `cog -r README.md`"
        assert flat(" ".join(command.collect_usage_pieces(context))) in block, stale
        assert flat(command.help or "") in block, stale
        for param in command.get_params(context):
            if isinstance(param, click.Option) and param.help:
                assert all(flat(opt) in block for opt in param.opts), stale
                assert flat(param.help) in block, stale
        for flag in re.findall(r"(?<![\w-])--?[a-z][\w-]*", shown[path].split("Options:")[-1]):
            assert any(flag in param.opts for param in command.get_params(context)), stale
    assert len(shown) == len(list(commands())), "README.md shows a command that is gone"


def readme_help_blocks() -> dict[str, str]:
    """The README's help blocks, by command path."""
    found = re.findall(r"^### `([^`]+)`\n\n```text\n(.*?)^```", README.read_text(), re.M | re.S)
    return dict(found)


def flat(text: str) -> str:
    """Text with its line breaks and runs of blanks as single spaces (and without Click's
    markers: \\b keeps a paragraph's lines, \\f ends what help shows)."""
    return " ".join(text.split("\f")[0].replace("\b", "").split())


def test_the_readme_opens_with_the_two_commands_ci_runs() -> None:
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    test_command = (
        "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test]' && pytest"
    )
    assert test_command in text and test_command in ci
    assert "outreach init --example demo" in text.split("## A session")[0]
