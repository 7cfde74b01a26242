"""Hostile values (issue 10): whatever `check` accepts must draft. Contacts and settings refuse
the characters the draft reader refuses in a header (one definition), and ids and template
names are short enough to become file names.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import pytest

from outreach import __version__
from outreach.drafts.draft import parse_draft, sent_name
from outreach.people import cache as contacts_cache
from outreach.people.contact import Contact, slug
from outreach.people.reading import parse_contacts
from outreach.support.text import MAX_NAME_LENGTH, header_unsafe
from tests.conftest import Invoke
from tests.helpers import PASSWORD_ENV, assert_error, configure, one_error, snapshot, write
from tests.smtp_server import smtp_server

ADA = "- name: Ada Lovelace\n  email: ada@example.org\n"


# --- [me] in outreach.toml ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", "Sam\\u000bRivera"),
        ("name", "Sam\\u001b[31mRivera"),
        ("name", "Sam\\u009bRivera"),
        ("name", "Sam\\u0000Rivera"),
        ("name", "Sam\\u2028Rivera"),
        ("reply_to", "sam\\u000c@example.com"),
    ],
)
def test_me_refuses_what_no_header_may_carry(
    run: Invoke, workspace: Path, key: str, value: str
) -> None:
    settings = workspace / "outreach.toml"
    text = settings.read_text(encoding="utf-8")
    write(settings, re.sub(rf'(?m)^{key} = ".*"', lambda _: f'{key} = "{value}"', text, count=1))
    line_number = next(
        n for n, line in enumerate(text.splitlines(), 1) if line.startswith(f"{key} =")
    )
    result = run("check")
    assert_error(result, f"outreach.toml:{line_number}", f"me.{key}")
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028]", result.stderr.replace("\n", ""))


# --- what contacts accept, the draft reader accepts ---------------------------------------

CODES = (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)
HEADER_UNSAFE = [chr(code) for code in CODES if code != 0x09]


def test_contacts_refuse_exactly_what_the_draft_reader_refuses() -> None:
    # One definition: every character the draft reader refuses in a header is refused in a
    # name, an email, a first name, an id and how_we_know; a tab, which it takes, is taken.
    draft = "---\nto: {to}\nsubject: Hi\ntemplate: request\nkind: request\ncontact: ada\n"
    draft += "status: draft\nmessage_id: <1@example.org>\n---\nHi\n"
    for char in [*HEADER_UNSAFE, "\t"]:
        escape = f"\\u{ord(char):04x}"
        broken = parse_draft(Path("x.md"), draft.format(to=f"Ada{char}L <ada@example.org>")).broken
        assert (broken is not None) == (char != "\t"), (repr(char), broken)
        for key in ("name", "first_name", "how_we_know", "id", "email"):
            value = {"email": f"ada{escape}@example.org", "id": f"ada{escape}x"}.get(
                key, f"Ada{escape}L"
            )
            text = f'- name: Ada\n  email: ada@example.org\n  {key}: "{value}"\n'
            if key in ("name", "email"):
                text = f'- {key}: "{value}"\n' + (
                    "  email: ada@example.org\n" if key == "name" else "  name: Ada\n"
                )
            people, problems = parse_contacts(text)
            if char == "\t" and key in ("name", "first_name", "how_we_know"):
                assert not problems, (repr(char), key, problems)
            else:
                assert problems and not people, (repr(char), key)
    assert all(header_unsafe(f"a{char}b") == char for char in HEADER_UNSAFE)


@pytest.mark.parametrize("escape", ["\\0", "\\e", "\\x9b", "\\x85", "\\x7f"])
@pytest.mark.parametrize("key", ["name", "first_name", "how_we_know", "channel"])
def test_a_control_character_in_a_contact_is_refused_by_check_and_draft(
    run: Invoke, workspace: Path, escape: str, key: str
) -> None:
    fields = {"name": "Ada Lovelace", "first_name": "Ada", "how_we_know": "PyCon"}
    fields["channel"] = "email"
    fields[key] = fields[key][:2] + escape + fields[key][2:]
    text = "".join(f'{"- " if k == "name" else "  "}{k}: "{v}"\n' for k, v in fields.items())
    write(workspace / "contacts.yaml", text + "  email: a@example.org\n")
    line = list(fields).index(key) + 1
    for args in (("check",), ("draft", "request", "--all")):
        before = snapshot(workspace)
        result = run(*args)
        assert snapshot(workspace) == before
        assert_error(result, f"contacts.yaml:{line}", f"'{key}'")
    assert not list((workspace / "drafts").iterdir())


def test_a_control_character_in_a_tag_is_refused(run: Invoke, workspace: Path) -> None:
    write(workspace / "contacts.yaml", ADA + '  tags: [music, "al\\eumni"]\n')
    result = run("check")
    assert_error(result, "contacts.yaml:3", "'tags' must be a list of words")


def test_an_old_cache_does_not_skip_the_new_checks(
    run: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache as the rules before issue 10 wrote it: a name with ESC passed then.
    path = workspace / "contacts.yaml"
    write(path, '- name: "Ada\\eLovelace"\n  email: ada@example.org\n')
    key = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    old = Contact(name="Ada\x1bLovelace", id="adalovelace", first_name="Ada\x1bLovelace")
    with monkeypatch.context() as patch:
        patch.setattr(contacts_cache, "_CACHE_FORMAT", f"contacts-cache-3-{__version__}")
        contacts_cache.write_cache(workspace / ".outreach" / "contacts.json", key, [old])
    result = run("contacts")
    assert_error(result, "contacts.yaml:1", "'name' holds the control character \\x1b")


# --- ids and template names short enough to name files ------------------------------------

LONG_NAME = " ".join(["Abcdefghijklmnopqrstuvwxyz"] * 11 + ["Lovelace"])  # 300 letters and spaces


def test_a_long_name_gets_a_short_stable_unique_id() -> None:
    first = slug(LONG_NAME)
    assert len(first) <= MAX_NAME_LENGTH
    assert re.fullmatch(r"abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz-[0-9a-f]{6}", first)
    assert slug(LONG_NAME) == first  # the same every time: the journal keys on it
    assert slug(LONG_NAME + " Byron") != first  # the same start, another id
    one_word = "A" * 300
    assert len(slug(one_word)) == MAX_NAME_LENGTH
    assert slug(one_word).startswith("a" * 57 + "-")
    exact = "-".join(["abcd"] * 13)[:MAX_NAME_LENGTH]
    assert slug(exact) == exact  # a slug that fits is kept as it is


def test_a_300_letter_name_that_check_passes_drafts(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "contacts.yaml",
        f"- name: {LONG_NAME}\n  email: ada@example.org\n"
        f"- name: {LONG_NAME} Byron\n  email: byron@example.org\n",
    )
    assert run("check").exit_code == 0
    result = run("draft", "request", "--all")
    assert result.exit_code == 0, result.output
    assert "2 drafts written" in result.stdout
    people = json.loads(run("contacts", "--json").stdout)
    ids = [person["id"] for person in people]
    assert len(set(ids)) == 2 and all(len(i) <= MAX_NAME_LENGTH for i in ids)
    names = sorted(path.name for path in (workspace / "drafts").iterdir())
    assert names == sorted(f"{i}--request.md" for i in ids)
    statuses = {row["status"] for row in json.loads(run("drafts", "--json").stdout)}
    assert statuses == {"draft"}


def test_an_id_too_long_is_an_error_with_its_line(run: Invoke, workspace: Path) -> None:
    write(workspace / "contacts.yaml", ADA + "  id: " + "a" * (MAX_NAME_LENGTH + 1) + "\n")
    result = run("check")
    line = one_error(result, "contacts.yaml:3", "'id' is 65 characters long", "at most 64")
    assert len(line) < 200
    write(workspace / "contacts.yaml", ADA + "  id: " + "a" * MAX_NAME_LENGTH + "\n")
    assert run("check").exit_code == 0


def test_a_template_name_too_long_is_an_error(run: Invoke, workspace: Path) -> None:
    name = "t" * (MAX_NAME_LENGTH + 1)
    result = run("templates", "new", name, "--no-edit")
    one_error(result, f"'{'t' * MAX_NAME_LENGTH}…' cannot name a template", "at most 64")
    assert not (workspace / "templates" / f"{name}.md").exists()
    write(workspace / "templates" / f"{name}.md", "---\nkind: check-in\nsubject: Hi\n---\nHi\n")
    result = run("check")
    assert_error(result, f"templates/{name}.md", "at most 64 characters", "rename the file")
    result = run("draft", name, "ada")
    assert_error(result, f"templates/{name}.md", "at most 64 characters")
    assert not list((workspace / "drafts").iterdir())


def test_the_longest_names_send_and_are_filed(run: Invoke, workspace: Path) -> None:
    # The longest id and template name there can be, through a real send into sent/.
    template = "t" * MAX_NAME_LENGTH
    write(workspace / "contacts.yaml", f"- name: {'A' * 300}\n  email: ada@example.org\n")
    write(workspace / "templates" / f"{template}.md", "---\nkind: check-in\nsubject: Hi\n---\nHi\n")
    assert run("check").exit_code == 0
    assert run("draft", template, "--all").exit_code == 0
    assert run("approve", "--all").exit_code == 0
    with smtp_server() as (server, port):
        configure(workspace, port)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 1
    (filed,) = (workspace / "sent").iterdir()
    assert filed.name.endswith(f"--{'a' * 57}-{slug('A' * 300)[-6:]}--{template}.md")
    # Even the thousandth message of the day to that person keeps a name a file system takes.
    draft = parse_draft(filed, filed.read_text(encoding="utf-8"))
    stem = f"2026-01-01--{draft.person}--{template}"
    taken = {f"{stem}.md", *(f"{stem}--{n}.md" for n in range(2, 1000))}
    assert len(sent_name(date(2026, 1, 1), draft, taken).encode()) < 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("contact", "../../outside"), ("contact", "a" * 300), ("template", "x/../../y")],
)
def test_a_draft_whose_names_cannot_name_a_file_is_broken(
    run: Invoke, workspace: Path, field: str, value: str
) -> None:
    assert run("draft", "request", "ada").exit_code == 0
    path = workspace / "drafts" / "ada-lovelace--request.md"
    text = path.read_text(encoding="utf-8")
    write(path, re.sub(rf"(?m)^{field}: .*$", lambda _: f"{field}: {value}", text, count=1))
    rows = json.loads(run("drafts", "--json").stdout)
    assert [row["status"] for row in rows] == ["broken"]


def test_an_imported_namesake_of_a_long_name_gets_an_id_that_fits() -> None:
    from outreach.people.addressbook.merge import free_id

    base = slug("A" * 300)
    taken = {base, *(f"{base[:62]}-{n}" for n in range(2, 10))}
    new_id = free_id(base, taken)
    assert new_id == f"{base[:61]}-10"
    assert len(new_id) <= MAX_NAME_LENGTH and new_id not in taken
