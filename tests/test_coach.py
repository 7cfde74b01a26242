"""The coach: each measure and each piece of advice, and where it shows (review, drafts --json,
check, draft's summary line); and the shipped templates pass it for every example person."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from outreach.composing.coach import coach, counted_body, reading_grade
from outreach.support.text import TEMPLATE_KINDS
from outreach.workspace.folder import Workspace
from tests.conftest import Invoke
from tests.helpers import in_fresh_python, write

FACTS = ("the Python user group",)

# A request that the coach has nothing to say about: 74 words, one question, grade 2.1, a
# 5-word subject, a personal line (the Python user group), one request and an offer.
GOOD = """\
Hi Ada,

It was fun to see you at the Python user group last month. I hope the new job is going well.

I want to move into climate tech, and you did just that. Would you have 20 minutes next week
to tell me how you made the move? A call or a coffee is fine, as you like.

I can share the notes from my user tests, if they help your team.

Thank you,
Sam Rivera
"""
SUBJECT = "A question about climate tech"


def advice(kind: str = "request", subject: str = SUBJECT, body: str = GOOD, **known: object) -> str:
    """The coach's warnings on a draft, one string (facts default to FACTS)."""
    known.setdefault("facts", FACTS)
    return "\n".join(coach(kind, subject, body, **known).warnings)  # type: ignore[arg-type]


def test_a_good_request_gets_no_advice() -> None:
    coaching = coach("request", SUBJECT, GOOD, facts=FACTS)
    assert coaching.warnings == ()
    assert (coaching.words, coaching.questions, coaching.subject_words) == (74, 1, 5)
    assert 0 < coaching.grade <= 5


# --- what is counted ----------------------------------------------------------------------


def test_the_signature_is_not_counted() -> None:
    body = "Hi Ada,\n\nOne two three four five.\n\nAll the best,\nSam Rivera\nsam.example.org\n"
    assert counted_body(body) == "Hi Ada,\n\nOne two three four five.\n"
    assert coach("check-in", "Hi", body).words == 7
    dashes = "Hi Ada,\n\nOne two three.\n-- \nSam Rivera, Designer, with many words here\n"
    assert coach("check-in", "Hi", dashes).words == 5


def test_a_closing_line_is_found_without_a_blank_line_before_it() -> None:
    body = "Hi Ada,\n\nSee you soon, I hope.\nThanks!\nSam\n"
    assert counted_body(body) == "Hi Ada,\n\nSee you soon, I hope."


def test_a_comma_in_the_body_is_not_taken_for_a_closing_line() -> None:
    body = "Hi Ada,\n\nI was thinking,\nand more words come here.\n\nBest,\nSam\n"
    assert coach("check-in", "Hi", body).words == 10


def test_the_quote_is_not_counted() -> None:
    body = (
        "Hi Ada,\n\nDid this get lost?\n\nBest,\nSam\n\n"
        "On Tuesday 25 November, Sam Rivera wrote:\n> Would you have time? Would you?\n"
        "> Many more words of the first message here.\n"
    )
    coaching = coach("follow-up", "Re: A question", body)
    assert (coaching.words, coaching.questions) == (6, 1)
    wrapped = body.replace("Sam Rivera wrote:", "Sam Rivera\n<sam@example.org> wrote:")
    assert coach("follow-up", "Re: A question", wrapped).words == 6


def test_questions_are_counted_at_their_marks() -> None:
    body = "Hi Ada,\n\nHow are you? Is it going well?? See https://example.org/?a=1 here.\n"
    assert coach("check-in", "Hi", body).questions == 2


def test_the_reading_grade_is_flesch_kincaid() -> None:
    # 4 words, 1 sentence, 15 syllables (in-for-ma-tion a-bout u-ni-ver-si-ty ed-u-ca-tion):
    # 0.39 * 4 + 11.8 * 15 / 4 - 15.59 = 30.22
    assert reading_grade("Information about university education.") == 30.2
    assert reading_grade("The plan is simple. We meet next week.") == 0.0  # never below 0
    assert reading_grade("") == 0.0
    # A paragraph without a full stop is a sentence of its own (the greeting).
    assert reading_grade("Hi Ada,\n\nInformation about university education.") < 30.2


def test_the_subject_words_leave_out_re() -> None:
    assert coach("follow-up", "Re: Re: A question about climate tech", GOOD).subject_words == 5
    assert coach("request", "Ada, a question about a role", GOOD).subject_words == 6


# --- the thresholds -------------------------------------------------------------------------


def test_too_few_and_too_many_words_in_a_request() -> None:
    short = "Hi Ada,\n\nWould you have 20 minutes next week? I can share my notes.\n\nSam\n"
    assert "words: 50 to 125 are answered most" in advice(body=short)
    assert "words:" not in advice(kind="check-in", body=short)
    long = GOOD.replace("if they help your team.", "if they help your team. " + "Yes. " * 60)
    assert "134 words: 50 to 125 are answered most; cut some" in advice(body=long)
    assert "134 words: at most 125 are answered most" in advice(kind="check-in", body=long)


