"""The workspace: `outreach init` in both forms, and finding the folder the way git does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.people.reading import parse_contacts
from outreach.workspace.goal import load_goal
from outreach.workspace.settings import load_settings
from tests.conftest import Installed
from tests.helpers import assert_error, snapshot, write

FILES = (
    "outreach.toml",
    "goal.md",
    "contacts.yaml",
    ".gitignore",
    "templates/request.md",
    "templates/thank-you.md",
    "templates/follow-up.md",
    "templates/check-in.md",
)
FOLDERS = ("drafts", "sent", ".outreach")


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def ids(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [row["id"] for row in json.loads(result.stdout)]


# --- init ----------------------------------------------------------------------------


def test_init_makes_a_workspace_to_fill_in(tmp_path: Path) -> None:
    root = tmp_path / "networking"
    result = invoke("init", str(root))
    assert result.exit_code == 0, result.output
    for name in FILES:
        assert (root / name).is_file(), name
        assert f"created {root / name}" in result.stdout
    for folder in FOLDERS:
        assert (root / folder).is_dir(), folder
    assert "kept" not in result.stdout
    # the next steps, starting with the step not to skip
    steps = result.stdout.split("Next:\n", 1)[1].splitlines()
    assert steps[0] == f"  cd {root}"
    assert "goal.md" in steps[1]
    assert "contacts.yaml" in steps[2]
    assert steps[-1] == "  outreach check"
    # settings to fill in, nobody yet, and a goal that blocks requests until it is written
    assert load_settings(root / "outreach.toml").me.email == "you@example.org"
    assert parse_contacts((root / "contacts.yaml").read_text(encoding="utf-8")) == ([], [])
    assert "# - name: Ada Lovelace" in (root / "contacts.yaml").read_text(encoding="utf-8")
    _, problems = load_goal(root / "goal.md")
    assert {p.message.split(":")[0] for p in problems if p.is_error} >= {"looking_for", "request"}


def test_init_example_makes_a_complete_demonstration(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = invoke("init", "--example", str(root))
    assert result.exit_code == 0, result.output
    for name in FILES:
        assert (root / name).is_file(), name
    assert result.stdout.endswith(
        f"Next:\n  cd {root}\n  outreach check\n  outreach draft request --plan\n"
        "  outreach review\n"
    )
    people, problems = parse_contacts((root / "contacts.yaml").read_text(encoding="utf-8"))
    assert problems == []
    assert len(people) == 6
    assert all(p.email is None or p.email.endswith("@example.org") for p in people)
    _, goal_problems = load_goal(root / "goal.md")
    assert goal_problems == []
    checked = invoke("--workspace", str(root), "check")
    assert checked.exit_code == 0, checked.output


def test_init_here_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("init")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "outreach.toml").is_file()
    assert "cd " not in result.stdout  # already there


def test_init_never_overwrites_and_says_what_it_kept(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    write(root / "goal.md", "my own goal\n")
    write(root / "templates" / "request.md", "my own template\n")
    result = invoke("init", "--example", str(root))
    assert result.exit_code == 0, result.output
    assert f"kept    {root / 'goal.md'} (it exists; not overwritten)" in result.stdout
    assert f"kept    {root / 'templates/request.md'} (it exists; not overwritten)" in result.stdout
    assert f"created {root / 'contacts.yaml'}" in result.stdout
    assert (root / "goal.md").read_text(encoding="utf-8") == "my own goal\n"
    assert (root / "templates" / "request.md").read_text(encoding="utf-8") == "my own template\n"
    assert (root / "contacts.yaml").is_file()


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert invoke("init", "--example", str(root)).exit_code == 0
    write(root / "contacts.yaml", "- name: Someone I Added\n")
    before = snapshot(root)
    again = invoke("init", str(root))  # the plain form over the example: still nothing replaced
    assert again.exit_code == 0, again.output
    assert snapshot(root) == before
    assert "created" not in again.stdout
    assert again.stdout.count("(it exists; not overwritten)") == len(FILES)


def test_init_in_the_installed_command(tmp_path: Path, run_installed: Installed) -> None:
    result = run_installed("init", "--example", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "created demo/outreach.toml" in result.stdout
    for name in FILES:
        assert (tmp_path / "demo" / name).is_file(), name
    checked = run_installed("check", cwd=tmp_path / "demo")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("All good")
    kept = run_installed("init", "demo", cwd=tmp_path)
    assert kept.returncode == 0
    assert "kept    demo/goal.md (it exists; not overwritten)" in kept.stdout


def test_init_on_a_file_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path / "taken", "a file\n")
    result = invoke("init", str(tmp_path / "taken"))
    assert result.exit_code == 2
    assert "is a file" in result.stderr
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "a file\n"


def test_init_where_it_cannot_write_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    write(tmp_path / "blocked", "a file, not a folder\n")
    result = invoke("init", str(tmp_path / "blocked" / "inside"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output


# --- finding the workspace -----------------------------------------------------------


@pytest.fixture
def two(tmp_path: Path) -> tuple[Path, Path]:
    """Two workspaces told apart by their people."""
    first, second = tmp_path / "first", tmp_path / "second"
    for root, name in ((first, "First Person"), (second, "Second Person")):
        assert invoke("init", "--example", str(root)).exit_code == 0
        write(root / "contacts.yaml", f"- name: {name}\n")
    return first, second


def test_found_from_a_subfolder(two: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = two
    deep = first / "drafts" / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert ids(invoke("contacts", "--json")) == ["first-person"]


def test_found_from_a_subfolder_by_the_installed_command(
    two: tuple[Path, Path], run_installed: Installed
) -> None:
    first, _ = two
    result = run_installed("contacts", "--json", cwd=first / "templates")
    assert result.returncode == 0, result.stderr
    assert [row["id"] for row in json.loads(result.stdout)] == ["first-person"]


def test_named_by_the_flag(two: tuple[Path, Path]) -> None:
    first, second = two
    assert ids(invoke("--workspace", str(second), "contacts", "--json")) == ["second-person"]
    assert ids(invoke("-w", str(first), "contacts", "--json")) == ["first-person"]


def test_named_by_the_variable(two: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = two
    monkeypatch.chdir(first)  # the variable wins over the folder you are in
    result = invoke("contacts", "--json", env={"OUTREACH_WORKSPACE": str(second)})
    assert ids(result) == ["second-person"]


def test_the_flag_wins_over_the_variable(two: tuple[Path, Path]) -> None:
    first, second = two
    result = invoke(
        "--workspace", str(first), "contacts", "--json", env={"OUTREACH_WORKSPACE": str(second)}
    )
    assert ids(result) == ["first-person"]


def test_named_by_the_variable_in_the_installed_command(
    two: tuple[Path, Path], run_installed: Installed, tmp_path: Path
) -> None:
    _, second = two
    result = run_installed(
        "contacts", "--json", cwd=tmp_path, env={"OUTREACH_WORKSPACE": str(second)}
    )
    assert result.returncode == 0, result.stderr
    assert [row["id"] for row in json.loads(result.stdout)] == ["second-person"]


def test_outside_any_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    result = invoke("contacts")
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: no outreach workspace here or in any parent folder")
    assert "outreach init DIR" in line and "outreach init --example DIR" in line
    assert "--workspace DIR" in line and "OUTREACH_WORKSPACE" in line
    assert snapshot(tmp_path) == before


def test_outside_any_workspace_in_the_installed_command(
    tmp_path: Path, run_installed: Installed
) -> None:
    result = run_installed("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no outreach workspace here")
    assert "outreach init" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_a_named_folder_that_is_no_workspace(tmp_path: Path, how: str) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    if how == "flag":
        result = invoke("--workspace", str(folder), "check")
    else:
        result = invoke("check", env={"OUTREACH_WORKSPACE": str(folder)})
    assert_error(result, str(folder), "not an outreach workspace (no outreach.toml)")
    assert f"outreach init {folder}" in result.stderr
    assert list(folder.iterdir()) == []


def test_a_named_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = invoke("--workspace", str(missing), "contacts")
    assert_error(result, str(missing), "not an outreach workspace")
    assert not missing.exists()


# --- usage errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("nonsense",), id="unknown-command"),
        pytest.param(("contacts", "--bogus"), id="unknown-option"),
        pytest.param(("templates", "preview"), id="missing-argument"),
        pytest.param(("templates", "preview", "request", "--to"), id="option-without-value"),
        pytest.param(("init", "a", "b"), id="extra-argument"),
        pytest.param(("check", "--json"), id="option-of-another-command"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Error: " in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_exit_2_in_the_installed_command(
    tmp_path: Path, run_installed: Installed
) -> None:
    result = run_installed("contacts", "--bogus", cwd=tmp_path)
    assert result.returncode == 2
    assert "--bogus" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_and_help() -> None:
    assert invoke("--version").stdout.startswith("outreach, version ")
    helped = invoke("--help")
    assert helped.exit_code == 0
    for command in ("init", "check", "goal", "contacts"):
        assert command in helped.stdout


# --- what a plain `pip install .` ships ----------------------------------------------

PACKAGE = Path(__file__).parent.parent / "outreach"
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def test_every_file_init_copies_is_package_data() -> None:
    # A plain `pip install .` ships only what package-data names (gitignore.txt was once left out).
    import fnmatch
    import tomllib

    setuptools = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns: dict[str, list[str]] = setuptools["package-data"]
    for folder in (PACKAGE / "data", PACKAGE / "data" / "templates"):
        package = ".".join(folder.relative_to(PACKAGE.parent).parts)
        for file in folder.iterdir():
            if file.is_file() and file.suffix != ".py":
                globs = patterns.get(package, [])
                assert any(fnmatch.fnmatch(file.name, g) for g in globs), f"{package}: {file.name}"


def test_the_next_steps_quote_a_folder_with_spaces(tmp_path: Path) -> None:
    root = tmp_path / "my networking"
    result = invoke("init", str(root))
    assert result.exit_code == 0, result.output
    assert f"  cd '{root}'\n" in result.stdout
