"""Hostile values (issue 10): whatever `check` accepts must draft. Contacts and settings refuse
the characters the draft reader refuses in a header (one definition).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from outreach import __version__, contacts_cache
from outreach.contacts import Contact, parse_contacts
from outreach.drafts import parse_draft
from outreach.text import header_unsafe
from tests.conftest import Invoke, snapshot, write
from tests.test_bad_input import assert_error

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
