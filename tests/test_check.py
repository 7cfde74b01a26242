"""`outreach check`: everything read, every problem reported at once, exit 1 only on errors."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Installed, Invoke
from tests.helpers import assert_error, errors, goal_text, run_unchanged, write


def test_the_example_is_all_good(run: Invoke, workspace: Path) -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"All good: {workspace} is ready.\n"
    assert result.stderr == ""


def test_problems_in_every_file_are_reported_together(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "outreach.toml",
        '[me]\nname = "Sam Rivera"\nemail = "sam@example.org"\n[smtp]\nsecurity = "tls"\n',
    )
    write(workspace / "goal.md", goal_text(request="Could we talk? Or meet?"))
    write(
        workspace / "contacts.yaml",
        "- name: Ada Lovelace\n  email: ada@example\n- name: Grace Hopper\n  like: yes\n",
    )
    result = run_unchanged(run, workspace, "check")
    assert_error(result, "outreach.toml:5", "smtp.security must be one of ssl, starttls, none")
    assert_error(result, "goal.md:3", "request: asks 2 questions")
    assert_error(result, "contacts.yaml:2", "'ada@example' is not a valid email address")
    assert_error(result, "contacts.yaml:4", "'like' 'yes' is not a boolean here")
    assert len(errors(result)) == 4
    assert result.stdout == ""


def test_broken_files_do_not_hide_the_others(run: Invoke, workspace: Path) -> None:
    write(workspace / "outreach.toml", "[me\n")
    write(workspace / "goal.md", "---\nlooking_for: [unclosed\n---\n")
    write(workspace / "contacts.yaml", "- name: Ada\n  email: [\n")
    result = run_unchanged(run, workspace, "check")
    assert_error(result, "outreach.toml:1", "invalid TOML")
    assert_error(result, "goal.md:3", "invalid YAML")
    assert_error(result, "contacts.yaml:3", "invalid YAML")
    assert len(errors(result)) == 3


def test_missing_files_are_each_named(run: Invoke, workspace: Path) -> None:
    (workspace / "goal.md").unlink()
    (workspace / "contacts.yaml").unlink()
    result = run_unchanged(run, workspace, "check")
    assert_error(result, "goal.md", "file not found")
    assert_error(result, "contacts.yaml", "file not found")


def test_warnings_alone_exit_0(run: Invoke, workspace: Path) -> None:
    write(workspace / "goal.md", goal_text(offer=None, time_needed=None))
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Warning: goal.md:1: offer: missing: offer something back; "
        "networking is more giving than taking",
        "Warning: goal.md:1: time_needed: missing: say how much of their time you ask for",
    ]
    assert result.stdout == f"No errors, 2 warnings above: {workspace} is ready.\n"


def test_an_unclear_goal_is_an_error_and_request_templates_wait(
    run: Invoke, workspace: Path
) -> None:
    write(workspace / "goal.md", goal_text(looking_for="<your field>"))
    result = run_unchanged(run, workspace, "check")
    assert_error(result, "goal.md:2", "placeholder '<your field>'")
    assert "Warning: templates/request.md: cannot be drafted until goal.md is clear" in (
        result.stderr
    )


def test_templates_are_checked_against_the_people(run: Invoke, workspace: Path) -> None:
    path = workspace / "templates" / "check-in.md"
    write(path, path.read_text(encoding="utf-8").replace("Hi ", "Hi {{ contact.company }} ", 1))
    result = run_unchanged(run, workspace, "check")
    assert result.exit_code == 1
    line = next(line for line in errors(result) if "check-in.md" in line)
    assert "company" in line


def test_a_broken_draft_is_reported(run: Invoke, workspace: Path) -> None:
    write(workspace / "drafts" / "ada-lovelace--request.md", "---\nto: [unclosed\n---\nHi\n")
    result = run_unchanged(run, workspace, "check")
    assert_error(result, "drafts/ada-lovelace--request.md")


def test_check_writes_nothing_but_its_caches(run: Invoke, workspace: Path) -> None:
    before = sorted(p.relative_to(workspace) for p in workspace.rglob("*"))
    assert run("check").exit_code == 0
    after = sorted(p.relative_to(workspace) for p in workspace.rglob("*"))
    assert [p for p in after if p not in before] == [
        Path(".outreach/contacts.json"),
        Path(".outreach/email-validator.json"),
    ]


def test_check_in_the_installed_command(workspace: Path, run_installed: Installed) -> None:
    write(workspace / "goal.md", goal_text(request=None))
    write(workspace / "contacts.yaml", "- name: Ada\n  keep_in_touch: 2y\n")
    result = run_installed("check", cwd=workspace / "templates")
    assert_error(result, "goal.md:1", "request: missing")
    assert_error(result, "contacts.yaml:2", "'keep_in_touch' is '2y'")
