"""A catalogue of bad contacts.yaml files, and the hostile inputs every file must survive.

Each case asserts the message, the file and the line it names, exit 1, no traceback, and that
nothing was written (not even the contacts cache).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Installed, Invoke
from tests.helpers import assert_error, errors, run_unchanged, snapshot, write

# --- contacts.yaml -------------------------------------------------------------------

ADA = "- name: Ada Lovelace\n  email: ada@example.org\n"

CONTACTS_CASES = [
    # broken YAML
    pytest.param(
        ADA + "- name: Grace Hopper\n  tags: [mentors\n",
        "contacts.yaml:5",
        ["invalid YAML"],
        id="unclosed-bracket",
    ),
    pytest.param(
        ADA + "  notes: one: two\n",
        "contacts.yaml:3",
        ["invalid YAML"],
        id="colon-in-plain-text",
    ),
    pytest.param(
        ADA + '- name: "Grace\n',
        "contacts.yaml:4",
        ["invalid YAML", "a quoted scalar that starts on line 3"],
        id="unclosed-quote",
    ),
    pytest.param(
        ADA + "\t- name: Grace\n",
        "contacts.yaml:3",
        ["invalid YAML"],
        id="tab-indent",
    ),
    # a mapping where the list belongs, a list where a mapping belongs
    pytest.param(
        "name: Ada Lovelace\nemail: ada@example.org\n",
        "contacts.yaml:1",
        ["contacts must be a list of people", "not a mapping"],
        id="mapping-at-top",
    ),
    pytest.param(
        "# a comment first\njust some text\n",
        "contacts.yaml:2",
        ["contacts must be a list of people", "not text"],
        id="text-at-top",
    ),
    pytest.param(
        ADA + "- - name: Grace Hopper\n",
        "contacts.yaml:3",
        ["each person must be a mapping of fields", "not a list"],
        id="person-is-a-list",
    ),
    pytest.param(
        ADA + "- Grace Hopper\n",
        "contacts.yaml:3",
        ["each person must be a mapping of fields", "not text"],
        id="person-is-text",
    ),
    # wrong types
    pytest.param(
        ADA + "- name: [Grace, Hopper]\n",
        "contacts.yaml:3",
        ["'name' must be text, not a list"],
        id="name-is-a-list",
    ),
    pytest.param(
        ADA + "  how_we_know: {place: school}\n",
        "contacts.yaml:3",
        ["'how_we_know' must be text, not a mapping", "(Ada Lovelace)"],
        id="text-field-is-a-mapping",
    ),
    pytest.param(
        ADA + "  tags: music\n",
        "contacts.yaml:3",
        ["'tags' must be a list of words"],
        id="tags-is-text",
    ),
    pytest.param(
        ADA + "  tags: [music, {a: b}]\n",
        "contacts.yaml:3",
        ["'tags' must be a list of words"],
        id="tag-is-a-mapping",
    ),
    pytest.param(
        ADA + "  like: 1\n",
        "contacts.yaml:3",
        ["'like' must be true or false, not a number"],
        id="boolean-is-a-number",
    ),
    pytest.param(
        ADA + '  can_help: "maybe"\n',
        "contacts.yaml:3",
        ["'can_help' must be true or false, not text"],
        id="boolean-is-text",
    ),
    pytest.param(
        ADA + "  1: one\n",
        "contacts.yaml:3",
        ["field names must be text, not a number"],
        id="field-name-is-a-number",
    ),
    pytest.param(
        ADA + "  channel: carrier pigeon\n",
        "contacts.yaml:3",
        ["'channel' is 'carrier pigeon'", "phone, video, coffee, meal, email"],
        id="unknown-channel",
    ),
    pytest.param(
        ADA + "  email: ada@example.net\n",
        "contacts.yaml:3",
        ["'email' is given twice (also on line 2)"],
        id="field-twice",
    ),
    # missing name
    pytest.param(
        ADA + "- email: grace@example.org\n  like: true\n",
        "contacts.yaml:3",
        ["a person needs a 'name'"],
        id="no-name",
    ),
    pytest.param(
        ADA + "- name:\n  email: grace@example.org\n",
        "contacts.yaml:3",
        ["'name' is empty"],
        id="empty-name",
    ),
    pytest.param(
        ADA + '- name: "  "\n',
        "contacts.yaml:3",
        ["'name' is empty"],
        id="blank-name",
    ),
    # addresses
    pytest.param(
        ADA + "- name: Grace Hopper\n  email: grace.example.org\n",
        "contacts.yaml:4",
        ["'grace.example.org' is not a valid email address", "(Grace Hopper)"],
        id="email-without-at",
    ),
    pytest.param(
        ADA + "- name: Grace Hopper\n  email: grace@example\n",
        "contacts.yaml:4",
        ["'grace@example' is not a valid email address"],
        id="email-without-dot",
    ),
    pytest.param(
        ADA + "- name: Grace Hopper\n  email: Grace Hopper <grace@example.org>\n",
        "contacts.yaml:4",
        ["is not a valid email address"],
        id="email-with-display-name",
    ),
    pytest.param(
        ADA + "- name: Grace Hopper\n  email: grace@@example.org\n",
        "contacts.yaml:4",
        ["'grace@@example.org' is not a valid email address"],
        id="email-double-at",
    ),
    pytest.param(
        ADA + "- name: Grace Hopper\n  email: grace hopper@example.org\n",
        "contacts.yaml:4",
        ["is not a valid email address"],
        id="email-with-space",
    ),
    # booleans are true or false, nothing else
    *[
        pytest.param(
            ADA + f"  like: {word}\n",
            "contacts.yaml:3",
            [f"'like' '{word}' is not a boolean here: write true or false", "(Ada Lovelace)"],
            id=f"like-{word}",
        )
        for word in ("yes", "no", "on", "off", "Yes")
    ],
    pytest.param(
        ADA + "  doubts: y\n",
        "contacts.yaml:3",
        ["'doubts' must be true or false, not text"],
        id="doubts-y",
    ),
    pytest.param(
        ADA + "  mentor: yes\n",
        "contacts.yaml:3",
        ["'mentor' 'yes' is not a boolean here: write true or false"],
        id="custom-field-yes",
    ),
    # line breaks in anything that can reach a mail header
    pytest.param(
        '- name: "Ada\\nLovelace"\n',
        "contacts.yaml:1",
        ["'name' must be one line", "mail headers"],
        id="name-newline",
    ),
    pytest.param(
        "- name: |\n    Ada\n    Lovelace\n",
        "contacts.yaml:1",
        ["'name' must be one line"],
        id="name-block-scalar",
    ),
    pytest.param(
        '- name: "Ada\\u2028Lovelace"\n',
        "contacts.yaml:1",
        ["'name' must be one line"],
        id="name-unicode-line-separator",
    ),
    pytest.param(
        '- name: Ada Lovelace\n  email: "ada@example.org\\nBcc: eve@example.org"\n',
        "contacts.yaml:2",
        ["'email' must be one line", "(Ada Lovelace)"],
        id="email-header-injection",
    ),
    pytest.param(
        '- name: Ada Lovelace\n  first_name: "Ada\\rBcc"\n  email: ada@example.org\n',
        "contacts.yaml:2",
        ["'first_name' must be one line"],
        id="first-name-carriage-return",
    ),
    pytest.param(
        '- name: Ada Lovelace\n  company: "Acme\\r\\nBcc: eve@example.org"\n',
        "contacts.yaml:2",
        ["'company' must be one line", "custom fields can reach mail headers"],
        id="custom-field-crlf",
    ),
    pytest.param(
        "- name: Ada Lovelace\n  company: >-\n    Analytical\n\n    Engines\n",
        "contacts.yaml:2",
        ["'company' must be one line"],
        id="custom-field-folded",
    ),
    pytest.param(
        '- name: Ada Lovelace\n  titles: [countess, "mathe\\nmatician"]\n',
        "contacts.yaml:2",
        ["'titles' must be one line"],
        id="custom-list-item-newline",
    ),
    # durations and dates
    *[
        pytest.param(
            ADA + f"  keep_in_touch: {value}\n",
            "contacts.yaml:3",
            [f"'keep_in_touch' is '{value}'", "10d, 3w or 2m"],
            id=f"duration-{value}",
        )
        for value in ("5y", "60", "two weeks", "-3d", "1.5w", "99999m", "36501d")
    ],
    pytest.param(
        ADA + "  keep_in_touch: 0d\n",
        "contacts.yaml:3",
        ["'keep_in_touch' must be at least 1d"],
        id="duration-zero",
    ),
    *[
        pytest.param(
            ADA + f"  last_contact: {value}\n",
            "contacts.yaml:3",
            [f"'last_contact' is '{value}'", "YYYY-MM-DD"],
            id=f"date-{value}",
        )
        for value in (
            "2026-13-01",
            "2026-02-30",
            "14/09/2026",
            "2026-W37-1",
            "20260914",
            "soon",
            "9999-12-31",
            "0001-01-01",
        )
    ],
    # ids
    *[
        pytest.param(
            ADA + f"  id: {value}\n",
            "contacts.yaml:3",
            [f"id '{value}' must be lowercase letters and digits", "such as ada or jose-nunez"],
            id=f"id-{value}",
        )
        for value in ("Ada", "ada_l", "ada--l", "-ada", "ada.l", "adá")
    ],
    # duplicates
    pytest.param(
        ADA + "- name: Ada Lovelace\n  email: ada@example.net\n",
        "contacts.yaml:3",
        ["has the id 'ada-lovelace' that Ada Lovelace (line 1) already has", "give one"],
        id="duplicate-slug",
    ),
    pytest.param(
        ADA + "- name: Ada Byron\n  id: ada-lovelace\n",
        "contacts.yaml:3",
        ["Ada Byron has the id 'ada-lovelace' that Ada Lovelace (line 1) already has"],
        id="duplicate-id",
    ),
    pytest.param(
        ADA + "- name: Countess of Lovelace\n  email: ADA@example.org\n",
        "contacts.yaml:3",
        ["has the email ADA@example.org that Ada Lovelace (line 1) already has"],
        id="duplicate-email-any-case",
    ),
]


@pytest.mark.parametrize(("text", "where", "fragments"), CONTACTS_CASES)
def test_bad_contacts_are_one_clear_line_and_write_nothing(
    run: Invoke, workspace: Path, text: str, where: str, fragments: list[str]
) -> None:
    write(workspace / "contacts.yaml", text)
    result = run_unchanged(run, workspace, "contacts")
    assert_error(result, where, *fragments)
    assert len(errors(result)) == 1, result.stderr  # one mistake, one line
    assert result.stdout == ""
    assert not (workspace / ".outreach" / "contacts.json").exists()


def test_every_bad_person_is_reported_at_once(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "contacts.yaml",
        "- name: Ada Lovelace\n"
        "  email: ada.example.org\n"  # 2
        "  like: yes\n"  # 3
        "- email: grace@example.org\n"  # 4
        "- name: Mei Chen\n"
        "  keep_in_touch: soon\n"  # 6
        "  last_contact: yesterday\n",  # 7
    )
    result = run_unchanged(run, workspace, "contacts")
    assert_error(result, "contacts.yaml:2", "not a valid email address")
    assert_error(result, "contacts.yaml:3", "'yes' is not a boolean")
    assert_error(result, "contacts.yaml:4", "needs a 'name'")
    assert_error(result, "contacts.yaml:6", "'keep_in_touch' is 'soon'")
    assert_error(result, "contacts.yaml:7", "'last_contact' is 'yesterday'")
    assert len(errors(result)) == 5


def test_a_duplicate_is_reported_with_the_entrys_other_problems(
    run: Invoke, workspace: Path
) -> None:
    write(
        workspace / "contacts.yaml",
        ADA + "- name: Ada Byron\n"  # 3
        "  id: ada-lovelace\n"
        "  like: yes\n"  # 5
        "- name: Countess\n"  # 6
        "  email: ADA@example.org\n"
        "  keep_in_touch: soon\n"  # 8
        "- email: ada@example.org\n"  # 9: no name, and a third with this address
        "  id: ada-lovelace\n",
    )
    result = run_unchanged(run, workspace, "contacts")
    assert_error(result, "contacts.yaml:5", "'like' 'yes' is not a boolean", "(Ada Byron)")
    assert_error(result, "contacts.yaml:3", "Ada Byron has the id 'ada-lovelace' that Ada Lovelace")
    assert_error(result, "contacts.yaml:8", "'keep_in_touch' is 'soon'", "(Countess)")
    assert_error(result, "contacts.yaml:6", "Countess has the email ADA@example.org")
    assert_error(result, "contacts.yaml:9", "needs a 'name'")
    assert_error(result, "contacts.yaml:9", "the person on line 9 has the id 'ada-lovelace'")
    assert_error(result, "contacts.yaml:9", "the person on line 9 has the email ada@example.org")
    assert len(errors(result)) == 7, result.stderr
    # Each entry's problems come together, in the order of the file.
    lines = [line.split(":")[2] for line in errors(result)]
    assert lines == ["5", "3", "8", "6", "9", "9", "9"]


def test_bad_contacts_stop_commands_that_need_people(run: Invoke, workspace: Path) -> None:
    write(workspace / "contacts.yaml", ADA + "  like: yes\n")
    for args in (
        ("contacts", "--json"),
        ("templates", "preview", "request", "--to", "ada"),
        ("draft", "request", "--all"),
    ):
        result = run_unchanged(run, workspace, *args)
        assert_error(result, "contacts.yaml:3", "'like' 'yes' is not a boolean")
        assert result.stdout == ""


# --- files that are not UTF-8 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "command", "prefix"),
    [
        ("contacts.yaml", ("contacts",), b"- name: Ada\n- name: Jos"),
        ("goal.md", ("goal",), b"---\nlooking_for: a role\nrequest: Caf"),
        ("outreach.toml", ("check",), b'[me]\nname = "Sam"\nemail = "sam@example.org"\n# caf'),
    ],
)
def test_a_file_that_is_not_utf8_names_its_line(
    run: Invoke, workspace: Path, name: str, command: tuple[str, ...], prefix: bytes
) -> None:
    (workspace / name).write_bytes(prefix + b"\xe9 (Latin-1)\n")  # é in Latin-1
    line = prefix.count(b"\n") + 1
    result = run_unchanged(run, workspace, *command)
    assert_error(result, f"{name}:{line}", "not UTF-8 text (byte 0xe9)", "save the file as UTF-8")


def test_a_byte_order_mark_is_fine(run: Invoke, workspace: Path) -> None:
    path = workspace / "contacts.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run("contacts", "--json")
    assert result.exit_code == 0, result.output
    assert "Ada Lovelace" in result.stdout


# --- YAML built to hurt --------------------------------------------------------------

BILLION_LAUGHS = """\
- name: Ada Lovelace
  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_a_yaml_alias_bomb_in_contacts_is_refused(run: Invoke, workspace: Path) -> None:
    write(workspace / "contacts.yaml", BILLION_LAUGHS)
    result = run_unchanged(run, workspace, "contacts")
    line = assert_error(result, "contacts.yaml:2", "anchors and aliases", "not supported")
    assert len(line) < 200


