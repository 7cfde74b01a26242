"""The Click group, the shared state every command gets, and the one place errors are printed."""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from outreach import __version__
from outreach.support.dates import FORMS, Weekday, typed_day
from outreach.support.errors import OutreachError, Problem
from outreach.support.text import printable

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from outreach.workspace.folder import Workspace

F = TypeVar("F", bound=Callable[..., Any])


class App:
    """What every command shares: the workspace, found once, when first needed."""

    def __init__(self, workspace_option: Path | None) -> None:
        self.workspace_option = workspace_option

    @cached_property
    def workspace(self) -> Workspace:
        from outreach.people.addresses import recall
        from outreach.workspace.folder import find_workspace

        workspace = find_workspace(self.workspace_option)
        for problem in workspace.make_private():  # one made by an older version, or cloned
            warn(problem)
        recall(workspace.address_verdicts_file)
        return workspace

    def close(self) -> None:
        """Keep what this command learned that the next one can use."""
        if "workspace" in self.__dict__:  # found, so a workspace it may write in
            from outreach.people.addresses import remember

            with contextlib.suppress(OSError):  # a read-only workspace: the next run asks again
                remember(self.workspace.address_verdicts_file)


pass_app = click.make_pass_decorator(App)


# Where each command is defined. A command's module is imported when the command is run
# (or listed, for --help and completion): `outreach contacts` need not load the code of
# sending, drafting and syncing first. tests/test_smoke.py checks the table against the modules.
COMMAND_MODULES = {
    "approve": "draft_commands",
    "auth": "send_commands",
    "check": "setup_commands",
    "contacts": "setup_commands",
    "draft": "draft_commands",
    "drafts": "draft_commands",
    "due": "journal_commands",
    "export": "export_commands",
    "goal": "setup_commands",
    "import": "import_commands",
    "init": "setup_commands",
    "log": "journal_commands",
    "plan": "journal_commands",
    "review": "draft_commands",
    "send": "send_commands",
    "sync": "sync_commands",
    "templates": "template_commands",
    "thank": "journal_commands",
    "unapprove": "draft_commands",
}


class OutreachGroup(click.Group):
    """Turns the library's errors into `Error: ...` lines and exit 1, in one place; loads
    each command's module when the command is first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands.keys() | COMMAND_MODULES.keys())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(f"outreach.cli.{module}")  # its decorators add it
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OutreachError as error:
            for problem in error.problems:
                say_error(problem)
            ctx.exit(error.exit_code)
        except BrokenPipeError:
            # The reader went away (`outreach log | head`): stop quietly, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(1)
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            say_error(f"{where}{error.strerror or error}")
            ctx.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            if os.environ.get("OUTREACH_DEBUG"):
                raise
            say_error(
                f"unexpected {type(error).__name__}: {error} "
                "(a bug in outreach; OUTREACH_DEBUG=1 shows where)"
            )
            ctx.exit(1)


@click.group(cls=OutreachGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="OUTREACH_WORKSPACE",
    help="The workspace folder (default: here or the nearest parent with outreach.toml).",
)
@click.version_option(__version__, prog_name="outreach")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None) -> None:
    """Ask the people you know for help: one clear request, reviewed, sent once, followed up.

    \b
    Start here:
      outreach init --example demo && cd demo
      outreach check
      outreach draft request --plan
      outreach review
    """
    # A command lives for a moment but may make a hundred thousand small objects (10,000
    # people, their rows, their JSON): collecting cycles every 700 of them costs more time
    # than the little memory it would free.
    gc.set_threshold(100_000, 50, 50)
    # At exit the interpreter collects cycles once more over every object, all about to go
    # anyway (10 to 40 ms); frozen, they are left to the process's end. Files and the journal
    # are closed by then (every write goes through a `with`), and stdout is flushed after.
    atexit.register(gc.freeze)
    app = App(workspace)
    ctx.obj = app
    ctx.call_on_close(app.close)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")(function)


if TYPE_CHECKING:
    _DayParamType = click.ParamType[date]
else:  # a generic class only since Click 8.4
    _DayParamType = click.ParamType


class TypedDay(_DayParamType):
    """A date option's value: YYYY-MM-DD, or a word such as `today`, `-3d` or `friday`."""

    name = "date"

    def __init__(self, weekday: Weekday) -> None:
        self.weekday = weekday  # which day a weekday name means: the last one or the next

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        day = typed_day(str(value), date.today(), self.weekday)
        if day is None:
            self.fail(f"{value!r} is not a date; use {FORMS}.", param, ctx)
        return day


