"""Shell completion, asked of the installed command the way bash, zsh and fish ask it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Installed, Invoke


def complete(
    run_installed: Installed, line: str, *, cwd: Path, shell: str = "bash"
) -> list[tuple[str, str]]:
    """What the shell would be offered for the last word of line (empty after a space)."""
    words = line.split(" ")
    env = {
        "_OUTREACH_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }
    result = run_installed(env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = [line for line in result.stdout.splitlines() if line]  # nothing: one empty line
    if shell == "bash":  # type,value lines
        return [(value, "") for value in (line.split(",", 1)[1] for line in lines)]
    # zsh: type, value, help, three lines each
    return [(lines[i + 1], lines[i + 2]) for i in range(0, len(lines), 3)]


def values(run_installed: Installed, line: str, cwd: Path) -> list[str]:
    return [value for value, _ in complete(run_installed, line, cwd=cwd)]


def test_template_names_complete(run_installed: Installed, workspace: Path) -> None:
    everything = ["check-in", "follow-up", "request", "thank-you"]
    assert values(run_installed, "outreach draft ", workspace) == everything
    assert values(run_installed, "outreach draft re", workspace) == ["request"]
    assert values(run_installed, "outreach templates edit th", workspace) == ["thank-you"]
    assert values(run_installed, "outreach templates preview f", workspace) == ["follow-up"]
    assert values(run_installed, "outreach templates check request c", workspace) == ["check-in"]
    assert values(run_installed, "outreach thank jose --template t", workspace) == ["thank-you"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("outreach thank jo", ["jose-nunez"]),  # the start of an id
        ("outreach thank Lov", ["ada-lovelace"]),  # of a word of the name, any case
        ("outreach thank nun", ["jose-nunez"]),  # accents ignored: Núñez
        ("outreach log show grace.h", ["grace-hopper"]),  # of the email
        ("outreach log add m", ["mei-chen"]),
        ("outreach draft request ada g", ["grace-hopper"]),  # every person after the template
        ("outreach templates preview request --to t", ["tom-baker"]),
        ("outreach thank zz", []),
    ],
)
def test_people_complete_to_their_ids(
    run_installed: Installed, workspace: Path, line: str, expected: list[str]
) -> None:
    assert values(run_installed, line, workspace) == expected


def test_zsh_and_fish_show_the_name_beside_the_id(
    run_installed: Installed, workspace: Path
) -> None:
    assert complete(run_installed, "outreach thank jos", cwd=workspace, shell="zsh") == [
        ("jose-nunez", "José Núñez")
    ]
    assert complete(run_installed, "outreach draft req", cwd=workspace, shell="zsh") == [
        ("request", "request")
    ]


def test_drafts_complete_for_approve_and_unapprove(
    run: Invoke, run_installed: Installed, workspace: Path
) -> None:
    assert run("draft", "request", "ada", "mei").exit_code == 0
    assert values(run_installed, "outreach approve ", workspace) == [
        "ada-lovelace--request.md",
        "mei-chen--request.md",
        "ada-lovelace",
        "mei-chen",
    ]
    assert values(run_installed, "outreach unapprove me", workspace) == [
        "mei-chen--request.md",
        "mei-chen",
    ]


def test_completion_finds_the_workspace_named_on_the_line(
    run_installed: Installed, workspace: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    line = f"outreach --workspace {workspace} thank gr"
    assert values(run_installed, line, elsewhere) == ["grace-hopper"]
    # Outside any workspace there is nothing to offer, and no error.
    assert values(run_installed, "outreach thank gr", elsewhere) == []


def test_the_shells_scripts_are_there(run_installed: Installed, tmp_path: Path) -> None:
    for shell in ("bash", "zsh", "fish"):
        result = run_installed(env={"_OUTREACH_COMPLETE": f"{shell}_source"}, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "_OUTREACH_COMPLETE" in result.stdout