def test_a_yaml_alias_bomb_in_the_goal_is_refused(run: Invoke, workspace: Path) -> None:
    bomb = BILLION_LAUGHS.replace("- name: Ada Lovelace\n", "").replace("  ", "")
    write(workspace / "goal.md", "---\nlooking_for: a role\n" + bomb + "---\nStory.\n")
    result = run_unchanged(run, workspace, "goal")
    assert_error(result, "goal.md:3", "anchors and aliases")


def test_even_one_alias_is_refused(run: Invoke, workspace: Path) -> None:
    write(workspace / "contacts.yaml", ADA + "  tags: &t [python]\n- name: Bo\n  tags: *t\n")
    result = run_unchanged(run, workspace, "contacts")
    assert_error(result, "contacts.yaml:3", "anchors and aliases (&name, *name)")


def test_an_alias_bomb_fails_fast_in_the_installed_command(
    workspace: Path, run_installed: Installed
) -> None:
    write(workspace / "contacts.yaml", BILLION_LAUGHS)
    result = run_installed("check", cwd=workspace, timeout=60)
    assert_error(result, "contacts.yaml:2", "anchors and aliases")


@pytest.mark.parametrize(
    "nesting",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="brackets"),
        pytest.param("[a, " * 100_000, id="brackets-with-items"),
        pytest.param("{a: " * 100_000, id="braces"),
    ],
)
def test_nesting_that_crashes_libyaml_is_refused(
    workspace: Path, run_installed: Installed, nesting: str
) -> None:
    # A subprocess: unguarded, libyaml's composer overflows the C stack and kills the process.
    write(workspace / "contacts.yaml", f"- name: Ada Lovelace\n  deep: {nesting}\n")
    before = snapshot(workspace)
    result = run_installed("contacts", cwd=workspace, timeout=60)
    assert_error(result, "contacts.yaml:2", "nested more than 64 levels deep")
    assert snapshot(workspace) == before