def on_option(function: F) -> F:
    """`--on DATE`: the day something happened; a weekday name is the last one."""
    return click.option(
        "--on",
        type=TypedDay("last"),
        help="The day it happened (default: today): YYYY-MM-DD, today, yesterday, tomorrow, "
        "-3d, +2w, +1m, or a weekday (the last one).",
    )(function)


def as_of_option(function: F) -> F:
    """`--as-of DATE`: the day to work things out for; a weekday name is the next one."""
    return click.option(
        "--as-of",
        type=TypedDay("next"),
        default="today",
        help="Work as of DATE, leaving out entries after it (default: today): YYYY-MM-DD, "
        "today, yesterday, tomorrow, -3d, +2w, +1m, or a weekday (the next one).",
    )(function)


def print_json(rows: Iterable[dict[str, Any]]) -> None:
    """One JSON array (dates as YYYY-MM-DD): indented at a terminal, compact for a pipe.

    orjson writes the thousands of rows of `contacts --json` ten times faster than json.
    """
    if sys.stdout.isatty():
        import orjson

        click.echo(orjson.dumps(list(rows), option=orjson.OPT_INDENT_2))
        return
    for chunk in compact_json(rows):
        click.echo(chunk, nl=False)


def compact_json(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """One JSON array and a newline, a thousand rows at a time, as they come: 100,000
    people's rows are never all in memory at once."""
    import orjson

    remaining = iter(rows)
    separator = b"["
    while chunk := list(itertools.islice(remaining, 1000)):
        yield separator + orjson.dumps(chunk)[1:-1]
        separator = b","
    yield b"[]\n" if separator == b"[" else b"]\n"


# Every line of errors, warnings and notices is printed by one of the three functions below,
# made printable first: a value it quotes never starts a new line or moves the cursor.


def say_error(problem: Problem | str) -> None:
    click.echo(f"Error: {printable(str(problem))}", err=True)


def warn(problem: Problem | str) -> None:
    click.echo(f"Warning: {printable(str(problem))}", err=True)


def warn_and_keep_errors(problems: Sequence[Problem]) -> list[Problem]:
    """Print the warnings among problems; return the errors, for the caller to raise."""
    for problem in problems:
        if not problem.is_error:
            warn(problem)
    return [problem for problem in problems if problem.is_error]


def notice(message: str) -> None:
    click.echo(printable(message), err=True)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Columns padded to their widest cell; empty cells as '-'. The lines are written a
    thousand at a time: the table of 100,000 people is never held whole."""
    cells = [[("-" if value in (None, "") else str(value)) for value in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for start in range(0, len(cells), 1000):
        click.echo(
            "\n".join(
                "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
                for row in cells[start : start + 1000]
            )
        )


def _completer(
    kind: str,
) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """A shell_complete function for a parameter: outreach.cli.completion's `kind`, in the workspace
    the command line names (or the one found from here). It never fails: no answers instead."""

    def complete(
        ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem as Item

        from outreach.cli import completion
        from outreach.workspace.folder import find_workspace

        try:
            workspace = find_workspace(ctx.find_root().params.get("workspace"))
            found: list[tuple[str, str]] = getattr(completion, kind)(workspace, incomplete)
        except Exception:  # a shell asking must never see a traceback
            return []
        return [Item(value, help=help_) for value, help_ in found]

    return complete


complete_templates = _completer("templates")
complete_people = _completer("people")
complete_drafts = _completer("drafts")


def is_interactive() -> bool:
    return sys.stdin.isatty() and os.environ.get("CI") is None
