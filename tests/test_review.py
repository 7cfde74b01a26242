"""Reviewing drafts: `drafts [--json]`, `approve`, `review`, and drafts edited by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Invoke, editor, snapshot, write

FILES = [
    "drafts/ada-lovelace--request.md",
    "drafts/grace-hopper--request.md",
    "drafts/jose-nunez--request.md",
    "drafts/mei-chen--request.md",
]


@pytest.fixture
def drafted(run: Invoke, workspace: Path) -> Path:
    """The example workspace with the request drafted for everyone in the batch."""
    result = run("draft", "request", "--all")
    assert result.exit_code == 0, result.output
    return workspace


def listing(run: Invoke) -> dict[str, dict[str, str | None]]:
    result = run("drafts", "--json")
    assert result.exit_code == 0, result.output
    return {row["file"]: row for row in json.loads(result.stdout)}


def statuses(run: Invoke) -> dict[str, str | None]:
    return {file: row["status"] for file, row in listing(run).items()}


def header(path: Path, key: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line == "---":
            break
        if line.startswith(f"{key}: "):
            return line.removeprefix(f"{key}: ")
    raise AssertionError(f"no {key} in {path}")


def edit_by_hand(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, text
    write(path, text.replace(old, new, 1))


# --- outreach drafts ---------------------------------------------------------------------


def test_drafts_lists_what_waits(run: Invoke, drafted: Path) -> None:
    result = run("drafts")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["FILE", "STATUS", "TO", "SUBJECT"]
    assert [line.split()[0] for line in lines[1:]] == FILES
    assert all(line.split()[1] == "draft" for line in lines[1:])
    assert "José Núñez <jose@example.org>" in result.stdout
    assert "José, a question about a product-design role" in result.stdout


def test_drafts_with_none_waiting(run: Invoke) -> None:
    result = run("drafts")
    assert result.exit_code == 0
    assert result.stdout == "No drafts wait. Make some with: outreach draft TEMPLATE PERSON\n"
    assert json.loads(run("drafts", "--json").stdout) == []


def test_drafts_json_shape(run: Invoke, drafted: Path) -> None:
    result = run("drafts", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    rows = json.loads(result.stdout)
    assert [row["file"] for row in rows] == FILES
    for row in rows:
        assert set(row) == {"file", "person", "template", "status", "message_id"}
        assert row["template"] == "request"
        assert row["status"] == "draft"
        assert row["message_id"] == header(drafted / str(row["file"]), "message_id")
    assert rows[2]["person"] == "jose-nunez"


# --- drafts are read back as plain text ------------------------------------------------------

PLAIN_SUBJECTS = [
    "no",
    "yes",
    "off",
    "null",
    "~",
    "2026-01-01",
    "0x1F",
    "1e3",
    "[x]",
    "{a: 1}",
    "'quoted'",
    "#1 fan: you",
]


@pytest.mark.parametrize("subject", PLAIN_SUBJECTS)
def test_a_subject_edited_by_hand_stays_as_written(
    run: Invoke, drafted: Path, subject: str
) -> None:
    path = drafted / "drafts" / "ada-lovelace--request.md"
    old = header(path, "subject")
    edit_by_hand(path, f"subject: {old}\n", f"subject: {subject}\n")
    rows = listing(run)
    assert rows["drafts/ada-lovelace--request.md"]["status"] == "draft"
    table = run("drafts").stdout
    line = next(line for line in table.splitlines() if "ada-lovelace" in line)
    assert line.endswith(f"  {subject}")
    assert run("approve", "ada-lovelace--request.md").exit_code == 0
    assert header(path, "subject") == subject


def test_a_body_edited_by_hand_is_kept_as_written(run: Invoke, drafted: Path) -> None:
    path = drafted / "drafts" / "mei-chen--request.md"
    edit_by_hand(path, "Hi Mei,\n", "Hi Mei!\n\n---\nkind: not front matter\n")
    assert statuses(run)["drafts/mei-chen--request.md"] == "draft"
    assert run("approve", "mei").exit_code == 0
    assert "Hi Mei!\n\n---\nkind: not front matter\n" in path.read_text(encoding="utf-8")


BROKEN = [
    pytest.param(
        "---\nto: Ada",
        "to: Ada",
        "front matter between '---' lines is missing",
        id="no-front-matter",
    ),
    pytest.param(
        "\n---\nHi Ada", "\nHi Ada", "front matter between '---' lines is missing", id="unclosed"
    ),
    pytest.param(
        "status: draft\n", "status draft\n", "line 7: expected 'field: value'", id="no-colon"
    ),
    pytest.param(
        "status: draft\n",
        "status: draft\nsubjet: Hi\n",
        "line 8: unknown field 'subjet'",
        id="unknown-field",
    ),
    pytest.param(
        "status: draft\n",
        "status: draft\nsubject: Hi\n",
        "line 8: 'subject' is given twice",
        id="twice",
    ),
    pytest.param(
        "status: draft\n", "status: ready\n", "line 7: status must be one of", id="bad-status"
    ),
    pytest.param("kind: request\n", "kind: ask\n", "line 5: kind must be one of", id="bad-kind"),
    pytest.param(
        "message_id: <",
        "message_id: ",
        "message_id must look like <unique@domain>",
        id="bad-message-id",
    ),
    pytest.param("<ada@example.org>", "<ada@example>", "line 2: 'to'", id="bad-address"),
    pytest.param(
        "to: Ada Lovelace <ada@example.org>",
        "to: Ada Lovelace",
        "line 2: 'to' is not an address",
        id="no-address",
    ),
    pytest.param(
        "reply_to: sam.rivera@example.com", "reply_to: sam at home", "'reply_to'", id="bad-reply-to"
    ),
    pytest.param(
        "follow_up_after: 7d", "follow_up_after: soon", "follow_up_after", id="bad-follow-up"
    ),
    pytest.param(
        "status: draft\n", "status: draft\nhtml: yes\n", "html must be true or false", id="bad-html"
    ),
    pytest.param("template: request\n", "template:\n", "missing template", id="empty-template"),
    pytest.param(
        "subject: Ada,", "subject: Ada,\x0b", "line 3: 'subject' holds a control", id="vt"
    ),
    pytest.param(
        "subject: Ada,", "subject: Ada,\u2028", "line 3: 'subject' holds a control", id="u2028"
    ),
    pytest.param("to: Ada", "to: Ada\x85", "line 2: 'to' holds a control", id="nel"),
    pytest.param(
        "subject: Ada, a question about a product-design role at a climate-tech company\n",
        "subject:   \n",
        "line 3: missing subject",
        id="empty-subject",
    ),
]


@pytest.mark.parametrize(("old", "new", "reason"), BROKEN)
def test_a_draft_that_no_longer_parses_is_broken_and_named(
    run: Invoke, drafted: Path, old: str, new: str, reason: str
) -> None:
    path = drafted / "drafts" / "ada-lovelace--request.md"
    edit_by_hand(path, old, new)
    row = listing(run)["drafts/ada-lovelace--request.md"]
    assert row["status"] == "broken"
    assert row["person"] == "ada-lovelace"
    assert row["template"] == "request"
    table = run("drafts")
    assert table.exit_code == 0
    line = next(line for line in table.stdout.split("\n") if "ada-lovelace" in line)
    assert "  broken  " in line
    assert reason in line
    before = snapshot(drafted)
    approve = run("approve", "ada-lovelace--request.md")
    assert approve.exit_code == 1
    assert approve.stderr.startswith("Error: drafts/ada-lovelace--request.md: ")
    assert reason in approve.stderr
    every = run("approve", "--all")
    assert every.exit_code == 1
    assert every.stderr.startswith("Error: drafts/ada-lovelace--request.md: ")
    export = run("export", "eml")
    assert export.exit_code == 1
    assert export.stderr.startswith("Error: drafts/ada-lovelace--request.md: ")
    assert snapshot(drafted) == before
    assert set(statuses(run).values()) == {"draft", "broken"}


def test_every_broken_draft_is_named_at_once(run: Invoke, drafted: Path) -> None:
    edit_by_hand(drafted / "drafts" / "ada-lovelace--request.md", "status: draft", "status: sent")
    edit_by_hand(drafted / "drafts" / "mei-chen--request.md", "kind: request", "kind: asking")
    result = run("export", "eml")
    assert result.exit_code == 1
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == [
        "drafts/ada-lovelace--request.md",
        "drafts/mei-chen--request.md",
    ]
    assert not (drafted / "eml").exists()


@pytest.mark.parametrize("args", [("--all",), ("ada", "mei", "grace")])
def test_approve_names_every_broken_draft_and_approves_none(
    run: Invoke, drafted: Path, args: tuple[str, ...]
) -> None:
    edit_by_hand(drafted / "drafts" / "ada-lovelace--request.md", "status: draft", "status: sent")
    edit_by_hand(drafted / "drafts" / "mei-chen--request.md", "kind: request", "kind: asking")
    before = snapshot(drafted)
    result = run("approve", *args)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "drafts/ada-lovelace--request.md",
        "drafts/mei-chen--request.md",
    ]
    assert all(line.startswith("Error: ") for line in lines)
    assert "status must be one of" in lines[0] and "kind must be one of" in lines[1]
    assert result.stdout == ""
    assert snapshot(drafted) == before


# --- outreach approve -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ada-lovelace--request.md",
        "ada-lovelace--request",
        "drafts/ada-lovelace--request.md",
        "ada-lovelace",
        "ada",
        "Lovelace",
        "ada@example.org",
    ],
)
def test_approve_one_draft(run: Invoke, drafted: Path, name: str) -> None:
    result = run("approve", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "approved drafts/ada-lovelace--request.md\n1 approved. Next: outreach send --dry-run\n"
    )
    assert statuses(run) == {
        FILES[0]: "approved",
        FILES[1]: "draft",
        FILES[2]: "draft",
        FILES[3]: "draft",
    }
    assert header(drafted / FILES[0], "status") == "approved"


def test_approve_by_absolute_path(run: Invoke, drafted: Path) -> None:
    result = run("approve", str(drafted / FILES[2]))
    assert result.exit_code == 0, result.output
    assert statuses(run)[FILES[2]] == "approved"


def test_approve_a_person_approves_all_their_drafts(run: Invoke, drafted: Path) -> None:
    assert run("draft", "thank-you", "grace").exit_code == 0
    result = run("approve", "grace-hopper")
    assert result.exit_code == 0, result.output
    rows = statuses(run)
    assert rows["drafts/grace-hopper--request.md"] == "approved"
    assert rows["drafts/grace-hopper--thank-you.md"] == "approved"
    assert rows[FILES[0]] == "draft"


def test_approve_several(run: Invoke, drafted: Path) -> None:
    result = run("approve", "ada", "mei-chen--request.md", "ada-lovelace")
    assert result.exit_code == 0, result.output
    assert "2 approved." in result.stdout
    assert [s for s in statuses(run).values()] == ["approved", "draft", "draft", "approved"]


def test_approve_all(run: Invoke, drafted: Path) -> None:
    result = run("approve", "--all")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "4 approved. Next: outreach send --dry-run"
    assert set(statuses(run).values()) == {"approved"}
    again = run("approve", "--all")
    assert again.exit_code == 0
    assert again.stdout == "0 approved. Next: outreach send --dry-run\n"


def test_approve_all_leaves_failed_drafts_for_the_person_to_decide(
    run: Invoke, drafted: Path
) -> None:
    edit_by_hand(drafted / FILES[1], "status: draft\n", "status: failed\nerror: 550 no such user\n")
    result = run("approve", "--all")
    assert result.exit_code == 0, result.output
    assert statuses(run)[FILES[1]] == "failed"
    assert run("approve", "grace-hopper--request.md").exit_code == 0
    assert statuses(run)[FILES[1]] == "approved"


def test_approve_changes_only_the_status(run: Invoke, drafted: Path) -> None:
    path = drafted / FILES[0]
    before = path.read_text(encoding="utf-8")
    assert run("approve", "ada").exit_code == 0
    assert path.read_text(encoding="utf-8") == before.replace("status: draft", "status: approved")


@pytest.mark.parametrize("name", ["nobody", "zelda--request.md", "drafts/nope.md"])
def test_approve_what_matches_nothing(run: Invoke, drafted: Path, name: str) -> None:
    before = snapshot(drafted)
    result = run("approve", "ada", name)
    assert result.exit_code == 1
    assert f"'{name}'" in result.stderr
    assert snapshot(drafted) == before


def test_approve_a_person_without_drafts(run: Invoke, drafted: Path) -> None:
    result = run("approve", "tom")
    assert result.exit_code == 1
    assert result.stderr == "Error: Tom Baker (tom-baker): has no waiting draft\n"


def test_approve_an_ambiguous_name(run: Invoke, drafted: Path) -> None:
    before = snapshot(drafted)
    result = run("approve", "ce")
    assert result.exit_code == 1
    assert "'ce' matches 2 people" in result.stderr
    assert snapshot(drafted) == before


def test_approve_nothing_is_a_usage_error(run: Invoke, drafted: Path) -> None:
    assert run("approve").exit_code == 2


# --- outreach review --------------------------------------------------------------------------

PROMPT = "[a]pprove, [e]dit, [s]kip, [d]elete, [q]uit: "


def test_review_shows_each_message_as_it_will_be_sent(run: Invoke, drafted: Path) -> None:
    result = run("review", input="s\ns\ns\ns\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count(PROMPT) == 4
    first = out[: out.index(PROMPT)]
    assert "--- 1/4: drafts/ada-lovelace--request.md" in first
    assert "From: Sam Rivera <sam@example.org>\n" in first
    assert "To: Ada Lovelace <ada@example.org>\n" in first
    assert (
        "Subject: Ada, a question about a product-design role at a climate-tech company\n" in first
    )
    assert "Reply-To: sam.rivera@example.com\n" in first
    body = (drafted / FILES[0]).read_text(encoding="utf-8").split("\n---\n", 1)[1]
    assert first.endswith("\n\n" + body)
    assert "--- 3/4: drafts/jose-nunez--request.md" in out
    assert "Hi José," in out
    assert out.rstrip().endswith("0 approved, 4 skipped, 0 deleted.")


def test_review_approve_skip_delete_and_quit(run: Invoke, drafted: Path) -> None:
    result = run("review", input="a\ns\nd\nq\n")
    assert result.exit_code == 0, result.output
    assert "1 approved, 1 skipped, 1 deleted." in result.stdout
    assert "Next: outreach send --dry-run" in result.stdout
    assert statuses(run) == {FILES[0]: "approved", FILES[1]: "draft", FILES[3]: "draft"}
    assert not (drafted / FILES[2]).exists()


def test_review_edit_then_approve(run: Invoke, drafted: Path, tmp_path: Path) -> None:
    command = editor(tmp_path, "Thank you,\nSam", "Many thanks,\nSam")
    result = run("review", input="e\na\nq\n", env={"EDITOR": command})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("--- 1/4: drafts/ada-lovelace--request.md") == 2  # shown again after the edit
    assert out.count(PROMPT) == 3
    shown_again = out.split("--- 1/4: drafts/ada-lovelace--request.md")[2]
    assert "Many thanks,\nSam Rivera" in shown_again
    text = (drafted / FILES[0]).read_text(encoding="utf-8")
    assert "Many thanks,\nSam Rivera\n" in text
    assert "status: approved" in text
    assert statuses(run)[FILES[1]] == "draft"


def test_review_edit_that_breaks_the_draft_cannot_be_approved(
    run: Invoke, drafted: Path, tmp_path: Path
) -> None:
    command = editor(tmp_path, "status: draft", "status: ready")
    result = run("review", input="e\na\ns\nq\n", env={"EDITOR": command})
    assert result.exit_code == 0, result.output
    assert "(this draft no longer parses: line 7: status must be one of" in result.stdout
    assert (
        "Warning: drafts/ada-lovelace--request.md: line 7: status must be one of" in result.stderr
    )
    assert "edit it first" in result.stderr
    assert statuses(run)[FILES[0]] == "broken"


def test_review_fixes_a_broken_draft_in_the_editor(
    run: Invoke, drafted: Path, tmp_path: Path
) -> None:
    edit_by_hand(drafted / FILES[0], "status: draft", "status: drat")
    command = editor(tmp_path, "status: drat", "status: draft")
    result = run("review", input="e\na\nq\n", env={"EDITOR": command})
    assert result.exit_code == 0, result.output
    assert "(this draft no longer parses: line 7: status must be one of" in result.stdout
    assert statuses(run)[FILES[0]] == "approved"


def test_review_asks_again_after_a_wrong_answer(run: Invoke, drafted: Path) -> None:
    result = run("review", input="x\nyes\na\nq\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("'x' is not one of") == 1
    assert statuses(run)[FILES[0]] == "approved"


def test_review_walks_only_what_waits_for_a_look(run: Invoke, drafted: Path) -> None:
    assert run("approve", "ada", "jose-nunez").exit_code == 0
    result = run("review", input="d\nd\n")
    assert result.exit_code == 0, result.output
    assert "--- 1/2: drafts/grace-hopper--request.md" in result.stdout
    assert "--- 2/2: drafts/mei-chen--request.md" in result.stdout
    assert "0 approved, 0 skipped, 2 deleted." in result.stdout
    assert statuses(run) == {FILES[0]: "approved", FILES[2]: "approved"}


def test_review_with_nothing_to_review(run: Invoke) -> None:
    result = run("review")
    assert result.exit_code == 0
    assert result.stdout == "Nothing to review. Make drafts with: outreach draft TEMPLATE PERSON\n"


def test_review_cut_short_keeps_what_was_decided(run: Invoke, drafted: Path) -> None:
    result = run("review", input="a\n")  # the input ends at the second prompt
    assert result.exit_code == 1
    assert statuses(run) == {
        FILES[0]: "approved",
        FILES[1]: "draft",
        FILES[2]: "draft",
        FILES[3]: "draft",
    }
