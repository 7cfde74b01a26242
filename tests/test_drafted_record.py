"""`draft --replace` keeps a draft unrendered only where its inputs and its file are as they
were when it was written (.outreach/drafted.json); any change to either renders it again."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.composing import drafted as drafted_module
from outreach.composing import renderer as renderer_module
from outreach.composing.context import Shared, own_arguments, shared_context
from outreach.composing.drafted import compiled_proof, file_proof, inputs_key, shared_key
from outreach.composing.loading import load_renderer
from outreach.composing.renderer import Renderer
from outreach.composing.threads import Thread
from outreach.people.contact import Contact
from outreach.support.files import AllOrNothing
from outreach.workspace.folder import Workspace
from outreach.workspace.goal import load_goal
from tests.conftest import Invoke
from tests.helpers import fill, in_fresh_python, small_file_system, snapshot, write

ADA = "drafts/ada-lovelace--request.md"


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The people rendered for, in order (the real render, counted)."""
    seen: list[str] = []
    real = renderer_module.Renderer.render

    def counted(self: Renderer, **arguments: Any) -> Any:
        seen.append(arguments["who"])
        return real(self, **arguments)

    monkeypatch.setattr(renderer_module.Renderer, "render", counted)
    yield seen


def drafted_all(run: Invoke, *extra: str) -> str:
    result = run("draft", "request", "--all", "--replace", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_unchanged_draft_is_not_rendered_again(
    run: Invoke, workspace: Path, renders: list[str]
) -> None:
    first = run("draft", "request", "--all")
    assert first.exit_code == 0, first.output
    assert (workspace / ".outreach" / "drafted.json").is_file()
    before = {p.name: p.read_bytes() for p in (workspace / "drafts").iterdir()}
    renders.clear()
    stdout = drafted_all(run)
    assert renders == []
    assert f"{len(before)} unchanged" in stdout and "0 drafts written" in stdout
    assert {p.name: p.read_bytes() for p in (workspace / "drafts").iterdir()} == before


def test_a_template_change_renders_every_draft_again(
    run: Invoke, workspace: Path, renders: list[str]
) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    count = len(renders)
    template = workspace / "templates" / "request.md"
    template.write_text(template.read_text().replace("Thank you,", "With thanks,"))
    renders.clear()
    stdout = drafted_all(run)
    assert len(renders) == count
    assert f"{count} drafts written" in stdout
    assert "With thanks," in (workspace / ADA).read_text()
    renders.clear()
    drafted_all(run)
    assert renders == []  # and recorded again: the next one is kept


def test_a_changed_person_is_rendered_again_and_only_they(
    run: Invoke, workspace: Path, renders: list[str]
) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    contacts = workspace / "contacts.yaml"
    contacts.write_text(
        contacts.read_text().replace("the Python user group", "the Python meetup", 1)
    )
    renders.clear()
    stdout = drafted_all(run)
    assert renders == ["Ada Lovelace (ada-lovelace)"]
    assert "the Python meetup" in (workspace / ADA).read_text()
    assert "drafted drafts/ada-lovelace--request.md" in stdout


def test_a_note_goal_or_setting_renders_again(
    run: Invoke, workspace: Path, renders: list[str]
) -> None:
    assert run("draft", "check-in", "--all").exit_code == 0
    count = len(renders)
    renders.clear()
    result = run("draft", "check-in", "--all", "--replace", "--note", "a new climbing gym")
    assert result.exit_code == 0, result.output
    assert len(renders) == count
    settings = workspace / "outreach.toml"
    settings.write_text(settings.read_text().replace("Sam Rivera", "Sam R. Rivera"))
    renders.clear()
    result = run("draft", "check-in", "--all", "--replace", "--note", "a new climbing gym")
    assert result.exit_code == 0, result.output
    assert len(renders) == count
    assert "Sam R. Rivera" in (workspace / "drafts" / "ada-lovelace--check-in.md").read_text()
    goal = workspace / "goal.md"
    goal.write_text(goal.read_text().replace("climate", "climate and energy", 1))
    renders.clear()
    assert run("draft", "request", "--all").exit_code == 0
    renders.clear()
    goal.write_text(goal.read_text().replace("climate and energy", "climate", 1))
    drafted_all(run)
    assert renders  # the goal changed since the requests were drafted


def test_a_journal_entry_renders_that_person_again(
    run: Invoke, workspace: Path, renders: list[str]
) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    assert run("log", "add", "ada", "gave", "--note", "the research templates").exit_code == 0
    renders.clear()
    drafted_all(run)
    assert renders == ["Ada Lovelace (ada-lovelace)"]  # `given` and `last` are Ada's only


def test_an_edited_or_replaced_draft_is_rendered_again(
    run: Invoke, workspace: Path, renders: list[str]
) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    ada = workspace / ADA
    written = ada.read_text()
    # The same bytes, but another file (an editor's save): rendered, and found the same.
    stat = ada.stat()
    aside = ada.with_name("aside")
    aside.write_text(written)
    os.replace(aside, ada)
    os.utime(ada, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    renders.clear()
    assert "1 unchanged" not in drafted_all(run)
    assert renders == ["Ada Lovelace (ada-lovelace)"]
    # A hand edit in place: rendered again, the edit replaced by the template's text.
    with ada.open("r+") as handle:
        handle.seek(len(written) - 5)
        handle.write("XXXX")
    renders.clear()
    stdout = drafted_all(run)
    assert renders == ["Ada Lovelace (ada-lovelace)"]
    assert "drafted drafts/ada-lovelace--request.md" in stdout
    assert ada.read_text() == written.replace(
        _line(written, "drafted"), _line(ada.read_text(), "drafted")
    )
    # Approved: its status changed, so it is rendered; the text is the same, so it is kept.
    assert run("approve", "ada").exit_code == 0
    renders.clear()
    stdout = drafted_all(run)
    assert renders == ["Ada Lovelace (ada-lovelace)"]
    assert "status: approved" in ada.read_text()


def _line(text: str, key: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"{key}: "))


def test_a_record_that_does_not_read_costs_only_time(
    run: Invoke, workspace: Path, renders: list[str]
) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    count = len(renders)
    (workspace / ".outreach" / "drafted.json").write_text('{"format": 1, "drafts": [')
    renders.clear()
    stdout = drafted_all(run)
    assert len(renders) == count and f"{count} unchanged" in stdout
    renders.clear()
    drafted_all(run)
    assert renders == []


@pytest.mark.parametrize(
    "line",
    ["{{ ['a', 'b'] | random }}", "{{ lipsum(1) }}", "{% filter random %}ab{% endfilter %}"],
)
def test_a_template_with_chance_in_it_is_always_rendered(
    run: Invoke, workspace: Path, renders: list[str], line: str
) -> None:
    write(
        workspace / "templates" / "chance.md",
        f"---\nkind: check-in\nsubject: Hello\n---\nHi {{{{ contact.first_name }}}},\n{line}\n",
    )
    assert run("draft", "chance", "ada").exit_code == 0
    renders.clear()
    result = run("draft", "chance", "ada", "--replace")
    assert result.exit_code == 0, result.output
    assert renders == ["Ada Lovelace (ada-lovelace)"]


def test_a_template_with_attachments_is_always_rendered(
    run: Invoke, workspace: Path, renders: list[str]
) -> None:
    (workspace / "cv.pdf").write_bytes(b"%PDF-1.4\n")
    write(
        workspace / "templates" / "with-cv.md",
        '---\nkind: check-in\nsubject: Hello\nattachments: ["cv.pdf"]\n---\nHi there.\n',
    )
    assert run("draft", "with-cv", "ada").exit_code == 0
    (workspace / "cv.pdf").unlink()
    renders.clear()
    result = run("draft", "with-cv", "ada", "--replace")
    assert result.exit_code == 1  # the attachment is checked again, and is gone
    assert renders == ["Ada Lovelace (ada-lovelace)"]


# --- a template proven to compile is compiled at its first render ------------------------

# Runs one command in a fresh process and says whether Jinja was imported.
JINJA_PROBE = """
import sys
from outreach.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit as stop:
    assert not stop.code, stop.code
print("imported" if "jinja2" in sys.modules else "not imported")
"""


def jinja_probe(workspace: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", JINJA_PROBE, "--workspace", str(workspace), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_a_replace_that_renders_nothing_never_imports_jinja(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    assert jinja_probe(workspace, "draft", "request", "--all", "--replace") == "not imported"
    contacts = workspace / "contacts.yaml"
    contacts.write_text(
        contacts.read_text().replace("the Python user group", "the Python meetup", 1)
    )
    # Ada changed: her draft is rendered, the template compiled for her.
    assert jinja_probe(workspace, "draft", "request", "--all", "--replace") == "imported"
    assert "the Python meetup" in (workspace / ADA).read_text()


def test_a_template_changed_since_its_proof_is_compiled_when_loaded(
    run: Invoke, workspace: Path
) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    template = workspace / "templates" / "request.md"
    template.write_text(template.read_text() + "{% if contact.name %}\n")
    # A person named twice in contacts.yaml: the template's error still comes first, as
    # where there is no record.
    contacts = workspace / "contacts.yaml"
    contacts.write_text(contacts.read_text() + "- name: Ada Lovelace\n  email: ada@example.org\n")
    with_record = run("draft", "request", "--all", "--replace")
    (workspace / ".outreach" / "drafted.json").unlink()
    without = run("draft", "request", "--all", "--replace")
    assert with_record.exit_code == without.exit_code == 1
    assert with_record.output == without.output
    assert "templates/request.md" in with_record.output


def test_the_proof_is_kept_only_for_a_template_whose_drafts_may_be_kept(
    run: Invoke, workspace: Path
) -> None:
    write(
        workspace / "templates" / "chance.md",
        "---\nkind: check-in\nsubject: Hello\n---\nHi {{ ['a', 'b'] | random }}.\n",
    )
    assert run("draft", "chance", "ada").exit_code == 0
    assert run("draft", "request", "--all").exit_code == 0
    record = json.loads((workspace / ".outreach" / "drafted.json").read_text())
    assert list(record["templates"]) == ["request"]
    source = (workspace / "templates" / "request.md").read_bytes()
    assert record["templates"]["request"] == compiled_proof(source)


def test_the_proof_changes_with_what_compiles_the_template(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (workspace / "templates" / "request.md").read_bytes()
    first = compiled_proof(source)
    assert compiled_proof(source) == first
    changed = {"the bytes": compiled_proof(source + b"\n")}
    with monkeypatch.context() as patch:
        patch.setattr("outreach.__version__", "99.0")
        changed["outreach's version"] = compiled_proof(source)
    with monkeypatch.context() as patch:
        patch.setattr(drafted_module, "jinja_release", lambda: "another release")
        changed["Jinja's release"] = compiled_proof(source)
    with monkeypatch.context() as patch:
        patch.setattr(sys, "version", "3.99.0")
        changed["Python's version"] = compiled_proof(source)
    assert [what for what, proof in changed.items() if proof == first] == []


def test_jinjas_release_is_read_from_its_package_without_importing_it() -> None:
    in_fresh_python(
        "import sys\n"
        "from outreach.composing.drafted import jinja_release\n"
        "release = jinja_release()\n"
        "assert 'jinja2' not in sys.modules\n"
        "import hashlib, jinja2\n"
        "init = open(jinja2.__file__, 'rb').read()\n"
        "assert jinja2.__version__.encode() in init\n"
        "assert release == hashlib.blake2b(init, digest_size=16).hexdigest()\n"
    )


# --- the key: each input it hashes ------------------------------------------------------


@dataclasses.dataclass
class Keyed:
    renderer: Renderer
    shared: Shared
    person: Contact
    reply_to: str | None

    def key(self, **changes: Any) -> str:
        renderer = changes.pop("renderer", self.renderer)
        person = changes.pop("person", self.person)
        reply_to = changes.pop("reply_to", self.reply_to)
        shared = dataclasses.replace(self.shared, **changes)
        prefix = shared_key(renderer, shared, reply_to)
        assert prefix is not None
        return inputs_key(prefix, renderer, person, shared, own_arguments(renderer, person, shared))


@pytest.fixture
def keyed(workspace: Path) -> Keyed:
    space = Workspace(workspace)
    renderer = load_renderer(space.templates_dir, "follow-up", 7)
    goal, _ = load_goal(space.goal_file)
    shared = shared_context(space.settings, goal, None, today=date(2026, 11, 25))
    person = next(p for p in space.load_contacts() if p.id == "ada-lovelace")
    return Keyed(renderer, shared, person, space.settings.me.reply_to)


def test_the_key_changes_with_every_input(
    keyed: Keyed, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = Thread(
        subject="Hello",
        sent_on=date(2026, 11, 1),
        message_id="<a@x.org>",
        quote="Hi",
        references=(),
    )
    first = keyed.key()
    assert keyed.key() == first  # the same inputs, the same key
    person = keyed.person
    shared = keyed.shared
    entry = {"kind": "gave", "on": date(2026, 11, 2), "note": "the templates"}
    changed = {
        "a contact field": keyed.key(person=person._replace(how_we_know="the meetup")),
        "a custom field": keyed.key(person=person._replace(custom={"company": "Gridwise"})),
        "the name (the to: line)": keyed.key(person=person._replace(name="Ada King")),
        "the email": keyed.key(person=person._replace(email="ada@example.net")),
        "today": keyed.key(today=date(2026, 11, 26)),
        "the note": keyed.key(note="grid storage"),
        "the goal": keyed.key(goal={**shared.goal, "request": "Could we talk?"}),
        "me": keyed.key(me={**shared.me, "name": "Sam R."}),
        "reply_to": keyed.key(reply_to="other@example.org"),
        "last": keyed.key(last={person.id: entry}),
        "given": keyed.key(given={person.id: [entry]}),
        "thread": keyed.key(threads={person.id: thread}),
        "the thread's references": keyed.key(
            threads={person.id: dataclasses.replace(thread, references=("<b@x.org>",))}
        ),
    }
    template = workspace / "templates" / "follow-up.md"
    template.write_text(template.read_text() + "\n")
    changed["the template's source"] = keyed.key(
        renderer=load_renderer(workspace / "templates", "follow-up", 7)
    )
    # A request without follow_up_after of its own takes limits.follow_up_after.
    write(
        workspace / "templates" / "ask.md",
        "---\nkind: request\nsubject: A question\n---\nHi {{ contact.first_name }}.\n",
    )
    request = load_renderer(workspace / "templates", "ask", 7)
    other_days = load_renderer(workspace / "templates", "ask", 14)
    with monkeypatch.context() as patch:
        patch.setattr("outreach.__version__", "99.0")
        changed["outreach's version"] = keyed.key()
    with monkeypatch.context() as patch:
        patch.setattr(drafted_module, "jinja_release", lambda: "another release")
        changed["Jinja's release"] = keyed.key()
    assert keyed.key(renderer=request) != keyed.key(renderer=other_days)
    same = [what for what, key in changed.items() if key == first]
    assert same == []


def test_another_persons_journal_leaves_the_key_as_it_was(keyed: Keyed) -> None:
    entry = {"kind": "gave", "on": date(2026, 11, 2)}
    assert keyed.key(given={"grace-hopper": [entry]}) == keyed.key()


# --- an empty drafts/ filled by one rename ------------------------------------------------


def _names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_files_for_an_empty_folder_arrive_whole_with_its_mode(tmp_path: Path) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir(mode=0o750)
    os.chmod(folder, 0o750)  # not what the umask makes
    with AllOrNothing(empty_folder=folder) as staged:
        first = staged.write(folder / "a.md", "one")
        staged.write(folder / "b.md", "two")
        assert _names(folder) == []  # nothing in place before the commit
        staged.commit()
    assert _names(folder) == ["a.md", "b.md"]
    assert (folder / "a.md").read_text() == "one"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    assert stat.S_IMODE((folder / "a.md").stat().st_mode) == 0o600
    assert file_proof((folder / "a.md").stat()) == file_proof(first)  # as written
    assert _names(tmp_path) == ["drafts"]  # no folder left beside it


def test_a_missing_folder_is_made_private_and_a_discarded_batch_leaves_nothing(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "drafts"
    with AllOrNothing(empty_folder=folder) as staged:
        staged.write(folder / "a.md", "one")
    assert _names(tmp_path) == []  # left without a commit: nothing, not even a folder
    with AllOrNothing(empty_folder=folder) as staged:
        staged.write(folder / "a.md", "one")
        staged.commit()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert _names(folder) == ["a.md"]


def test_a_folder_that_filled_meanwhile_gets_the_files_one_by_one(tmp_path: Path) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir()
    with AllOrNothing(empty_folder=folder) as staged:
        staged.write(folder / "a.md", "one")
        (folder / "other.md").write_text("another program's")
        staged.commit()
    assert _names(folder) == ["a.md", "other.md"]
    assert (folder / "other.md").read_text() == "another program's"
    assert _names(tmp_path) == ["drafts"]


def test_a_linked_drafts_folder_stays_a_link(run: Invoke, workspace: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (workspace / "drafts").rmdir()
    (workspace / "drafts").symlink_to(elsewhere)
    result = run("draft", "request", "--all")
    assert result.exit_code == 0, result.output
    assert (workspace / "drafts").is_symlink()
    assert "ada-lovelace--request.md" in _names(elsewhere)


def test_a_disk_that_fills_while_drafting_into_an_empty_folder_leaves_nothing(
    tmp_path: Path,
) -> None:
    with small_file_system(tmp_path / "small") as disk:
        root = disk / "ws"
        runner = CliRunner()
        assert runner.invoke(cli, ["init", "--example", str(root)]).exit_code == 0

        def run(*args: str) -> Result:
            return runner.invoke(cli, ["--workspace", str(root), *args], catch_exceptions=False)

        assert run("contacts").exit_code == 0  # the caches, written
        before = snapshot(root)
        room = disk / "room"
        room.write_bytes(b"\0" * 8192)  # room for two drafts, once the disk is full
        filler = fill(disk)
        room.unlink()
        result = run("draft", "request", "--all")
        assert result.exit_code == 1, result.output
        assert "the disk is full" in result.stderr
        assert snapshot(root) == before
        assert _names(root / "drafts") == []
        assert not [name for name in _names(root) if name.endswith(".tmp")]
        filler.unlink()
        again = run("draft", "request", "--all")
        assert again.exit_code == 0, again.output
        assert len(_names(root / "drafts")) == 4


def test_new_message_ids_are_unique_and_well_formed() -> None:
    from outreach.composing.drafting import new_message_id
    from outreach.drafts.draft import _MESSAGE_ID

    ids = [new_message_id("example.org") for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(_MESSAGE_ID.fullmatch(one) and one.endswith("@example.org>") for one in ids)


def test_the_goal_given_to_every_render_cannot_be_changed_by_one(
    run: Invoke, workspace: Path
) -> None:
    # The renders of a command share one `goal` (made once): a template cannot change it.
    write(
        workspace / "templates" / "meddle.md",
        "---\nkind: check-in\nsubject: Hello\n---\n"
        "{% if contact.first_name == 'Ada' %}{{ goal.pop('looking_for') }}{% endif %}"
        "Looking for {{ goal.looking_for }}.\n",
    )
    result = run("draft", "meddle", "ada", "grace")
    assert result.exit_code == 1
    assert "Ada Lovelace" in result.stderr and "Grace Hopper" not in result.stderr
    assert not list((workspace / "drafts").glob("*--meddle.md"))
