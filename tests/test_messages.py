"""Messages that stay one line (issue 10): a raw control byte in a YAML file is named by its
file and line, and a control character that a message quotes is shown escaped, never acted on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from outreach.support.text import printable
from tests.conftest import Installed, Invoke
from tests.helpers import assert_error, one_error, snapshot, write

ADA = "- name: Ada Lovelace\n  email: ada@example.org\n"


# --- a raw control byte in YAML: one line, with the file and the line -----------------


@pytest.mark.parametrize("byte", ["\x01", "\x1b", "\x7f", "\x9b", "\x0b"])
def test_a_raw_control_byte_in_contacts_is_one_line_with_its_line(
    run: Invoke, workspace: Path, byte: str
) -> None:
    write(workspace / "contacts.yaml", ADA + "- name: José Núñez\n  notes: café " + byte + "\n")
    before = snapshot(workspace)
    result = run("contacts")
    assert snapshot(workspace) == before
    one_error(result, "contacts.yaml:4", "invalid YAML", f"control character {printable(byte)}")
    assert byte not in result.stderr


def test_a_raw_control_byte_in_the_goal_names_its_line(run: Invoke, workspace: Path) -> None:
    goal = workspace / "goal.md"
    text = goal.read_text(encoding="utf-8")
    write(goal, text.replace("time_needed:", "time_needed: half an hour\x07 or\n_unused:", 1))
    line = text.split("time_needed:")[0].count("\n") + 1
    result = run("goal")
    one_error(result, f"goal.md:{line}", "invalid YAML", "control character \\x07")


def test_a_raw_control_byte_in_a_template_names_its_line(
    workspace: Path, run_installed: Installed
) -> None:
    write(
        workspace / "templates" / "bad.md",
        "---\nkind: check-in\nsubject: Hello\x08 there\n---\nHi {{ contact.first_name }}\n",
    )
    result = run_installed("check", cwd=workspace)
    one_error(result, "templates/bad.md:3", "invalid YAML", "control character \\x08")


# --- control characters shown escaped in every message --------------------------------


def test_printable_escapes_controls_and_separators_and_keeps_letters() -> None:
    assert printable("a\x00b\tc\nd\x0be\x0cf\x1bg\x7fh\x85i\x9bj\u2028k\u2029l") == (
        "a\\x00b\\x09c\\x0ad\\x0be\\x0cf\\x1bg\\x7fh\\x85i\\x9bj\\u2028k\\u2029l"
    )
    assert printable("José Núñez, 中文, Ελένη, ß") == "José Núñez, 中文, Ελένη, ß"
    once = printable("x\x0by")
    assert printable(once) == once


@pytest.mark.parametrize("char", ["\\u000b", "\\u000c", "\\u001b", "\\u0085", "\\u2028"])
def test_a_control_character_in_a_setting_is_shown_escaped(
    run: Invoke, workspace: Path, char: str
) -> None:
    # Unknown keys and sections are quoted back as written: a quoted TOML key holds anything.
    settings = workspace / "outreach.toml"
    text = settings.read_text(encoding="utf-8")
    assert text.splitlines()[14] == "[limits]"
    write(settings, text + f'"rem{char}inder" = 1\n["sec{char}tion"]\n')
    result = run("check")
    shown = char.replace("\\u00", "\\x")
    assert_error(result, "outreach.toml", f"unknown section [sec{shown}tion]")
    # (tomllib gives no lines; outreach finds bare keys, not quoted ones: the table's line)
    assert_error(result, "outreach.toml:15", f"unknown setting limits.rem{shown}inder")
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028]", result.stderr.replace("\n", ""))


def test_a_name_on_the_command_line_is_shown_escaped(run: Invoke, workspace: Path) -> None:
    result = run("templates", "preview", "request", "--to", "a\x0bb\x0cc\x1b[2J")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: nobody in contacts.yaml is called 'a\\x0bb\\x0cc\\x1b[2J' (by id, email or name)\n"
    )


def test_a_placeholder_in_the_story_is_shown_escaped(run: Invoke, workspace: Path) -> None:
    goal = workspace / "goal.md"
    write(goal, goal.read_text(encoding="utf-8") + "\nAnd <your\x1b[2J\x0bfield>.\n")
    result = run("goal")
    assert_error(result, "goal.md:8", "placeholder '<your\\x1b[2J\\x0bfield>'")


def test_a_warning_quoting_a_broken_draft_is_shown_escaped(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "ada").exit_code == 0
    path = workspace / "drafts" / "ada-lovelace--request.md"
    text = path.read_text(encoding="utf-8")
    write(path, text.replace("status: draft\n", "status: draft\n\x1b[2J\x0cevil: 1\n", 1))
    path.rename(path.with_name("ada\x0b\x1b[2J--request.md"))  # a file name holds anything
    result = run("send", "--dry-run")
    lines = result.stderr.splitlines()
    assert lines, result.output
    assert all(line.startswith(("Error: ", "Warning: ")) for line in lines), result.stderr
    assert any(
        line.startswith("Warning: drafts/ada\\x0b\\x1b[2J--request.md: ")
        and "unknown field '\\x1b[2J\\x0cevil'" in line
        for line in lines
    ), result.stderr
    assert "\x1b" not in result.stderr and "\x0c" not in result.stderr


def test_a_notice_quoting_a_file_name_is_shown_escaped(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "ada").exit_code == 0
    path = workspace / "drafts" / "ada-lovelace--request.md"
    path.rename(path.with_name("ada\x0b\x1b[2J--request.md"))
    result = run("unapprove", "ada\x0b\x1b[2J--request.md")
    assert result.exit_code == 0, result.output
    assert "drafts/ada\\x0b\\x1b[2J--request.md is not approved (draft)" in result.stderr
    assert "\x1b" not in result.stderr and "\x0b" not in result.stderr
