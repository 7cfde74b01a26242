"""contacts.yaml read into people: defaults, ids, custom fields, the cache, `outreach contacts`."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from outreach.people.contact import slug
from outreach.people.lookup import find_person
from outreach.people.reading import load_contacts, parse_contacts
from outreach.support.errors import OutreachError, PersonNotFound
from tests.conftest import Installed, Invoke
from tests.helpers import EXAMPLE_IDS, in_fresh_python, write


def contacts_json(run: Invoke) -> list[dict[str, object]]:
    result = run("contacts", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    rows = json.loads(result.stdout)  # one JSON array and nothing else
    assert isinstance(rows, list)
    return rows


# --- outreach contacts ---------------------------------------------------------------


def test_contacts_json_has_the_contract_fields(run: Invoke) -> None:
    rows = contacts_json(run)
    assert [row["id"] for row in rows] == EXAMPLE_IDS
    for row in rows:
        assert {"id", "name", "email", "last_contact", "next_due"} <= row.keys()
    ada = rows[0]
    assert (ada["name"], ada["email"], ada["last_contact"]) == (
        "Ada Lovelace",
        "ada@example.org",
        "2026-09-14",
    )
    assert ada["next_due"] == "2026-11-13"  # keep_in_touch 60d after last_contact
    priya = rows[-1]
    assert (priya["email"], priya["last_contact"], priya["next_due"]) == (None, None, None)
    jose = rows[1]  # keep_in_touch with no contact ever: a check-in is due now
    assert (jose["name"], jose["last_contact"], jose["next_due"]) == (
        "José Núñez",
        None,
        date.today().isoformat(),
    )


def test_contacts_lists_people_with_their_lists(run: Invoke) -> None:
    result = run("contacts")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "EMAIL", "LISTS"]
    assert len(lines) == 1 + len(EXAMPLE_IDS)
    tom = next(line for line in lines if line.startswith("tom-baker"))
    assert "can help, doubts" in tom
    ada = next(line for line in lines if line.startswith("ada-lovelace"))
    assert "like, can help" in ada and "2026-09-14" in ada
    priya = next(line for line in lines if line.startswith("priya-raman"))
    assert re.search(r"Priya Raman\s+-\s+like, can help", priya)


def test_contacts_with_nobody_yet(tmp_path: Path, run_installed: Installed) -> None:
    installed = run_installed
    assert installed("init", str(tmp_path / "mine")).returncode == 0
    listed = installed("contacts", cwd=tmp_path / "mine")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == ""
    assert "Nobody in contacts.yaml yet" in listed.stderr
    as_json = installed("contacts", "--json", cwd=tmp_path / "mine")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == []


def test_contacts_usage_errors_exit_2(run: Invoke) -> None:
    result = run("contacts", "--jsn")
    assert result.exit_code == 2
    assert "--jsn" in result.stderr
    assert run("contacts", "extra").exit_code == 2


# --- fields and defaults -------------------------------------------------------------


def test_defaults_for_what_is_left_out() -> None:
    (person,), problems = parse_contacts("- name: Ada King Lovelace\n")
    assert problems == []
    assert (person.id, person.first_name, person.email) == ("ada-king-lovelace", "Ada", None)
    assert (person.like, person.can_help, person.doubts) == (False, False, False)
    assert (person.tags, person.keep_in_touch_days, person.last_contact) == ((), None, None)
    assert person.line == 1


def test_every_field_is_read() -> None:
    text = (
        "# people\n"
        "- name: Ada Lovelace\n"
        "  email: ada@example.org\n"
        "  first_name: Countess\n"
        "  id: ada\n"
        "  how_we_know: the Python user group\n"
        "  like: true\n"
        "  can_help: TRUE\n"
        "  doubts: false\n"
        "  channel: coffee\n"
        "  keep_in_touch: 3w\n"
        "  last_contact: 2026-09-14\n"
        "  tags: [python, mentors]\n"
        "  notes: |\n"
        "    Asked about my thesis.\n"
        "    Likes engines.\n"
        "  company: Analytical Engines\n"
        "  since: 2019\n"
        "  mentor: true\n"
        "  languages: [en, fr]\n"
    )
    (ada,), problems = parse_contacts(text)
    assert problems == []
    assert (ada.name, ada.email, ada.first_name, ada.id) == (
        "Ada Lovelace",
        "ada@example.org",
        "Countess",
        "ada",
    )
    assert (ada.like, ada.can_help, ada.doubts, ada.channel) == (True, True, False, "coffee")
    assert (ada.keep_in_touch, ada.keep_in_touch_days) == ("3w", 21)
    assert ada.last_contact == date(2026, 9, 14)
    assert ada.tags == ("python", "mentors")
    assert ada.notes == "Asked about my thesis.\nLikes engines."  # notes may run over lines
    assert dict(ada.custom) == {
        "company": "Analytical Engines",
        "since": 2019,
        "mentor": True,
        "languages": ["en", "fr"],
    }
    assert ada.line == 2
    fields = ada.template_fields()
    assert fields["company"] == "Analytical Engines"
    assert fields["first_name"] == "Countess"


@pytest.mark.parametrize(
    ("text", "days"), [("10d", 10), ("3w", 21), ("2m", 60), ("1d", 1), ("36500d", 36500)]
)
def test_durations(text: str, days: int) -> None:
    (person,), problems = parse_contacts(f"- name: Ada\n  keep_in_touch: {text}\n")
    assert problems == []
    assert person.keep_in_touch_days == days


def test_an_empty_optional_field_is_as_good_as_a_missing_one() -> None:
    (person,), problems = parse_contacts("- name: Ada\n  email:\n  like:\n  tags:\n")
    assert problems == []
    assert (person.email, person.like, person.tags) == (None, False, ())


def test_an_empty_file_and_an_empty_list_are_nobody() -> None:
    assert parse_contacts("") == ([], [])
    assert parse_contacts("# only comments\n") == ([], [])
    assert parse_contacts("[]\n") == ([], [])


def test_people_are_frozen(workspace: Path) -> None:
    ada = load_contacts(workspace / "contacts.yaml")[0]
    with pytest.raises(AttributeError):
        ada.name = "Someone Else"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ada.custom["company"] = "Elsewhere"  # type: ignore[index]


def test_names_and_text_are_kept_as_written() -> None:
    # No YAML guessing for text: a name `No` stays "No", a number stays its digits.
    (norway, numbered), problems = parse_contacts("- name: No\n  id: no\n- name: 1984\n")
    assert problems == []
    assert norway.name == "No"
    assert (numbered.name, numbered.id) == ("1984", "1984")


# --- ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "ada-lovelace"),
        ("José Núñez", "jose-nunez"),
        ("Zoë Ångström-Øberg", "zoe-angstrom-berg"),
        ("Dr. Mary-Kate O'Neil, Jr.", "dr-mary-kate-o-neil-jr"),
        ("  Grace   Hopper  ", "grace-hopper"),
        ("Ólafur Arnalds 2", "olafur-arnalds-2"),
    ],
)
def test_slug_ids_drop_accents(name: str, expected: str) -> None:
    assert slug(name) == expected


@pytest.mark.parametrize("name", ["李小龍", "Ольга Петрова", "محمد", "🙂"])
def test_names_with_no_latin_letters_get_a_hashed_id(name: str) -> None:
    ident = slug(name)
    assert re.fullmatch(r"person-[0-9a-f]{6}", ident)
    assert slug(name) == ident  # stable from one run to the next


def test_hashed_ids_tell_people_apart_and_can_be_used(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "contacts.yaml",
        "- name: 李小龍\n  email: lee@example.org\n"
        "- name: Ольга Петрова\n  email: olga@example.org\n"
        "- name: José Núñez\n  email: jose@example.org\n",
    )
    rows = contacts_json(run)
    lee, olga, jose = (str(row["id"]) for row in rows)
    assert lee.startswith("person-") and olga.startswith("person-") and lee != olga
    assert jose == "jose-nunez"
    shown = run("templates", "preview", "request", "--to", lee)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("To: 李小龍 <lee@example.org>")


# --- finding people ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("grace-hopper", "Grace Hopper"),
        ("GRACE.HOPPER@example.org", "Grace Hopper"),
        ("hopper", "Grace Hopper"),
        ("Mei", "Mei Chen"),
        ("núñez", "José Núñez"),
        ("nunez", "José Núñez"),
        ("  tom  ", "Tom Baker"),
    ],
)
def test_people_are_found_by_id_email_or_part_of_name(run: Invoke, query: str, who: str) -> None:
    result = run("templates", "preview", "request", "--to", query)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"To: {who} <")


def test_an_exact_id_wins_over_parts_of_names() -> None:
    people, _ = parse_contacts("- name: Ada\n- name: Ada Byron\n- name: Adam\n")
    assert find_person(people, "ada").name == "Ada"
    with pytest.raises(PersonNotFound) as raised:
        find_person(people, "ad")
    assert str(raised.value) == (
        "'ad' matches 3 people: Ada (ada), Ada Byron (ada-byron), Adam (adam); use an id"
    )


def test_nobody_matches_an_empty_name() -> None:
    people, _ = parse_contacts("- name: Ada\n")
    with pytest.raises(PersonNotFound):
        find_person(people, "  ")


# --- the cache -----------------------------------------------------------------------


def cache_of(workspace: Path) -> Path:
    return workspace / ".outreach" / "contacts.json"


def test_the_cache_is_used_while_the_file_is_unchanged(run: Invoke, workspace: Path) -> None:
    first = contacts_json(run)
    cache = cache_of(workspace)
    assert cache.is_file()
    # Proof that the cache, not the YAML, is read: a mark put into the cache shows up.
    text = cache.read_text(encoding="utf-8")
    assert text.count("Ada Lovelace") == 1
    cache.write_text(text.replace("Ada Lovelace", "Ada From The Cache"), encoding="utf-8")
    assert contacts_json(run)[0]["name"] == "Ada From The Cache"
    assert [row["id"] for row in first] == EXAMPLE_IDS


def test_a_changed_file_is_parsed_again(run: Invoke, workspace: Path) -> None:
    contacts_json(run)
    path = workspace / "contacts.yaml"
    write(path, path.read_text(encoding="utf-8").replace("Mei Chen", "Mei Lin"))
    rows = contacts_json(run)
    assert "Mei Lin" in [row["name"] for row in rows]
    assert "mei-lin" in cache_of(workspace).read_text(encoding="utf-8")


def test_a_change_that_breaks_the_file_is_not_hidden_by_the_cache(
    run: Invoke, workspace: Path
) -> None:
    contacts_json(run)
    path = workspace / "contacts.yaml"
    write(path, path.read_text(encoding="utf-8") + "- name: Bo\n  like: yes\n")
    result = run("contacts")
    assert result.exit_code == 1
    assert "'like' 'yes' is not a boolean" in result.stderr


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x00\xff not json",
        b"[]",
        b'{"format": 1}',
        b"null\n[]",
        b'"text"\n{}',
        b"{}\n" + b"x" * 100,
    ],
)
def test_a_corrupt_cache_is_ignored_and_rebuilt(
    run: Invoke, workspace: Path, garbage: bytes
) -> None:
    expected = contacts_json(run)
    cache = cache_of(workspace)
    cache.write_bytes(garbage)
    assert contacts_json(run) == expected
    assert cache.read_bytes() != garbage  # written again, whole


def test_a_cache_from_a_corrupted_run_with_the_right_key_is_ignored(
    run: Invoke, workspace: Path
) -> None:
    expected = contacts_json(run)
    cache = cache_of(workspace)
    header, _, _ = cache.read_text(encoding="utf-8").partition("\n")
    for body in ("{}", '{"columns": [["Ada"]], "tags": [], "written": []}', "[1, 2, 3]"):
        cache.write_text(header + "\n" + body + "\n", encoding="utf-8")
        assert contacts_json(run) == expected


def test_an_unwritable_cache_only_costs_time(run: Invoke, workspace: Path) -> None:
    state = workspace / ".outreach"
    for child in state.iterdir():
        child.unlink()
    state.rmdir()
    state.write_text("not a folder", encoding="utf-8")  # the cache cannot be written
    try:
        assert [row["id"] for row in contacts_json(run)] == EXAMPLE_IDS
    finally:
        state.unlink()
        state.mkdir()


def test_the_cache_gives_the_same_people(workspace: Path, tmp_path: Path) -> None:
    path = workspace / "contacts.yaml"
    write(
        path,
        path.read_text(encoding="utf-8")
        + "- name: 李小龍\n  tags: []\n  extra: {a: [1, 2.5, true]}\n  last_contact: 2020-02-29\n",
    )
    cold = load_contacts(path, tmp_path / "state")
    warm = load_contacts(path, tmp_path / "state")
    assert (tmp_path / "state" / "contacts.json").is_file()
    assert warm == cold == load_contacts(path)
    assert warm[-1].last_contact == date(2020, 2, 29)
    assert warm[-1].custom == {"extra": {"a": [1, 2.5, True]}}


def many_people(count: int) -> str:
    return "".join(
        f"- name: Person {number}\n  email: p{number}@example.org\n"
        + (
            f"  tags: [t{number % 3}]\n  last_contact: 2026-01-0{1 + number % 9}\n"
            if number % 2
            else ""
        )
        + (f"  company: C{number % 7}\n" if number % 5 == 0 else "")
        for number in range(count)
    )


def test_a_cache_of_thousands_gives_every_person(workspace: Path, tmp_path: Path) -> None:
    # The cache is written a thousand people at a time: the joins between chunks hold.
    path = workspace / "contacts.yaml"
    write(path, many_people(2_500))
    cold = load_contacts(path, tmp_path / "state")
    warm = load_contacts(path, tmp_path / "state")
    assert len(cold) == 2_500
    assert warm == cold == load_contacts(path)


def test_the_table_of_thousands_lists_every_person(run: Invoke, workspace: Path) -> None:
    # The table is written a thousand lines at a time, padded to the widest cell of all.
    write(workspace / "contacts.yaml", many_people(2_500))
    result = run("contacts")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2_501 and lines[0].startswith("ID ")
    assert [line.split()[0] for line in lines[1:]] == [f"person-{n}" for n in range(2_500)]
    name = lines[0].index("NAME")
    assert {line.index("Person") for line in lines[1:]} == {name}


TRICKY = (
    "# people\n- name: José Núñez\n  email: jose@example.org\n  tags: [música, 音乐]\n"
    '- {name: 李小龍, notes: "多行\\n文本", company: Ünïcode}\n'
)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (TRICKY, None),
        ("\ufeff" + TRICKY, None),
        (TRICKY + "- name: Ada\x07\n", 6),  # a control character
        (TRICKY + "- name: [Ada\n", 7),  # a list left open, found at the end
        ("\ufeff" + TRICKY + "- deep: " + "[" * 70 + "]" * 70 + "\n", 6),
    ],
)
def test_the_bytes_of_contacts_read_as_their_text(text: str, line: int | None) -> None:
    # The file's bytes go to the parser as they are (less memory than its text): the same
    # people and the same problems, on the same lines, as from the text.
    if line is None:
        assert parse_contacts(text.encode()) == parse_contacts(text.removeprefix("\ufeff"))
        assert len(parse_contacts(text.encode())[0]) == 2
        return
    with pytest.raises(OutreachError) as from_text:
        parse_contacts(text.removeprefix("\ufeff"))
    with pytest.raises(OutreachError) as from_bytes:
        parse_contacts(text.encode())
    assert from_bytes.value.problems == from_text.value.problems
    assert from_bytes.value.problems[0].where == f"contacts.yaml:{line}"


def test_the_bytes_of_contacts_are_checked_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_bytes(("- name: José\n" * 300_000).encode() + b"- name: Jos\xe9\n")
    with pytest.raises(OutreachError) as error:
        load_contacts(path)
    assert error.value.problems[0].where == "contacts.yaml:300001"
    assert "not UTF-8" in error.value.problems[0].message


def test_listing_people_with_no_journal_loads_no_sqlite(workspace: Path) -> None:
    # A workspace where nothing was logged yet has no journal to read: `contacts` must not
    # pay for loading sqlite3 (or the journal's modules) to find that out.
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from outreach.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['--workspace', {str(workspace)!r}, 'contacts'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'sqlite3' not in sys.modules\n"
    )
    in_fresh_python(script)