def test_questions_in_a_request_and_in_the_other_kinds() -> None:
    none = GOOD.replace("the move?", "the move.")
    assert "no question: 1 to 3 are answered most" in advice(kind="follow-up", body=none)
    assert "question" not in advice(kind="check-in", body=none)
    many = GOOD.replace("as you like.", "as you like? Or not? Or later? Or never?")
    assert "5 questions: 1 to 3 are answered most" in advice(body=many)
    assert "5 questions: at most 3 are answered most" in advice(kind="check-in", body=many)


def test_a_hard_reading_grade() -> None:
    hard = GOOD.replace(
        "I hope the new job is going well.",
        "I sincerely hope your organisation's comprehensive decarbonisation initiatives "
        "are progressing satisfactorily.",
    )
    assert "reading grade" in advice(body=hard)
    assert "grade 5 or below" in advice(body=hard)
    assert "reading grade" not in advice()


def test_a_long_subject() -> None:
    assert "a subject of 9 words: keep it to 7 or fewer" in advice(
        subject="Ada, a question about a role in climate tech"
    )
    assert "subject" not in advice(subject="Ada, a question about a role")


# --- what a draft should have ----------------------------------------------------------------


def test_a_personal_line_is_something_of_the_person() -> None:
    assert "no personal line" in advice(facts=("the climbing gym",))
    assert "no personal line" in advice(facts=())
    # Found across a line break, and by three of its words in a row.
    assert "no personal line" not in advice(facts=("from my user tests",))
    assert "no personal line" not in advice(facts=("Python user group meetups in Leeds",))
    # A value that short is found in too many sentences to say anything.
    assert "no personal line" in advice(facts=("job",))
    # Where nothing is known of the person, the coach does not guess.
    assert "no personal line" not in advice(facts=None)


def test_one_clear_request() -> None:
    none = GOOD.replace("Would you have 20 minutes", "I would love 20 minutes").replace(
        "the move?", "the move."
    )
    assert "no clear request: ask for one thing" in advice(body=none)
    two = GOOD.replace("as you like.", "as you like. Could you also read my CV?")
    assert "2 requests: ask for one thing" in advice(body=two)
    assert "request" not in advice(kind="follow-up", body=two)
    # The goal's request, however it is phrased, is a request.
    told = none.replace("I would love 20 minutes", "Please tell me in 20 minutes")
    goal_request = "Please tell me in 20 minutes next week how you made the move."
    assert "no clear request" not in advice(body=told, request=goal_request)


def test_an_offer() -> None:
    bare = GOOD.replace("I can share the notes from my user tests, if they help your team.", "")
    assert "no offer: say what you can do for them in return" in advice(body=bare)
    assert "no offer" in advice(kind="check-in", body=bare)
    offered = bare.replace("as you like.", "as you like. I\u2019d be glad to return the favour.")
    assert "no offer" not in advice(body=offered)
    goal_offer = "My research templates are yours to use, word for word."
    with_goal = bare.replace("as you like.", f"as you like. {goal_offer}")
    assert "no offer" in advice(body=with_goal)
    assert "no offer" not in advice(body=with_goal, offer=goal_offer)


def test_a_thank_you_says_thank_you() -> None:
    # "Thank you," above the name is the closing line: it does not count.
    assert "no thank-you: say thank you, and for what" in advice(kind="thank-you")
    assert "thank-you" not in advice(kind="request")
    thanked = GOOD.replace("It was fun", "Thank you for the coffee. It was fun")
    assert "no thank-you" not in advice(kind="thank-you", body=thanked)


def test_an_attachment_on_a_first_request() -> None:
    warning = "an attachment on a first request: a link, or the file after a yes"
    assert warning in advice(attachments=True)
    assert warning not in advice(attachments=True, first_request=False)
    assert warning not in advice(attachments=False)
    assert warning not in advice(kind="follow-up", attachments=True)


def test_the_coach_downloads_nothing_and_loads_no_nltk() -> None:
    in_fresh_python(
        "import sys\n"
        "from outreach.composing.coach import reading_grade\n"
        "assert reading_grade('Would you have a call with me next week about it?') >= 0\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('nltk', 'textstat')]\n"
    )


# --- where the coach shows -----------------------------------------------------------------


def use_template(workspace: Path, body: str, subject: str = SUBJECT) -> None:
    """The request template replaced by one that drafts `body` (Ada's name set in it)."""
    text = body.replace("Hi Ada,", "Hi {{ contact.first_name }},")
    write(
        workspace / "templates" / "request.md",
        f'---\nkind: request\nsubject: "{subject}"\nfollow_up_after: 7d\n---\n{text}',
    )


