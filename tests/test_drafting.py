"""`outreach draft`: one file per person, all or nothing, and the refusals."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from tests.conftest import Invoke
from tests.helpers import (
    assert_error,
    errors,
    fill,
    small_file_system,
    snapshot,
    without_coach,
    write,
)

BATCH = ["ada-lovelace", "jose-nunez", "grace-hopper", "mei-chen"]  # email, no doubts


def drafts_in(workspace: Path) -> list[str]:
    return sorted(p.name for p in (workspace / "drafts").glob("*.md"))


def front_matter(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front = text[4 : text.index("\n---\n")]
    return dict(line.split(": ", 1) for line in front.splitlines())


def body_of(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text[text.index("\n---\n") + 5 :]


def company_template(workspace: Path) -> None:
    write(
        workspace / "templates" / "company.md",
        "---\nkind: check-in\nsubject: News from {{ contact.company }}\n---\n"
        "Hi {{ contact.first_name }},\n\nHow is everyone at {{ contact.company }}?\n",
    )


# --- what a draft holds ---------------------------------------------------------------


def test_batch_writes_one_file_per_person(run: Invoke, workspace: Path) -> None:
    result = run("draft", "request", "--all")
    assert result.exit_code == 0, result.output
    assert drafts_in(workspace) == sorted(f"{person}--request.md" for person in BATCH)
    assert result.stdout.splitlines() == [
        *(f"drafted drafts/{person}--request.md" for person in BATCH),
        "4 drafts written. Next: outreach review",
    ]


def test_a_draft_holds_its_headers_and_body(run: Invoke, workspace: Path) -> None:
    result = run("draft", "request", "ada")
    assert result.exit_code == 0, result.output
    path = workspace / "drafts" / "ada-lovelace--request.md"
    headers = front_matter(path)
    assert list(headers)[:7] == [
        "to",
        "subject",
        "template",
        "kind",
        "contact",
        "status",
        "message_id",
    ]
    assert headers["to"] == "Ada Lovelace <ada@example.org>"
    assert headers["subject"] == "Ada, could I ask your advice?"
    assert headers["template"] == "request"
    assert headers["kind"] == "request"
    assert headers["contact"] == "ada-lovelace"
    assert headers["status"] == "draft"
    assert re.fullmatch(r"<[^<>@\s]+@example\.org>", headers["message_id"])
    assert headers["follow_up_after"] == "7d"
    assert headers["reply_to"] == "sam.rivera@example.com"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", headers["drafted"])
    body = body_of(path)
    assert body.startswith("Hi Ada,\n")
    assert body.endswith("Sam Rivera\n")


def test_the_template_kind_decides_follow_up_not_the_file_name(
    run: Invoke, workspace: Path
) -> None:
    write(
        workspace / "templates" / "ask.md",
        "---\nkind: request\nsubject: A question\nfollow_up_after: 2w\n---\n"
        "Hi {{ contact.first_name }}\n",
    )
    write(
        workspace / "templates" / "request-thanks.md",
        "---\nkind: thank-you\nsubject: Thanks\n---\nThank you, {{ contact.first_name }}\n",
    )
    write(
        workspace / "templates" / "no-chase.md",
        "---\nkind: request\nsubject: A question\nfollow_up_after: none\n---\nHi\n",
    )
    for template in ("ask", "request-thanks", "no-chase"):
        result = run("draft", template, "ada")
        assert result.exit_code == 0, result.output
    drafts = workspace / "drafts"
    assert front_matter(drafts / "ada-lovelace--ask.md")["follow_up_after"] == "14d"
    assert front_matter(drafts / "ada-lovelace--ask.md")["kind"] == "request"
    assert "follow_up_after" not in front_matter(drafts / "ada-lovelace--request-thanks.md")
    assert "follow_up_after" not in front_matter(drafts / "ada-lovelace--no-chase.md")


def test_a_template_reply_to_overrides_the_settings(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "jobs.md",
        "---\nkind: check-in\nsubject: Hello\nreply_to: jobs@example.com\nhtml: true\n---\nHi\n",
    )
    assert run("draft", "jobs", "ada").exit_code == 0
    headers = front_matter(workspace / "drafts" / "ada-lovelace--jobs.md")
    assert headers["reply_to"] == "jobs@example.com"
    assert headers["html"] == "true"


def test_every_message_id_is_different(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    assert run("draft", "thank-you", "--all").exit_code == 0
    ids = [front_matter(p)["message_id"] for p in (workspace / "drafts").glob("*.md")]
    assert len(ids) == 8
    assert len(set(ids)) == 8


def test_non_ascii_names_in_files_and_ids(run: Invoke, workspace: Path) -> None:
    contacts = workspace / "contacts.yaml"
    write(
        contacts,
        contacts.read_text(encoding="utf-8") + "\n- name: 李小龍\n  email: lee@example.org\n",
    )
    result = run("draft", "thank-you", "José", "李小龍", "--note", "café ☕ and crème brûlée")
    assert result.exit_code == 0, result.output
    jose = workspace / "drafts" / "jose-nunez--thank-you.md"
    assert front_matter(jose)["to"] == "José Núñez <jose@example.org>"
    assert front_matter(jose)["subject"] == "Thank you, José"
    assert "café ☕ and crème brûlée" in body_of(jose)
    (lee,) = (workspace / "drafts").glob("person-*--thank-you.md")
    assert re.fullmatch(r"person-[0-9a-f]{6}--thank-you\.md", lee.name)
    assert front_matter(lee)["to"] == "李小龍 <lee@example.org>"
    assert body_of(lee).startswith("Hi 李小龍,\n")


def test_a_name_with_special_characters_is_quoted_in_to(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "contacts.yaml",
        '- name: "Smith, Jo (Dr.)"\n  email: jo@example.org\n  id: jo\n',
    )
    assert run("draft", "check-in", "jo").exit_code == 0
    assert front_matter(workspace / "drafts" / "jo--check-in.md")["to"] == (
        '"Smith, Jo (Dr.)" <jo@example.org>'
    )


@pytest.mark.parametrize("name", ["ada", "ada-lovelace", "ADA@example.org", "LOVELACE", "lovelace"])
def test_a_person_is_named_by_id_email_or_part_of_the_name(
    run: Invoke, workspace: Path, name: str
) -> None:
    result = run("draft", "check-in", name)
    assert result.exit_code == 0, result.output
    assert drafts_in(workspace) == ["ada-lovelace--check-in.md"]


def test_naming_a_person_twice_drafts_once(run: Invoke, workspace: Path) -> None:
    result = run("draft", "check-in", "ada", "ada-lovelace", "ada@example.org")
    assert result.exit_code == 0, result.output
    assert drafts_in(workspace) == ["ada-lovelace--check-in.md"]
    assert "1 draft written." in result.stdout


def test_tag_drafts_everyone_with_the_tag(run: Invoke, workspace: Path) -> None:
    result = run("draft", "check-in", "--tag", "mentors")
    assert result.exit_code == 0, result.output
    assert drafts_in(workspace) == ["ada-lovelace--check-in.md", "grace-hopper--check-in.md"]
    result = run("draft", "check-in", "--tag", "climbing", "--tag", "climate")
    assert result.exit_code == 0, result.output
    assert "jose-nunez--check-in.md" in drafts_in(workspace)
    assert "mei-chen--check-in.md" in drafts_in(workspace)


def test_a_tag_that_nobody_has_is_an_error_that_lists_the_tags(
    run: Invoke, workspace: Path
) -> None:
    before = snapshot(workspace)
    result = run("draft", "check-in", "--tag", "mentor", "--tag", "climbing", "--tag", "Design")
    expected = "the tags in use: climate, climbing, design, mentors, python"
    assert_error(result, "--tag mentor", f"nobody in contacts.yaml has this tag ({expected})")
    assert_error(result, "--tag Design", f"nobody in contacts.yaml has this tag ({expected})")
    assert len(errors(result)) == 2  # climbing matches Mei: no line for it
    assert result.stdout == ""
    assert snapshot(workspace) == before
    write(workspace / "contacts.yaml", "- name: Ada Lovelace\n  email: ada@example.org\n")
    none = run("draft", "check-in", "--tag", "mentors")
    assert_error(
        none, "--tag mentors", "nobody in contacts.yaml has this tag (nobody has a tag yet)"
    )


def test_the_note_reaches_the_template(run: Invoke, workspace: Path) -> None:
    result = run("draft", "thank-you", "grace", "--note", "portfolio reviews")
    assert result.exit_code == 0, result.output
    body = body_of(workspace / "drafts" / "grace-hopper--thank-you.md")
    assert "what you said about portfolio reviews." in " ".join(body.split())


# --- a batch is all or nothing -----------------------------------------------------------


def test_one_bad_person_stops_the_whole_batch(run: Invoke, workspace: Path) -> None:
    company_template(workspace)
    before = snapshot(workspace)
    result = run("draft", "company", "--all")
    assert result.exit_code == 1
    assert drafts_in(workspace) == []
    assert snapshot(workspace) == before
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [
        "Error: templates/company.md:3: contact.company is not defined for Grace Hopper "
        "(grace-hopper): test it with 'is defined' or give a default(...)",
        "Error: templates/company.md:3: contact.company is not defined for Mei Chen "
        "(mei-chen): test it with 'is defined' or give a default(...)",
    ]
    assert "Traceback" not in result.output


def test_one_bad_named_person_stops_the_others(run: Invoke, workspace: Path) -> None:
    company_template(workspace)
    write(
        workspace / "templates" / "company.md",
        "---\nkind: check-in\nsubject: Hello\n---\nHi {{ contact.first_name }},\n\n"
        "How is everyone at {{ contact.company }}?\n",
    )
    before = snapshot(workspace)
    result = run("draft", "company", "ada", "jose-nunez", "mei")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: templates/company.md:7: contact.company is not defined for Mei Chen "
        "(mei-chen): test it with 'is defined' or give a default(...)"
    ]
    assert snapshot(workspace) == before


def test_an_empty_custom_field_stops_the_batch(run: Invoke, workspace: Path) -> None:
    company_template(workspace)
    contacts = workspace / "contacts.yaml"
    write(
        contacts,
        contacts.read_text(encoding="utf-8")
        .replace("  tags: [climbing]\n", '  tags: [climbing]\n  company: ""\n')
        .replace(
            "  channel: phone\n  keep_in_touch: 6w\n",
            "  channel: phone\n  keep_in_touch: 6w\n  company: ' '\n",
        ),
    )
    before = snapshot(workspace)
    result = run("draft", "company", "--all")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: templates/company.md:3: contact.company is empty for Grace Hopper (grace-hopper)",
        "Error: templates/company.md:3: contact.company is empty for Mei Chen (mei-chen)",
    ]
    assert snapshot(workspace) == before


def test_the_same_problem_for_everyone_is_said_once(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "bad.md",
        "---\nkind: check-in\nsubject: Hi\n---\nHi,\n{{ contact.__class__ }}\n",
    )
    result = run("draft", "bad", "--all")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: templates/bad.md:6: not allowed in a template: "
        "contact.__class__ reaches into Python itself"
    ]
    assert drafts_in(workspace) == []


def test_batch_skips_people_without_email_and_leaves_out_doubts(
    run: Invoke, workspace: Path
) -> None:
    result = run("draft", "check-in", "--all")
    assert result.exit_code == 0, result.output
    assert without_coach(result.stderr) == [
        "left out Tom Baker (tom-baker): marked 'doubts: true'",
        "skipped Priya Raman (priya-raman): no email in contacts.yaml",
    ]
    assert "tom-baker--check-in.md" not in drafts_in(workspace)
    assert "priya-raman--check-in.md" not in drafts_in(workspace)
    assert len(drafts_in(workspace)) == 4


def test_a_tag_batch_leaves_out_doubts_too(run: Invoke, workspace: Path) -> None:
    contacts = workspace / "contacts.yaml"
    write(
        contacts,
        contacts.read_text(encoding="utf-8").replace(
            "  doubts: true\n", "  doubts: true\n  tags: [mentors]\n"
        ),
    )
    result = run("draft", "check-in", "--tag", "mentors")
    assert result.exit_code == 0, result.output
    assert "left out Tom Baker (tom-baker): marked 'doubts: true'" in result.stderr
    assert drafts_in(workspace) == ["ada-lovelace--check-in.md", "grace-hopper--check-in.md"]


# --- refusals --------------------------------------------------------------------------


def test_named_person_without_email_is_an_error(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    result = run("draft", "check-in", "ada", "priya")
    assert result.exit_code == 1
    assert result.stderr == "Error: Priya Raman (priya-raman): has no email in contacts.yaml\n"
    assert snapshot(workspace) == before


def test_named_person_with_doubts_is_drafted_with_a_warning(run: Invoke, workspace: Path) -> None:
    result = run("draft", "check-in", "tom")
    assert result.exit_code == 0, result.output
    assert without_coach(result.stderr) == [
        "Warning: Tom Baker (tom-baker) is marked 'doubts: true'; drafting because you named them"
    ]
    assert drafts_in(workspace) == ["tom-baker--check-in.md"]


def test_naming_a_doubts_person_in_a_batch_drafts_them(run: Invoke, workspace: Path) -> None:
    result = run("draft", "check-in", "tom", "--all")
    assert result.exit_code == 0, result.output
    assert "Warning: Tom Baker (tom-baker) is marked 'doubts: true'" in result.stderr
    assert "left out Tom" not in result.stderr
    assert len(drafts_in(workspace)) == 5


def test_unknown_template(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    result = run("draft", "thanks", "ada")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no template 'thanks' in templates/ "
        "(there are: check-in, follow-up, request, thank-you)\n"
    )
    assert snapshot(workspace) == before


@pytest.mark.parametrize("name", ["../goal", "Request", "request.md", ""])
def test_a_template_name_is_not_a_path(run: Invoke, workspace: Path, name: str) -> None:
    before = snapshot(workspace)
    result = run("draft", name, "ada")
    assert result.exit_code == 1
    assert f"no template '{name}' in templates/" in result.stderr
    assert snapshot(workspace) == before


def test_unknown_person(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    result = run("draft", "check-in", "ada", "zelda")
    assert result.exit_code == 1
    assert (
        result.stderr == "Error: nobody in contacts.yaml is called 'zelda' (by id, email or name)\n"
    )
    assert snapshot(workspace) == before


def test_ambiguous_name_lists_the_matches(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    result = run("draft", "check-in", "ce")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'ce' matches 2 people: Ada Lovelace (ada-lovelace), "
        "Grace Hopper (grace-hopper); use an id\n"
    )
    assert snapshot(workspace) == before


def test_every_bad_name_at_once(run: Invoke, workspace: Path) -> None:
    result = run("draft", "check-in", "zelda", "priya", "ce")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 3


def test_no_people_is_a_usage_error(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    result = run("draft", "request")
    assert result.exit_code == 2
    assert "name people, or use --all, --tag, --plan or --due" in result.stderr
    assert snapshot(workspace) == before


def test_no_template_is_a_usage_error(run: Invoke) -> None:
    assert run("draft").exit_code == 2


UNCLEAR = "---\nlooking_for: TODO\nrequest: Any help?\n---\n"


def test_an_unclear_goal_blocks_requests(run: Invoke, workspace: Path) -> None:
    write(workspace / "goal.md", UNCLEAR)
    before = snapshot(workspace)
    result = run("draft", "request", "--all")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0].startswith("Error: goal.md:2: looking_for")
    assert "TODO" in errors[0]
    assert errors[-1] == "Error: goal.md: requests are not drafted until the goal is clear"
    assert snapshot(workspace) == before


def test_an_unclear_goal_blocks_any_template_of_kind_request(run: Invoke, workspace: Path) -> None:
    write(workspace / "goal.md", UNCLEAR)
    write(workspace / "templates" / "hello.md", "---\nkind: request\nsubject: Hi\n---\nHi\n")
    result = run("draft", "hello", "ada")
    assert result.exit_code == 1
    assert "requests are not drafted until the goal is clear" in result.stderr
    assert drafts_in(workspace) == []


@pytest.mark.parametrize("template", ["thank-you", "check-in"])
def test_an_unclear_goal_does_not_block_other_kinds(
    run: Invoke, workspace: Path, template: str
) -> None:
    write(workspace / "goal.md", UNCLEAR)
    result = run("draft", template, "ada", "--note", "the talk")
    assert result.exit_code == 0, result.output
    assert drafts_in(workspace) == [f"ada-lovelace--{template}.md"]


def test_a_placeholder_goal_from_plain_init_blocks_requests(
    tmp_path: Path, run_installed: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder = tmp_path / "mine"
    assert run_installed("init", str(folder)).returncode == 0
    write(folder / "contacts.yaml", "- name: Ada Lovelace\n  email: ada@example.org\n")
    result = run_installed("draft", "request", "ada", cwd=folder)
    assert result.returncode == 1
    assert "requests are not drafted until the goal is clear" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((folder / "drafts").glob("*.md"))


# --- drafting again --------------------------------------------------------------------------


def test_a_second_draft_is_refused_without_replace(run: Invoke, workspace: Path) -> None:
    assert run("draft", "check-in", "ada").exit_code == 0
    before = snapshot(workspace)
    result = run("draft", "check-in", "ada")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Ada Lovelace (ada-lovelace): drafts/ada-lovelace--check-in.md is waiting already; "
        "add --replace to draft it again\n"
    )
    assert snapshot(workspace) == before


def test_a_batch_skips_waiting_drafts_with_a_notice(run: Invoke, workspace: Path) -> None:
    assert run("draft", "check-in", "ada").exit_code == 0
    first = (workspace / "drafts" / "ada-lovelace--check-in.md").read_bytes()
    result = run("draft", "check-in", "--all")
    assert result.exit_code == 0, result.output
    assert (
        "skipped Ada Lovelace (ada-lovelace): drafts/ada-lovelace--check-in.md is waiting already; "
        "add --replace to draft it again"
    ) in result.stderr
    assert "3 drafts written." in result.stdout
    assert (workspace / "drafts" / "ada-lovelace--check-in.md").read_bytes() == first


def test_replace_drafts_again_and_keeps_the_message_id(run: Invoke, workspace: Path) -> None:
    assert run("draft", "check-in", "ada").exit_code == 0
    path = workspace / "drafts" / "ada-lovelace--check-in.md"
    first = front_matter(path)
    assert run("approve", "ada").exit_code == 0
    result = run("draft", "check-in", "ada", "--replace", "--note", "a podcast on grid storage")
    assert result.exit_code == 0, result.output
    again = front_matter(path)
    assert again["message_id"] == first["message_id"]
    assert again["status"] == "draft"  # changed words need a new look
    assert "a podcast on grid storage" in body_of(path)


def test_replace_in_a_batch_keeps_each_message_id(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "--all").exit_code == 0
    ids = {p.name: front_matter(p)["message_id"] for p in (workspace / "drafts").glob("*.md")}
    result = run("draft", "request", "--all", "--replace")
    assert result.exit_code == 0, result.output
    assert {
        p.name: front_matter(p)["message_id"] for p in (workspace / "drafts").glob("*.md")
    } == ids


def test_replace_of_a_hand_broken_draft_gets_a_new_message_id(run: Invoke, workspace: Path) -> None:
    assert run("draft", "check-in", "ada").exit_code == 0
    path = workspace / "drafts" / "ada-lovelace--check-in.md"
    write(path, "this is no longer a draft\n")
    result = run("draft", "check-in", "ada", "--replace")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"<[^<>@\s]+@example\.org>", front_matter(path)["message_id"])


def test_a_disk_that_fills_while_drafting_leaves_the_drafts_as_they_were(tmp_path: Path) -> None:
    # Drafts are written aside as they are rendered, and put in place at the end: the disk
    # fills after the first few, and none is put in place, nor left aside.
    with small_file_system(tmp_path / "small") as disk:
        root = disk / "ws"
        runner = CliRunner()

        def run(*args: str) -> Result:
            return runner.invoke(cli, ["--workspace", str(root), *args], catch_exceptions=False)

        assert runner.invoke(cli, ["init", "--example", str(root)]).exit_code == 0
        assert run("draft", "check-in", "ada").exit_code == 0  # the caches, written
        before = snapshot(root)
        room = disk / "room"
        room.write_bytes(b"\0" * 8192)  # room for two drafts, once the disk is full
        filler = fill(disk)
        room.unlink()
        result = run("draft", "request", "--all")
        assert result.exit_code == 1, result.output
        assert re.fullmatch(
            r"Error: drafts/[a-z-]+--request\.md: the disk is full \(no space left to write "
            r"it\); free some space and run the command again\n",
            result.stderr,
        )
        assert result.stdout == ""
        assert snapshot(root) == before
        assert sorted(p.name for p in (root / "drafts").iterdir()) == ["ada-lovelace--check-in.md"]
        filler.unlink()
        again = run("draft", "request", "--all")
        assert again.exit_code == 0, again.output
        assert len(drafts_in(root)) == 5


def test_a_failed_batch_with_replace_keeps_the_old_drafts(run: Invoke, workspace: Path) -> None:
    assert run("draft", "check-in", "--all").exit_code == 0
    before = snapshot(workspace)
    write(
        workspace / "templates" / "check-in.md",
        "---\nkind: check-in\nsubject: Hi\n---\nHow is {{ contact.company }}?\n",
    )
    after_edit = snapshot(workspace)
    result = run("draft", "check-in", "--all", "--replace")
    assert result.exit_code == 1
    assert snapshot(workspace) == after_edit
    assert {k: v for k, v in before.items() if k.startswith("drafts/")} == {
        k: v for k, v in after_edit.items() if k.startswith("drafts/")
    }


def test_replace_leaves_a_draft_that_would_not_change_as_it_is(
    run: Invoke, workspace: Path
) -> None:
    assert run("draft", "request", "ada", "grace").exit_code == 0
    assert run("approve", "ada-lovelace").exit_code == 0
    ada = workspace / "drafts" / "ada-lovelace--request.md"
    before = ada.read_text()
    again = run("draft", "request", "ada", "grace", "--replace")
    assert again.exit_code == 0, again.output
    assert "2 unchanged" in again.stdout and "0 drafts written" in again.stdout
    assert ada.read_text() == before  # still approved, still its first `drafted` time
    template = workspace / "templates" / "request.md"
    template.write_text(template.read_text().replace("Thank you,", "With thanks,"))
    changed = run("draft", "request", "ada", "--replace")
    assert "drafted drafts/ada-lovelace--request.md" in changed.stdout
    text = ada.read_text()
    assert "status: draft" in text and "With thanks," in text
    assert _field(text, "message_id") == _field(before, "message_id")


def test_a_waiting_drafts_fields_are_read_in_one_pass_as_written() -> None:
    from outreach.drafts.draft import front_fields

    text = (
        "---\nto: Ada <ada@example.org>\nstatus:  approved \t\nstatus: draft\n"
        "drafted:\n message_id: <indented@example.org>\nsubject: a: b\r\n---\n"
        "message_id: <in-the-body@example.org>\n"
    )
    fields = front_fields(text)
    assert fields["to"] == "Ada <ada@example.org>"
    assert fields["status"] == "approved"  # the first of a field given twice
    assert fields["drafted"] == ""
    assert fields["subject"] == "a: b\r"
    assert "message_id" not in fields  # neither an indented line nor the body's


def _field(text: str, key: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"{key}: "))


def test_draft_plan_shows_the_plans_reasons_then_drafts_for_those_people(run: Invoke) -> None:
    result = run("draft", "request", "--plan")
    assert result.exit_code == 0, result.output
    head, _, drafted = result.stdout.partition("\n\n")
    rows = head.splitlines()
    assert rows[0] == "The plan proposes:" and rows[1].split() == ["PERSON", "WHY"]
    assert [row.split("  ")[0] for row in rows[2:]] == [
        "José Núñez (jose-nunez)",
        "Ada Lovelace (ada-lovelace)",
    ]
    assert all("you like them and they can help" in row for row in rows[2:])
    assert "drafted drafts/jose-nunez--request.md" in drafted
    assert "mei-chen" not in result.stdout  # a friend on the like list only is not asked yet
    # The drafted requests count against max_new: the plan has nobody more to propose.
    again = run("draft", "request", "--plan")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("The plan proposes nobody now")
    assert "0 drafts written" in again.stdout
