import importlib
from pathlib import Path

from outreach.cli.app import COMMAND_MODULES, cli
from tests.conftest import Invoke
from tests.helpers import in_fresh_python


def test_example_drafts_requests(run: Invoke, workspace: Path) -> None:
    result = run("draft", "request", "--all")
    assert result.exit_code == 0, result.output
    assert (workspace / "drafts" / "ada-lovelace--request.md").is_file()


def test_the_table_of_command_modules_names_where_each_command_lives() -> None:
    modules = {module for module in COMMAND_MODULES.values()}
    for module in modules:
        importlib.import_module(f"outreach.cli.{module}")
    defined = {
        name: command.callback.__module__.rpartition(".")[2]
        for name, command in cli.commands.items()
        if command.callback is not None
    }
    assert defined == COMMAND_MODULES


def test_a_command_loads_only_its_own_module(workspace: Path) -> None:
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from outreach.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['--workspace', {str(workspace)!r}, 'contacts'])\n"
        "assert result.exit_code == 0, result.output\n"
        "loaded = {m for m in sys.modules if m.startswith('outreach.cli.')}\n"
        "assert loaded == {'outreach.cli.app', 'outreach.cli.setup_commands'}, loaded\n"
        "result = CliRunner().invoke(cli, ['--help'])\n"
        "assert 'unapprove' in result.output and 'sync' in result.output, result.output\n"
    )
    in_fresh_python(script)