def test_drafts_json_has_the_coach(run: Invoke, workspace: Path) -> None:
    use_template(workspace, GOOD.replace("the move?", "the move? And then?"))
    assert run("draft", "request", "ada", "jose").exit_code == 0
    write(workspace / "drafts" / "broken--request.md", "no front matter\n")
    result = run("drafts", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["file"]: row for row in json.loads(result.stdout)}
    ada = rows["drafts/ada-lovelace--request.md"]["coach"]
    assert set(ada) == {"words", "questions", "grade", "subject_words", "warnings"}
    assert (ada["words"], ada["questions"], ada["subject_words"]) == (76, 2, 5)
    assert isinstance(ada["grade"], float)
    assert ada["warnings"] == []
    jose = rows["drafts/jose-nunez--request.md"]["coach"]
    assert [w for w in jose["warnings"] if w.startswith("no personal line")]  # not his group
    assert rows["drafts/broken--request.md"]["coach"] is None


def test_review_shows_the_coach_under_each_draft(run: Invoke, workspace: Path) -> None:
    use_template(workspace, GOOD, subject="Ada, a question about a product role in climate tech")
    assert run("draft", "request", "ada").exit_code == 0
    result = run("review", input="a\n")
    assert result.exit_code == 0, result.output
    shown = result.stdout.split("Sam Rivera\n", 1)[1]
    assert shown.startswith(
        "\nCoach: 74 words, 1 question, reading grade 2.1, subject 10 words\n"
        "  - a subject of 10 words: keep it to 7 or fewer\n"
        "[a]pprove"
    )
    assert "approved drafts/ada-lovelace--request.md" in result.stdout  # advice never blocks


def test_review_shows_the_coach_again_after_an_edit(run: Invoke, workspace: Path) -> None:
    use_template(workspace, GOOD)
    assert run("draft", "request", "ada").exit_code == 0
    script = workspace.parent / "edit.py"
    script.write_text(
        "import pathlib, sys\np = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('subject: ', 'subject: One two three four five '))\n"
    )
    result = run("review", input="e\ns\n", env={"EDITOR": f'"{sys.executable}" "{script}"'})
    assert result.exit_code == 0, result.output
    first, again = result.stdout.split("Coach: ")[1:3]
    assert "subject 5 words" in first and "subject 10 words" in again
    assert "a subject of 10 words" in again


def test_check_warns_with_the_coach_and_exits_0(run: Invoke, workspace: Path) -> None:
    asked = "Would you have 20 minutes next week\nto tell me how you made the move?"
    use_template(workspace, GOOD.replace(asked, "I will be in town next week\nfor the fair."))
    assert run("draft", "request", "ada").exit_code == 0
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Warning: drafts/ada-lovelace--request.md: coach: no question: 1 to 3 are answered most",
        "Warning: drafts/ada-lovelace--request.md: coach: no clear request: ask for one thing, "
        "as a question (Would you ...?)",
    ]
    assert result.stdout == f"No errors, 2 warnings above: {workspace} is ready.\n"


def test_draft_says_how_many_drafts_have_advice(run: Invoke, workspace: Path) -> None:
    use_template(workspace, GOOD)
    result = run("draft", "request", "ada", "jose")  # José's draft has no personal line
    assert result.exit_code == 0, result.output
    assert "The coach has advice on 1 of 2 (outreach review shows it).\n" in result.stderr
    result = run("draft", "request", "ada", "--replace")
    assert result.exit_code == 0, result.output
    assert "coach" not in result.stderr


def test_the_first_request_and_the_personal_note_come_from_the_journal(
    run: Invoke, workspace: Path
) -> None:
    from outreach.composing.coach import coach_draft, known_for
    from outreach.drafts.draft import parse_draft
    from outreach.journal.database import Entry, open_journal

    use_template(workspace, GOOD.replace("at the Python user group", "at the gym"))
    assert run("draft", "request", "ada").exit_code == 0
    path = workspace / "drafts" / "ada-lovelace--request.md"
    text = path.read_text(encoding="utf-8")
    draft = parse_draft(
        path, text.replace("status: draft\n", "status: draft\nattachments: cv/sam-cv.pdf\n")
    )
    warning = "an attachment on a first request"
    first = coach_draft(draft, known_for(Workspace(workspace)))
    assert first is not None
    assert [w for w in first.warnings if w.startswith(warning)]
    assert [w for w in first.warnings if w.startswith("no personal line")]
    now = datetime.now(UTC)
    with open_journal(Workspace(workspace).journal_file) as journal:
        journal.add(
            Entry("ada-lovelace", "sent", now, now.date(), subject="Hi", template_kind="request")
        )
        journal.add(Entry("ada-lovelace", "met", now, now.date(), note="a walk at the gym"))
    again = coach_draft(draft, known_for(Workspace(workspace)))
    assert again is not None
    assert again.warnings == ()


# --- the shipped templates ------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATE_KINDS)
def test_every_shipped_template_passes_its_own_coach(
    run: Invoke, workspace: Path, template: str
) -> None:
    result = run("draft", template, "--all")
    assert result.exit_code == 0, result.output
    rows = json.loads(run("drafts", "--json").stdout)
    assert len(rows) == 4
    advised = {row["person"]: row["coach"]["warnings"] for row in rows if row["coach"]["warnings"]}
    assert advised == {}, f"templates/{template}.md"
