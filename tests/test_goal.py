"""goal.md and its clarity check: every rule of the contract, and `outreach goal`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result

from outreach.workspace.goal import load_goal, parse_goal
from tests.conftest import Installed, Invoke
from tests.helpers import assert_error, errors, goal_text, run_unchanged, write


def warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]


# --- `outreach goal` ----------------------------------------------------------------


def test_goal_prints_the_example_goal_and_says_it_is_clear(run: Invoke) -> None:
    result = run("goal")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:5] == [
        "Looking for:  a product-design role at a climate-tech company",
        "Request:      Would you have 30 minutes in the next two weeks to tell me how you moved "
        "into climate tech?",
        "Time needed:  30 minutes",
        "Options:      a phone call, a video call, coffee",
        "Offer:        I'd be glad to share the user-research templates I built for my last team.",
    ]
    assert "For six years I designed checkout flows." in result.stdout
    assert result.stderr == "The goal is clear.\n"


def test_goal_with_warnings_only_exits_0(run: Invoke, workspace: Path) -> None:
    write(workspace / "goal.md", goal_text(offer=None))
    result = run_unchanged(run, workspace, "goal")
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        "Warning: goal.md:1: offer: missing: offer something back; "
        "networking is more giving than taking"
    ]
    assert result.stderr.endswith("The goal is clear enough to draft.\n")
    assert "Offer:        -" in result.stdout


def test_goal_with_errors_exits_1_and_still_shows_the_goal(run: Invoke, workspace: Path) -> None:
    write(workspace / "goal.md", goal_text(request="TODO"))
    result = run_unchanged(run, workspace, "goal")
    assert_error(result, "goal.md:3", "request: still holds the placeholder 'TODO'")
    assert (
        result.stderr.splitlines()[-1] == "Error: requests are not drafted until the goal is clear"
    )
    assert "Request:      TODO" in result.stdout


def test_a_fresh_workspace_goal_blocks_requests(tmp_path: Path, run_installed: Installed) -> None:
    assert run_installed("init", str(tmp_path / "mine")).returncode == 0
    result = run_installed("goal", cwd=tmp_path / "mine")
    assert_error(result, "goal.md:4", "looking_for: still holds the placeholder '<what you")
    assert_error(result, "goal.md:5", "request: still holds the placeholder")
    assert_error(result, "goal.md:8", "offer: still holds the placeholder")
    for line in errors(result):  # long hints are shortened, not quoted whole
        assert len(line) < 150, line


def test_an_unclear_goal_blocks_request_drafts(run: Invoke, workspace: Path) -> None:
    write(workspace / "goal.md", goal_text(looking_for="TBD"))
    result = run_unchanged(run, workspace, "draft", "request", "ada-lovelace")
    assert_error(result, "goal.md:2", "looking_for: still holds the placeholder 'TBD'")
    assert not list((workspace / "drafts").iterdir())


# --- the errors --------------------------------------------------------------------

GOAL_ERRORS = [
    # looking_for and request are required
    pytest.param(
        goal_text(looking_for=None), "goal.md:1", "looking_for: missing", id="no-looking-for"
    ),
    pytest.param(goal_text(request=None), "goal.md:1", "request: missing", id="no-request"),
    pytest.param(goal_text(looking_for='""'), "goal.md:2", "looking_for: missing", id="empty-lf"),
    pytest.param(goal_text(request=""), "goal.md:3", "request: missing", id="null-request"),
    pytest.param(goal_text(request="'   '"), "goal.md:3", "request: missing", id="blank-request"),
    # placeholders, wherever they are
    *[
        pytest.param(
            goal_text(looking_for=f"a {word} role"),
            "goal.md:2",
            f"looking_for: still holds the placeholder '{word}'",
            id=f"placeholder-{word}",
        )
        for word in ("TODO", "TBD", "XXX", "FIXME")
    ],
    pytest.param(
        goal_text(request="Could we talk about <your field>?"),
        "goal.md:3",
        "request: still holds the placeholder '<your field>'",
        id="angle-hint",
    ),
    pytest.param(
        goal_text(request="Could we talk about [your field]?"),
        "goal.md:3",
        "request: still holds the placeholder '[your field]'",
        id="square-hint",
    ),
    pytest.param(
        goal_text(time_needed="<how long>"),
        "goal.md:4",
        "time_needed: still holds the placeholder '<how long>'",
        id="time-hint",
    ),
    pytest.param(
        goal_text(options="[a call, <another way>]"),
        "goal.md:5",
        "options: still holds the placeholder '<another way>'",
        id="options-hint",
    ),
    pytest.param(
        goal_text(offer="FIXME later"),
        "goal.md:6",
        "offer: still holds the placeholder 'FIXME'",
        id="offer-fixme",
    ),
    pytest.param(
        goal_text("First line.\n\n[Why this excites you]"),
        "goal.md:8",
        "story: still holds the placeholder '[Why this excites you]'",
        id="story-hint",
    ),
    pytest.param(
        goal_text(request="Could I see https://example.org/in/<your-handle>?"),
        "goal.md:3",
        "placeholder '<your-handle>'",
        id="hint-inside-a-link",
    ),
    # one question, under 60 words
    pytest.param(
        goal_text(request="Could we talk? Or could we meet for coffee?"),
        "goal.md:3",
        "request: asks 2 questions: make one clear request",
        id="two-questions",
    ),
    pytest.param(
        goal_text(request="Why? How? When?"),
        "goal.md:3",
        "request: asks 3 questions",
        id="three-questions",
    ),
    pytest.param(
        goal_text(request=" ".join(["word"] * 60) + " ok?"),
        "goal.md:3",
        "request: is 61 words long: keep it under 60",
        id="61-words",
    ),
    # the file's shape
    pytest.param(
        "looking_for: a role\nrequest: Could we talk?\n",
        "goal.md:1",
        "must start with front matter between '---' lines",
        id="no-front-matter",
    ),
    pytest.param("---\n- a role\n- a talk\n---\n", "goal.md:2", "not a list", id="front-is-a-list"),
    pytest.param(
        "---\nlooking_for: a role\nrequest: Could we talk?\n",
        "goal.md:1",
        "the front matter opened by '---' on line 1 is never closed by a '---' line",
        id="front-never-closed",
    ),
    pytest.param(
        goal_text(looking_for="[a role, another role]"),
        "goal.md:2",
        "looking_for must be text, not a list",
        id="looking-for-is-a-list",
    ),
    pytest.param(
        goal_text(request="{what: a talk}"),
        "goal.md:3",
        "request must be text, not a mapping",
        id="request-is-a-mapping",
    ),
    pytest.param(
        goal_text(options="{call: yes}"),
        "goal.md:5",
        "options must be a list, such as [a call, coffee]",
        id="options-is-a-mapping",
    ),
    pytest.param(
        goal_text(offer="templates\nrequest: Something else?"),
        "goal.md:7",
        "request is given twice (also on line 3)",
        id="field-twice",
    ),
    pytest.param(
        goal_text(time_needed='"30 minutes'),
        "goal.md:7",
        "invalid YAML: ",
        id="broken-yaml",
    ),
    pytest.param(
        goal_text(offer="templates: and more"),
        "goal.md:6",
        "invalid YAML: ",
        id="colon-in-text",
    ),
]


@pytest.mark.parametrize(("text", "where", "fragment"), GOAL_ERRORS)
def test_unclear_goals_are_errors(
    run: Invoke, workspace: Path, text: str, where: str, fragment: str
) -> None:
    write(workspace / "goal.md", text)
    result = run_unchanged(run, workspace, "goal")
    assert_error(result, where, fragment)
    if "invalid YAML" not in fragment:  # a file that does not parse stops before the check
        assert result.stderr.endswith("Error: requests are not drafted until the goal is clear\n")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Write to me at <sam@example.org>.", id="angle-address"),
        pytest.param("See <https://example.org/portfolio>.", id="angle-link"),
        pytest.param("See [my portfolio](https://example.org/portfolio).", id="markdown-link"),
        pytest.param("See [https://example.org].", id="square-link"),
        pytest.param("See [www.example.org].", id="square-www"),
        pytest.param("Mail [mailto:sam@example.org].", id="square-mailto"),
        pytest.param("I built Todoist integrations and a TODOS page.", id="inside-a-word"),
    ],
)
def test_addresses_and_links_are_not_placeholders(run: Invoke, workspace: Path, text: str) -> None:
    write(workspace / "goal.md", goal_text(text, offer=f"My notes. {text}"))
    result = run("goal")
    assert result.exit_code == 0, result.output
    assert "placeholder" not in result.stderr


def test_sixty_words_and_one_question_are_fine(run: Invoke, workspace: Path) -> None:
    write(workspace / "goal.md", goal_text(request=" ".join(["word"] * 59) + " ok?"))
    result = run("goal")
    assert result.exit_code == 0, result.output
    assert result.stderr == "The goal is clear.\n"


def test_every_finding_is_reported_at_once(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "goal.md",
        "---\n"
        "looking_for: anything\n"  # 2: vague (warning)
        "request: TODO? And then?\n"  # 3: placeholder, two questions
        "---\n"
        "<story>\n",  # 5: placeholder
    )
    result = run_unchanged(run, workspace, "goal")
    assert_error(result, "goal.md:3", "placeholder 'TODO'")
    assert_error(result, "goal.md:3", "asks 2 questions")
    assert_error(result, "goal.md:5", "story: still holds the placeholder '<story>'")
    assert len(errors(result)) == 4  # and the line that says requests wait
    assert "Warning: goal.md:2: looking_for: 'anything' is vague" in result.stderr
    for field in ("offer", "time_needed", "options"):
        assert f"Warning: goal.md:1: {field}: missing" in result.stderr


# --- the warnings ------------------------------------------------------------------

GOAL_WARNINGS = [
    pytest.param({"offer": None}, "goal.md:1: offer: missing: offer something back", id="no-offer"),
    pytest.param(
        {"time_needed": None},
        "goal.md:1: time_needed: missing: say how much of their time",
        id="no-time-needed",
    ),
    pytest.param(
        {"options": None},
        "goal.md:1: options: missing: offer ways to meet",
        id="no-options",
    ),
    pytest.param({"options": "[]"}, "goal.md:5: options: missing", id="empty-options"),
    pytest.param({"offer": "''"}, "goal.md:6: offer: missing", id="empty-offer"),
    *[
        pytest.param(
            {"request": f"Could you give me {phrase} about design roles?"},
            f"goal.md:3: request: '{phrase}' is vague: say exactly what you would like",
            id=f"vague-{phrase.replace(' ', '-')}",
        )
        for phrase in ("any help", "anything", "whatever")
    ],
    pytest.param(
        {"request": "Could I pick your brain for 30 minutes?"},
        "goal.md:3: request: 'pick your brain' is vague",
        id="vague-pick-your-brain",
    ),
    pytest.param(
        {"looking_for": "Any help finding a design role"},
        "goal.md:2: looking_for: 'any help' is vague",
        id="vague-looking-for-any-case",
    ),
]


@pytest.mark.parametrize(("fields", "warning"), GOAL_WARNINGS)
def test_warnings_advise_and_exit_0(
    run: Invoke, workspace: Path, fields: dict[str, str | None], warning: str
) -> None:
    write(workspace / "goal.md", goal_text(**fields))
    result = run_unchanged(run, workspace, "goal")
    assert result.exit_code == 0, result.output
    assert [line for line in warnings(result) if line.startswith(f"Warning: {warning}")], (
        result.stderr
    )
    assert not errors(result)
    assert result.stderr.endswith("The goal is clear enough to draft.\n")


@pytest.mark.parametrize(("fields", "warning"), GOAL_WARNINGS)
def test_drafting_a_request_and_check_show_the_goals_warnings(
    run: Invoke, workspace: Path, fields: dict[str, str | None], warning: str
) -> None:
    write(workspace / "goal.md", goal_text(**fields))
    drafted = run("draft", "request", "ada")
    assert drafted.exit_code == 0, drafted.output
    assert [line for line in warnings(drafted) if line.startswith(f"Warning: {warning}")], (
        drafted.stderr
    )
    assert (workspace / "drafts" / "ada-lovelace--request.md").is_file()
    other_kind = run("draft", "check-in", "ada")  # only requests use the goal's request
    assert other_kind.exit_code == 0, other_kind.output
    assert not warnings(other_kind)
    checked = run("check")
    assert checked.exit_code == 0, checked.output
    found = warnings(checked)
    assert [line for line in found if line.startswith(f"Warning: {warning}")], checked.stderr
    plural = "s" if len(found) != 1 else ""
    assert (
        checked.stdout == f"No errors, {len(found)} warning{plural} above: {workspace} is ready.\n"
    )


def test_vague_words_inside_other_words_are_fine(run: Invoke, workspace: Path) -> None:
    write(workspace / "goal.md", goal_text(looking_for="a role in anythingllm-style tooling"))
    result = run("goal")
    assert result.exit_code == 0, result.output
    assert not warnings(result)


# --- the library ---------------------------------------------------------------------


def test_the_goal_reaches_templates_with_its_story(workspace: Path) -> None:
    goal, problems = load_goal(workspace / "goal.md")
    assert problems == []
    fields = goal.template_fields()
    assert fields["looking_for"] == "a product-design role at a climate-tech company"
    assert fields["options"] == ["a phone call", "a video call", "coffee"]
    assert fields["story"].startswith("For six years I designed checkout flows.")


def test_a_single_option_may_be_written_as_text() -> None:
    goal, problems = parse_goal(goal_text(options="coffee"))
    assert goal.options == ("coffee",)
    assert not [p for p in problems if p.is_error]


def test_lines_count_from_the_top_of_the_file() -> None:
    text = "---\n# a comment\n\nlooking_for: TODO\nrequest: Could we talk?\n---\n"
    _, problems = parse_goal(text)
    assert [str(p) for p in problems if p.is_error] == [
        "goal.md:4: looking_for: still holds the placeholder 'TODO': replace it with your own words"
    ]