def test_block_nesting_that_is_too_deep_is_refused(run: Invoke, workspace: Path) -> None:
    write(workspace / "contacts.yaml", "- name: Ada Lovelace\n  deep:\n" + "    - " * 70 + "x\n")
    result = run_unchanged(run, workspace, "contacts")
    assert_error(result, "contacts.yaml:3", "nested more than 64 levels deep")


def test_ordinary_nesting_is_fine(run: Invoke, workspace: Path) -> None:
    write(workspace / "contacts.yaml", ADA + "  deep: " + "[" * 10 + "x" + "]" * 10 + "\n")
    result = run("contacts", "--json")
    assert result.exit_code == 0, result.output


# --- the installed command: no traceback crosses the process -------------------------


@pytest.mark.parametrize(
    ("name", "text", "where", "fragment"),
    [
        ("contacts.yaml", ADA + "  like: yes\n", "contacts.yaml:3", "'like' 'yes'"),
        ("contacts.yaml", "name: [\n", "contacts.yaml:2", "invalid YAML"),
        ("outreach.toml", "[me\n", "outreach.toml:1", "invalid TOML"),
        ("goal.md", "---\nrequest: a? b?\n---\n", "goal.md:2", "asks 2 questions"),
    ],
)
def test_a_bad_file_in_the_installed_command(
    workspace: Path, run_installed: Installed, name: str, text: str, where: str, fragment: str
) -> None:
    write(workspace / name, text)
    before = snapshot(workspace)
    result = run_installed("check", cwd=workspace)
    assert_error(result, where, fragment)
    assert result.stdout == ""
    assert snapshot(workspace) == before


# --- people named on the command line ------------------------------------------------


def test_an_unknown_person_is_an_error(run: Invoke, workspace: Path) -> None:
    result = run_unchanged(run, workspace, "templates", "preview", "request", "--to", "zed")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: nobody in contacts.yaml is called 'zed' (by id, email or name)\n"
    )


def test_an_ambiguous_name_lists_the_matches(run: Invoke, workspace: Path) -> None:
    path = workspace / "contacts.yaml"
    write(path, path.read_text(encoding="utf-8") + "\n- name: Ada Byron\n  email: ab@example.org\n")
    result = run_unchanged(run, workspace, "templates", "preview", "request", "--to", "ADA")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: 'ADA' matches 2 people: Ada Lovelace (ada-lovelace), Ada Byron (ada-byron); "
        "use an id\n"
    )


def test_an_unknown_person_in_the_installed_command(
    workspace: Path, run_installed: Installed
) -> None:
    result = run_installed("templates", "preview", "request", "--to", "nobody", cwd=workspace)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: nobody in contacts.yaml is called 'nobody'")
    assert "Traceback" not in result.stderr
