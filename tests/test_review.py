"""Reviewing drafts: `drafts [--json]`, `approve`, `review`, and drafts edited by hand."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.helpers import editor, snapshot, write
from tests.terminal import terminal

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
    assert "José, could I ask your advice?" in result.stdout


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
        assert set(row) == {"file", "person", "template", "status", "message_id", "coach"}
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
        "subject: Ada, could I ask your advice?\n",
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
    assert "Subject: Ada, could I ask your advice?\n" in first
    assert "Reply-To: sam.rivera@example.com\n" in first
    body = (drafted / FILES[0]).read_text(encoding="utf-8").split("\n---\n", 1)[1]
    assert "\n\n" + body + "\nCoach: " in first  # the coach's line right under the body
    assert "--- 3/4: drafts/jose-nunez--request.md" in out
    assert "Hi José," in out
    assert out.endswith("0 approved, 4 skipped, 0 deleted.\nNext: outreach review\n")


def test_review_approve_skip_delete_and_quit(run: Invoke, drafted: Path) -> None:
    result = run("review", input="a\ns\nd\ny\nq\n")
    assert result.exit_code == 0, result.output
    assert "approved drafts/ada-lovelace--request.md\n" in result.stdout
    assert "deleted drafts/jose-nunez--request.md (kept in drafts/.deleted/)\n" in result.stdout
    assert result.stdout.endswith(
        "1 approved, 1 skipped, 1 deleted.\nNext: outreach send --dry-run\n"
    )
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
    result = run("review", input="d\ny\nd\ny\n")
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


# --- outreach review at a terminal: one key per choice ----------------------------------------


def test_review_at_a_terminal_takes_one_key_without_enter(run: Invoke, drafted: Path) -> None:
    with terminal("--workspace", str(drafted), "review") as screen:
        screen.expect("--- 1/4: drafts/ada-lovelace--request.md")
        screen.expect(PROMPT)
        screen.send("a")  # no Enter: the key is the answer, shown as its word
        screen.expect("approve\napproved drafts/ada-lovelace--request.md\n")
        screen.expect("--- 2/4: drafts/grace-hopper--request.md")
        screen.expect(PROMPT)
        screen.send("x")
        screen.expect("(press a, e, s, d, q)")
        screen.send("S")  # upper case works too
        screen.expect("--- 3/4: drafts/jose-nunez--request.md")
        screen.expect(PROMPT)
        screen.send("q")
        status, rest = screen.finish()
    assert status == 0, rest
    assert rest.endswith("1 approved, 1 skipped, 0 deleted.\nNext: outreach send --dry-run\n")
    assert statuses(run) == {
        FILES[0]: "approved",
        FILES[1]: "draft",
        FILES[2]: "draft",
        FILES[3]: "draft",
    }


def test_delete_at_a_terminal_asks_once_and_keeps_the_draft_to_bring_back(
    run: Invoke, drafted: Path
) -> None:
    kept = (drafted / FILES[0]).read_bytes()
    with terminal("--workspace", str(drafted), "review") as screen:
        screen.expect(PROMPT)
        screen.send("d")
        screen.expect("Delete drafts/ada-lovelace--request.md? [y/N]: ")
        screen.send("n")  # changed my mind: the same draft is asked about again
        after_no = screen.expect(PROMPT)
        assert "--- 2/4" not in after_no
        screen.send("d")
        screen.expect("[y/N]: ")
        screen.send("Y")
        screen.expect("deleted drafts/ada-lovelace--request.md (kept in drafts/.deleted/)\n")
        screen.expect("--- 2/4: drafts/grace-hopper--request.md")
        screen.expect(PROMPT)
        screen.send("q")
        status, rest = screen.finish()
    assert status == 0, rest
    assert "0 approved, 0 skipped, 1 deleted.\nNext: outreach review\n" in rest
    assert not (drafted / FILES[0]).exists()
    assert (drafted / "drafts" / ".deleted" / "ada-lovelace--request.md").read_bytes() == kept
    # The deleted draft is out of every listing, and `drafts` says how to bring it back.
    assert FILES[0] not in statuses(run)
    table = run("drafts")
    assert table.stdout.endswith(
        "\n1 deleted draft is kept in drafts/.deleted/ (ls drafts/.deleted/ lists them). "
        "Bring one back with: mv -i drafts/.deleted/NAME drafts/\n"
    )
    assert run("approve", "--all").stdout.startswith("approved drafts/grace-hopper")
    assert "ada-lovelace" not in run("check").output
    (drafted / "drafts" / ".deleted" / "ada-lovelace--request.md").rename(drafted / FILES[0])
    assert statuses(run)[FILES[0]] == "draft"
    assert "deleted draft" not in run("drafts").stdout


def test_a_second_deleted_draft_of_the_same_name_keeps_the_first(
    run: Invoke, drafted: Path
) -> None:
    first = (drafted / FILES[0]).read_text(encoding="utf-8")
    assert run("review", input="d\ny\nq\n").exit_code == 0
    assert run("draft", "request", "ada").exit_code == 0
    result = run("review", input="d\nyes\nq\n")
    assert result.exit_code == 0, result.output
    deleted = drafted / "drafts" / ".deleted"
    assert sorted(p.name for p in deleted.iterdir()) == [
        "ada-lovelace--request--2.md",
        "ada-lovelace--request.md",
    ]
    assert (deleted / "ada-lovelace--request.md").read_text(encoding="utf-8") == first
    assert "2 deleted drafts are kept in drafts/.deleted/" in run("drafts").stdout


def test_deleted_drafts_are_ignored_by_git(run: Invoke, drafted: Path) -> None:
    assert "drafts/.deleted/" in (drafted / ".gitignore").read_text(encoding="utf-8").splitlines()
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    assert run("review", input="d\ny\nq\n").exit_code == 0
    subprocess.run([git, "init", "-q", str(drafted)], check=True, timeout=60)
    ignored = subprocess.run(
        [git, "-C", str(drafted), "check-ignore", "drafts/.deleted/ada-lovelace--request.md"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ignored.returncode == 0, ignored.stderr
    kept = subprocess.run(
        [git, "-C", str(drafted), "check-ignore", FILES[1]], capture_output=True, timeout=60
    )
    assert kept.returncode == 1


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("Approve\nSKIP\nDelete\nYes\nQuit\n", "1 approved, 1 skipped, 1 deleted."),
        ("A\nS\nD\nY\nQ\n", "1 approved, 1 skipped, 1 deleted."),
        ("  approve \nskip\nd\nno\ns\nq\n", "1 approved, 2 skipped, 0 deleted."),
        ("a\ns\nd\n\nq\n", "1 approved, 1 skipped, 0 deleted."),  # Enter alone keeps it
    ],
)
def test_typed_answers_take_the_letter_or_the_word_in_any_case(
    run: Invoke, drafted: Path, answers: str, expected: str
) -> None:
    result = run("review", input=answers)
    assert result.exit_code == 0, result.output
    assert expected in result.stdout
    assert statuses(run)[FILES[0]] == "approved"


def test_quit_ends_with_the_next_line_of_a_finished_review(run: Invoke, drafted: Path) -> None:
    quit_at_once = run("review", input="q\n")
    assert quit_at_once.exit_code == 0
    assert quit_at_once.stdout.endswith(
        "0 approved, 0 skipped, 0 deleted.\nNext: outreach review\n"
    )
    assert set(statuses(run).values()) == {"draft"}
    quit_after_approving = run("review", input="a\nq\n")
    finished = run("review", input="s\ns\ns\n")  # the three left, to the end
    last_line = "Next: outreach send --dry-run\n"
    assert quit_after_approving.stdout.endswith("1 approved, 0 skipped, 0 deleted.\n" + last_line)
    assert finished.stdout.endswith("0 approved, 3 skipped, 0 deleted.\n" + last_line)


def test_review_all_walks_approved_drafts_too(run: Invoke, drafted: Path) -> None:
    assert run("approve", "ada", "jose").exit_code == 0
    plain = run("review", input="s\ns\n")
    assert "--- 1/2: drafts/grace-hopper--request.md\n" in plain.stdout
    every = run("review", "--all", input="s\ns\ns\ns\n")
    assert every.exit_code == 0, every.output
    assert "--- 1/4: drafts/ada-lovelace--request.md (approved)\n" in every.stdout
    assert "--- 2/4: drafts/grace-hopper--request.md\n" in every.stdout
    assert "--- 3/4: drafts/jose-nunez--request.md (approved)\n" in every.stdout
    assert "Next: outreach send --dry-run" in every.stdout
    edited = run("review", "--all", input="d\ny\nq\n")
    assert "deleted drafts/ada-lovelace--request.md" in edited.stdout
    assert FILES[0] not in statuses(run)


# --- outreach unapprove -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["ada-lovelace--request.md", "drafts/ada-lovelace--request.md", "ada", "Lovelace"]
)
def test_unapprove_takes_an_approval_back(run: Invoke, drafted: Path, name: str) -> None:
    path = drafted / FILES[0]
    before = path.read_text(encoding="utf-8")
    assert run("approve", "--all").exit_code == 0
    result = run("unapprove", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "unapproved drafts/ada-lovelace--request.md\n1 unapproved. Next: outreach review\n"
    )
    assert path.read_text(encoding="utf-8") == before
    assert list(statuses(run).values()) == ["draft", "approved", "approved", "approved"]


def test_unapprove_all(run: Invoke, drafted: Path) -> None:
    assert run("approve", "ada", "grace").exit_code == 0
    edit_by_hand(drafted / FILES[2], "status: draft\n", "status: failed\nerror: 550 no\n")
    result = run("unapprove", "--all")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "unapproved drafts/ada-lovelace--request.md",
        "unapproved drafts/grace-hopper--request.md",
        "2 unapproved. Next: outreach review",
    ]
    assert list(statuses(run).values()) == ["draft", "draft", "failed", "draft"]
    assert run("send", "--dry-run").stdout.startswith("Nothing to send.")


def test_unapprove_a_draft_not_approved_says_so(run: Invoke, drafted: Path) -> None:
    result = run("unapprove", "mei")
    assert result.exit_code == 0, result.output
    assert result.stderr == "drafts/mei-chen--request.md is not approved (draft); left as it is\n"
    assert result.stdout == "0 unapproved. Next: outreach review\n"


def test_unapprove_changes_nothing_when_a_named_draft_is_broken(run: Invoke, drafted: Path) -> None:
    assert run("approve", "--all").exit_code == 0
    edit_by_hand(drafted / FILES[1], "kind: request", "kind: asking")
    before = snapshot(drafted)
    result = run("unapprove", "ada", "grace-hopper--request.md")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: drafts/grace-hopper--request.md: line 5: kind must")
    assert snapshot(drafted) == before


def test_unapprove_nothing_is_a_usage_error(run: Invoke, drafted: Path) -> None:
    assert run("unapprove").exit_code == 2
    assert run("unapprove", "nobody").exit_code == 1


def test_editing_without_visual_or_editor_opens_a_plain_default(
    drafted: Path, tmp_path: Path, run_installed: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """nano where it is installed, else vi: never the system's chooser (sensible-editor)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opened = tmp_path / "opened"
    for name in ("sensible-editor", "nano", "vi"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $1" >> "{opened}"\n', encoding="utf-8")
        script.chmod(0o755)
    env = {"PATH": str(bin_dir)}
    result = run_installed("--workspace", str(drafted), "templates", "edit", "request", env=env)
    assert result.returncode == 0, result.stderr
    assert opened.read_text().split() == ["nano", str(drafted / "templates" / "request.md")]
    (bin_dir / "nano").unlink()
    opened.unlink()
    review = run_installed("--workspace", str(drafted), "review", input="e\nq\n", env=env)
    assert review.returncode == 0, review.stderr
    assert opened.read_text().split() == ["vi", str(drafted / FILES[0])]
