"""Templates: what the shipped ones say, the bad ones refused, and `outreach templates`."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from tests.conftest import Invoke
from tests.helpers import editor, snapshot, write

EXTRA_PEOPLE = """
- name: Bo Min
  email: bo@example.org

- name: 李小龍
  email: lee@example.org
  id: lee
"""

ALL_TEMPLATES = ("request", "thank-you", "follow-up", "check-in")


def add_people(workspace: Path, text: str = EXTRA_PEOPLE) -> None:
    contacts = workspace / "contacts.yaml"
    write(contacts, contacts.read_text(encoding="utf-8") + text)


def preview(run: Invoke, template: str, person: str, *note: str) -> tuple[str, str]:
    """The subject and body `templates preview` shows."""
    args = ["--note", note[0]] if note else []
    result = run("templates", "preview", template, "--to", person, *args)
    assert result.exit_code == 0, result.output
    head, _, body = result.stdout.partition("\n\n")
    subject = next(line for line in head.splitlines() if line.startswith("Subject: "))
    return subject.removeprefix("Subject: "), body


def assert_clean(body: str) -> None:
    """No trace of the template machinery, no blank where a value should be."""
    for trace in ("{{", "}}", "{%", "%}", "None", "Undefined", "  ", " ,", " .\n", "\n\n\n"):
        assert trace not in body, (trace, body)
    assert body.endswith("Sam Rivera\n")
    assert not body.startswith("\n")


# --- what the shipped templates say ------------------------------------------------


@pytest.mark.parametrize("template", ALL_TEMPLATES)
@pytest.mark.parametrize(
    ("person", "first_name"),
    [
        ("ada", "Ada"),
        ("grace", "Grace"),
        ("jose-nunez", "José"),
        ("bo-min", "Bo"),
        ("lee", "李小龍"),
    ],
)
def test_every_shipped_template_renders_cleanly_for_everyone(
    run: Invoke, workspace: Path, template: str, person: str, first_name: str
) -> None:
    add_people(workspace)
    subject, body = preview(run, template, person)
    assert first_name in subject or template == "follow-up"
    assert body.startswith(f"Hi {first_name},\n\n")
    assert_clean(body)


def test_request_says_how_we_know_the_person_and_asks_one_clear_thing(run: Invoke) -> None:
    subject, body = preview(run, "request", "ada")
    assert subject == "Ada, could I ask your advice?"
    flat = " ".join(body.split())  # the body is wrapped at 72
    assert "our time at the Python user group" in flat  # how_we_know
    request = "Would you have 30 minutes in the next two weeks to tell me how you moved into"
    assert request + " climate tech?" in flat
    assert "a phone call, a video call or coffee" in flat  # the options
    assert flat.count("30 minutes") == 1  # the request says the time it needs: not again
    assert "I'd be glad to share the user-research templates I built for my last team." in flat
    assert "For six years I designed checkout flows." in flat  # goal.story
    assert body.count("?") == 1  # one question: the request
    assert (
        body.index("Hi Ada") < body.index("Would you have") < body.index("share the user-research")
    )


def test_request_for_someone_without_how_we_know_leaves_the_sentence_out(
    run: Invoke, workspace: Path
) -> None:
    add_people(workspace)
    _, ada = preview(run, "request", "ada")
    _, body = preview(run, "request", "bo-min")
    assert body.startswith("Hi Bo,\n")
    assert "Python user group" in ada and "our time at" not in body
    mine, hers = (" ".join(text.split()) for text in (body, ada))
    assert mine == hers.replace("Ada,", "Bo,").replace(
        "I still think of our time at the Python user group. ", ""
    )
    assert_clean(body)


def test_request_with_non_ascii_names_keeps_them_whole(run: Invoke, workspace: Path) -> None:
    subject, body = preview(run, "request", "José")
    assert subject == "José, could I ask your advice?"
    assert body.startswith("Hi José,\n")
    assert "Brightside, where we shared a desk" in body
    result = run("draft", "request", "jose-nunez")
    assert result.exit_code == 0, result.output
    text = (workspace / "drafts" / "jose-nunez--request.md").read_text(encoding="utf-8")
    assert "to: José Núñez <jose@example.org>\n" in text
    assert "subject: José, could I ask your advice?" in text
    assert "\nHi José,\n" in text


def test_request_with_a_bare_goal_drops_what_the_goal_leaves_out(
    run: Invoke, workspace: Path
) -> None:
    write(
        workspace / "goal.md",
        "---\nlooking_for: a mentor in hardware design\n"
        "request: Could we talk for 20 minutes about how you started?\n---\n",
    )
    _, body = preview(run, "request", "ada")
    assert "Could we talk for 20 minutes about how you started?" in body
    assert "a mentor in hardware design" in " ".join(body.split())
    for left_out in ("a video call", "30 minutes", "user-research", "checkout flows"):
        assert left_out not in body
    assert "help you in return" in " ".join(body.split())  # it still offers to help back
    assert_clean(body)


def test_thank_you_names_what_was_discussed_from_the_note(run: Invoke) -> None:
    subject, body = preview(run, "thank-you", "ada", "your tips on portfolio reviews")
    assert subject == "Thank you, Ada"
    flat = " ".join(body.split())
    assert "what you said about your tips on portfolio reviews." in flat
    _, without = preview(run, "thank-you", "ada")
    assert "portfolio" not in without
    assert "our time at the Python user group" in " ".join(without.split())
    assert_clean(body)


def test_thank_you_without_a_note_thanks_without_inventing_a_topic(run: Invoke) -> None:
    _, body = preview(run, "thank-you", "grace")
    assert "Thank you for" in body
    assert "I'd be glad to share the user-research templates" in " ".join(body.split())  # offer
    assert_clean(body)


def test_thank_you_names_the_meeting_logged_in_the_journal(run: Invoke) -> None:
    logged = run("log", "add", "ada", "met", "--note", "moving from fintech to grid software")
    assert logged.exit_code == 0, logged.output
    _, body = preview(run, "thank-you", "ada")
    assert " moving from fintech to grid software" in " ".join(body.split())
    _, body = preview(run, "thank-you", "ada", "the note wins")
    assert " the note wins" in " ".join(body.split())
    assert "fintech" not in body


def test_follow_up_is_gracious_about_silence(run: Invoke) -> None:
    subject, body = preview(run, "follow-up", "grace")
    assert subject == "Grace, following up on my note"  # no earlier message: a new one
    flat = " ".join(body.split())
    assert "no need to reply" in flat
    assert "Would you have 30 minutes" in flat
    assert "I'd be glad to share the user-research templates" in flat
    _, with_note = preview(run, "follow-up", "grace", "the conference on heat pumps")
    noted = " ".join(with_note.split())
    assert "reading about the conference on heat pumps. I'd love your view." in noted
    assert "conference" not in body
    assert_clean(with_note)


@pytest.mark.parametrize(
    ("person", "company"), [("ada", "Analytical Energy"), ("jose-nunez", "Gridwise")]
)
def test_check_in_asks_about_the_company_where_there_is_one(
    run: Invoke, person: str, company: str
) -> None:
    _, body = preview(run, "check-in", person)
    assert f" {company}" in body
    assert_clean(body)


def test_check_in_without_a_company_still_reads_well(run: Invoke) -> None:
    subject, body = preview(run, "check-in", "grace")
    assert subject == "Thinking of you, Grace"
    assert " at ?" not in body and "How are things with you?" in body
    assert "introduction" in body  # it offers, rather than asks
    assert "30 minutes" not in body
    assert_clean(body)


def test_check_in_gives_what_the_note_holds(run: Invoke) -> None:
    _, body = preview(run, "check-in", "grace", "heat pumps in old houses")
    assert "reading about heat pumps in old houses, and you came to mind." in " ".join(body.split())
    assert_clean(body)


def test_an_optional_custom_field_with_a_default(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "intro.md",
        "---\nkind: request\nsubject: Hello {{ contact.first_name }}\n---\n"
        "Hi {{ contact.first_name }}, how is {{ contact.company | default('the new job') }}?\n"
        "{% if contact.how_we_know is defined %}We met at {{ contact.how_we_know }}.{% endif %}\n",
    )
    add_people(workspace)
    _, ada = preview(run, "intro", "ada")
    assert ada == "Hi Ada, how is Analytical Energy?\nWe met at the Python user group.\n"
    _, bo = preview(run, "intro", "bo-min")
    assert bo == "Hi Bo, how is the new job?\n"


def test_preview_writes_nothing(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    preview(run, "request", "ada")
    assert snapshot(workspace) == before


# --- bad templates: message, line, exit 1, and no draft -----------------------------


def jinja_says(source: str) -> str:
    """Jinja's own words for a syntax error, as the installed release words it."""
    try:
        jinja2.Environment().from_string(source)
    except jinja2.TemplateSyntaxError as error:
        return str(error.message)
    raise AssertionError(f"{source!r} compiles")


FRONT = "---\nkind: thank-you\nsubject: Hello {{ contact.first_name }}\n---\n"

BAD_TEMPLATES = [
    # Jinja syntax errors, in the body and in the subject
    pytest.param(
        FRONT + "Hi {{ contact.first_name \n",
        5,
        jinja_says("Hi {{ contact.first_name \n"),
        id="unclosed-print",
    ),
    pytest.param(
        FRONT + "Hi,\n\n{% if %}x{% endif %}\n",
        7,
        jinja_says("{% if %}x{% endif %}"),
        id="empty-if",
    ),
    pytest.param(
        FRONT + "Hi,\n{% for x in contact.tags %}\n{{ x }}\n",
        6,
        "'{% for %}' is never closed: add '{% endfor %}'",
        id="unclosed-for",
    ),
    pytest.param(
        FRONT
        + "{% for x in contact.tags %}\n{% if x %}{{ x }}{% endif %}\n{% if x %}\n{% endfor %}\n",
        8,
        "('{% if %}' was opened on line 7)",
        id="endfor-inside-if",
    ),
    pytest.param(
        FRONT + "{% set x = 1 %}{% if x %}\n{% for y in contact.tags %}{% endfor %}\nHi\n",
        5,
        "'{% if %}' is never closed",
        id="unclosed-if",
    ),
    pytest.param(FRONT + "Hi,\n{% endif %}\n", 6, "endif", id="stray-endif"),
    pytest.param(
        FRONT + "Hi {{ contact.first_name | nosuchfilter }}\n",
        5,
        "nosuchfilter",
        id="unknown-filter",
    ),
    pytest.param(
        FRONT + "Hi\n{% if contact is nosuchtest %}x{% endif %}\n",
        6,
        "nosuchtest",
        id="unknown-test",
    ),
    pytest.param(
        '---\nkind: thank-you\nsubject: "Hi {{ contact.name"\n---\nHi\n',
        3,
        jinja_says("Hi {{ contact.name"),
        id="subject-syntax",
    ),
    pytest.param(
        FRONT + "Hi,\n\n{% include 'other.md' %}\n",
        7,
        "cannot include, import or extend",
        id="include",
    ),
    pytest.param(
        FRONT + "{% extends 'request.md' %}\n", 5, "cannot include, import or extend", id="extends"
    ),
    pytest.param(
        FRONT + "Hi\n{% import 'x.md' as x %}\n", 6, "cannot include, import or extend", id="import"
    ),
    # undefined names
    pytest.param(
        FRONT + "Hi,\n\nI loved your work at {{ contact.company }}.\n",
        7,
        "contact.company is not defined for Grace Hopper (grace-hopper): test it with 'is defined'",
        id="undefined-field",
    ),
    pytest.param(
        FRONT + "Hi {{ contac.first_name }}\n",
        5,
        "contac is not defined for Grace Hopper",
        id="typo-name",
    ),
    pytest.param(
        FRONT + "Hi\n{{ contact.employer.name }}\n",
        6,
        "contact.employer is not defined for Grace",
        id="nested",
    ),
    pytest.param(
        FRONT + "Hi\n{{ goal.budget }}\n",
        6,
        "goal.budget is not defined for Grace",
        id="goal-field",
    ),
    pytest.param(
        FRONT + "Hi\n{{ me.phone }}\n", 6, "me.phone is not defined for Grace", id="me-field"
    ),
    pytest.param(
        FRONT + "Hi\n{{ last.note }}\n",
        6,
        "'note' of none is not defined for Grace",
        id="no-last-entry",
    ),
    pytest.param(
        '---\nkind: thank-you\nsubject: "{{ contact.nickname }}, hello"\n---\nHi\n',
        3,
        "contact.nickname is not defined for Grace Hopper",
        id="undefined-in-subject",
    ),
    pytest.param(
        FRONT + "Hi\n{% for tag in contact.hobbies %}{{ tag }}{% endfor %}\n",
        6,
        "contact.hobbies is not defined for Grace",
        id="loop-over-undefined",
    ),
    pytest.param(
        FRONT + "Hi\n{{ contact.values }}\n",
        6,
        "contact.values is not defined for Grace",
        id="dict-method-name",
    ),
    # empty values
    pytest.param(
        FRONT + "Hi\n\n{{ note }}\n",
        7,
        "note is empty for Grace Hopper (grace-hopper)",
        id="no-note",
    ),
    pytest.param(
        FRONT + "Hi {{ contact.first_name }}{{ '  ' }}\n",
        5,
        "is empty for Grace",
        id="blank-literal",
    ),
    pytest.param(
        FRONT + "Hi\n{{ contact.role }}\n",
        6,
        "contact.role is empty for Grace Hopper",
        id="empty-custom-field",
    ),
    pytest.param(
        '---\nkind: thank-you\nsubject: "{{ contact.role }}"\n---\nHi\n',
        3,
        "contact.role is empty for Grace Hopper (grace-hopper)",
        id="empty-value-in-subject",
    ),
    pytest.param(
        '---\nkind: thank-you\nsubject: "{% if contact.like %}Hi{% endif %}"\n---\nHi\n',
        3,
        "the subject is empty for Grace Hopper",
        id="empty-subject",
    ),
    pytest.param(
        FRONT + "{% if contact.like %}Hi{% endif %}\n",
        5,
        "the message is empty for Grace Hopper",
        id="empty-body",
    ),
    # runtime errors
    pytest.param(FRONT + "Hi\n{{ 1 / 0 }}\n", 6, "ZeroDivisionError", id="division"),
    pytest.param(
        FRONT + "{% macro again() %}{{ again() }}{% endmacro %}\n{{ again() }}\n",
        5,
        "calls itself without end",
        id="recursion",
    ),
    # a line break reaching the subject from a value
    pytest.param(
        '---\nkind: thank-you\nsubject: "About {{ goal.story }}"\n---\nHi\n',
        3,
        "a line break reaches the subject from goal.story for Grace Hopper (grace-hopper)",
        id="line-break-in-subject",
    ),
    pytest.param(
        '---\nkind: thank-you\nsubject: "Hi {{ contact.notes }}"\n---\nHi\n',
        3,
        "a line break reaches the subject from contact.notes for Grace Hopper",
        id="multi-line-notes-in-subject",
    ),
    pytest.param(
        '---\nkind: thank-you\nsubject: "Hi {{ contact.title }}"\n---\nHi\n',
        3,
        "a line break reaches the subject from contact.title for Grace Hopper",
        id="line-separator-in-subject",
    ),
    pytest.param(
        '---\nkind: thank-you\nsubject: "Hi {{ contact.motto }}"\n---\nHi\n',
        3,
        "a control character reaches the subject from contact.motto for Grace Hopper",
        id="control-character-in-subject",
    ),
]

SANDBOX_ESCAPES = [
    "{{ contact.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ range.__self__ }}",
    "{{ today.__class__.__init__ }}",
    "{{ contact|attr('__class__') }}",
    "{{ contact['__class__'].__base__ }}",
    "{{ '{0.__class__}'.format(contact) }}",
    "{{ '%s'|format(contact.__class__) }}",
    "{{ contact._Fields__x or contact.__dict__ }}",
    "{{ [].append(1) }}",
    "{{ goal.__class__.__subclasses__() }}",
    "{{ me.__init__.__globals__ }}",
    "{{ 'x' * 10000000 }}",
    "{{ 2 ** 100000 }}",
]

GRACE = """
- name: Grace Hopper
  email: grace.hopper@example.org
  first_name: Grace
  role: ""
  title: "Rear\\u2028Admiral"
  motto: "ring\\abell"
  notes: |
    Ran the compiler group.
    Likes direct questions.
"""


def bad_template_workspace(workspace: Path, text: str) -> None:
    write(workspace / "templates" / "bad.md", text)
    write(workspace / "contacts.yaml", GRACE)


@pytest.mark.parametrize(("text", "line", "message"), BAD_TEMPLATES)
def test_bad_template_is_refused_with_its_line_and_no_draft(
    run: Invoke, workspace: Path, text: str, line: int, message: str
) -> None:
    bad_template_workspace(workspace, text)
    before = snapshot(workspace)
    result = run("draft", "bad", "grace")
    assert result.exit_code == 1, result.output
    errors = result.stderr.splitlines()
    assert errors, result.output
    assert errors[0].startswith(f"Error: templates/bad.md:{line}: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(workspace) == before
    assert not list((workspace / "drafts").iterdir())


@pytest.mark.parametrize("expression", SANDBOX_ESCAPES)
def test_sandbox_escapes_are_refused(run: Invoke, workspace: Path, expression: str) -> None:
    bad_template_workspace(
        workspace, FRONT + "Hi {{ contact.first_name }},\n\n" + expression + "\n"
    )
    before = snapshot(workspace)
    result = run("draft", "bad", "grace")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: templates/bad.md:7: "), result.stderr
    assert "not allowed in a template: " in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
    for leak in ("<class", "subclasses", "<module", "built-in", "Fields", "function"):
        assert leak not in result.stdout
    assert snapshot(workspace) == before


@pytest.mark.parametrize(
    "expression",
    ["{{ contact.__class__ }}", "{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}"],
)
def test_sandbox_escape_says_it_is_not_allowed(
    run: Invoke, workspace: Path, expression: str
) -> None:
    bad_template_workspace(workspace, FRONT + expression + "\n")
    result = run("draft", "bad", "grace")
    assert result.exit_code == 1
    assert "templates/bad.md:5: not allowed in a template: " in result.stderr
    assert "reaches into Python itself" in result.stderr


def test_the_fields_object_shows_nothing_of_itself(run: Invoke, workspace: Path) -> None:
    """contact.label, contact.items: only the person's own fields are reachable."""
    bad_template_workspace(workspace, FRONT + "{{ contact.label }}\n")
    result = run("draft", "bad", "grace")
    assert result.exit_code == 1
    assert "contact.label is not defined for Grace Hopper" in result.stderr
    write(
        workspace / "contacts.yaml",
        "- name: Val Items\n  email: val@example.org\n  values: honesty\n  items: three\n",
    )
    write(
        workspace / "templates" / "bad.md", FRONT + "{{ contact.values }}, {{ contact['items'] }}\n"
    )
    result = run("templates", "preview", "bad", "--to", "val")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n\nhonesty, three\n")


BROKEN_FRONT_MATTER = [
    pytest.param(
        "kind: thank-you\nsubject: Hi\n---\nHi\n",
        1,
        "starts with front matter",
        id="no-front-matter",
    ),
    pytest.param(
        "---\nkind: thank-you\nsubject: Hi\nHi\n", 1, "starts with front matter", id="unclosed"
    ),
    pytest.param("---\nkind: thank-you\nsubject: [Hi\n---\nHi\n", 4, "invalid YAML", id="bad-yaml"),
    pytest.param(
        "---\nkind: thank-you\n  subject: Hi\n---\nHi\n", 3, "invalid YAML", id="bad-indent"
    ),
    pytest.param("---\n- kind\n---\nHi\n", 2, "must hold kind: and subject:", id="a-list"),
    pytest.param("---\n---\nHi\n", 2, "must hold kind: and subject:", id="empty"),
    pytest.param(
        "---\nkind: thank-you\nsubject: Hi\nsubjet: Hello\n---\nHi\n",
        4,
        "unknown field 'subjet'",
        id="unknown-key",
    ),
    pytest.param("---\nsubject: Hi\n---\nHi\n", 2, "'kind' is missing", id="no-kind"),
    pytest.param("---\nkind: thank-you\n---\nHi\n", 2, "'subject' is missing", id="no-subject"),
    pytest.param(
        "---\nkind: thank-you\nsubject:\n---\nHi\n", 3, "'subject' is empty", id="null-subject"
    ),
    pytest.param(
        '---\nkind: thank-you\nsubject: "  "\n---\nHi\n',
        3,
        "'subject' is empty",
        id="blank-subject",
    ),
    pytest.param(
        "---\nkind: thanks\nsubject: Hi\n---\nHi\n",
        2,
        "'kind' must be one of request",
        id="bad-kind",
    ),
    pytest.param(
        "---\nkind: [request]\nsubject: Hi\n---\nHi\n", 2, "'kind' must be text", id="kind-list"
    ),
    pytest.param(
        "---\nkind: thank-you\nsubject: Hi\nkind: request\n---\nHi\n",
        4,
        "'kind' is given twice",
        id="kind-twice",
    ),
    pytest.param(
        "---\nkind: request\nsubject: Hi\nfollow_up_after: soon\n---\nHi\n",
        4,
        "'follow_up_after'",
        id="follow-up-word",
    ),
    pytest.param(
        "---\nkind: request\nsubject: Hi\nfollow_up_after: 7\n---\nHi\n",
        4,
        "such as 10d, 3w or 2m",
        id="follow-up-no-unit",
    ),
    pytest.param(
        "---\nkind: request\nsubject: Hi\nfollow_up_after: 0d\n---\nHi\n",
        4,
        "at least 1d",
        id="follow-up-zero",
    ),
    pytest.param(
        "---\nkind: request\nsubject: Hi\nhtml: yes\n---\nHi\n",
        4,
        "'html' must be true or false",
        id="html-yes",
    ),
    pytest.param(
        "---\nkind: request\nsubject: Hi\nreply_to: nobody\n---\nHi\n",
        4,
        "'reply_to'",
        id="bad-reply-to",
    ),
    pytest.param(
        '---\nkind: request\nsubject: "Hi\\nthere"\n---\nHi\n',
        3,
        "'subject' must be one line",
        id="subject-two-lines",
    ),
    pytest.param(
        "---\nkind: request\nsubject: |\n  Hi\n  there\n---\nHi\n",
        3,
        "'subject' must be one line",
        id="subject-block",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), BROKEN_FRONT_MATTER)
def test_broken_front_matter_is_refused_with_its_line(
    run: Invoke, workspace: Path, text: str, line: int, message: str
) -> None:
    write(workspace / "templates" / "bad.md", text)
    before = snapshot(workspace)
    result = run("draft", "bad", "ada")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: templates/bad.md:{line}: "), result.stderr
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert snapshot(workspace) == before
    check = run("templates", "check", "bad")
    assert check.exit_code == 1
    assert f"templates/bad.md:{line}: " in check.stderr


def test_every_problem_in_front_matter_at_once(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "bad.md",
        "---\nkind: thanks\nsubject: Hi\nfollow_up_after: soon\nhtml: maybe\n---\nHi\n",
    )
    result = run("draft", "bad", "ada")
    assert result.exit_code == 1
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == [
        "templates/bad.md:2",
        "templates/bad.md:4",
        "templates/bad.md:5",
    ]


def test_a_line_break_in_the_note_cannot_reach_the_subject(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "about.md",
        '---\nkind: check-in\nsubject: "About {{ note }}"\n---\nHi\n',
    )
    before = snapshot(workspace)
    result = run("draft", "about", "ada", "--note", "heat pumps\nBcc: everyone@example.org")
    assert result.exit_code == 1
    assert (
        "Error: templates/about.md:3: a line break reaches the subject from note for Ada Lovelace"
        in (result.stderr)
    )
    assert snapshot(workspace) == before


def test_a_note_with_line_breaks_is_fine_in_the_body(run: Invoke, workspace: Path) -> None:
    result = run("draft", "thank-you", "ada", "--note", "two things:\nthe grid\nthe people")
    assert result.exit_code == 0, result.output
    text = (workspace / "drafts" / "ada-lovelace--thank-you.md").read_text(encoding="utf-8")
    assert " two things:\nthe grid\nthe people" in text


# --- outreach templates list | new | edit | check ------------------------------------


def test_templates_list(run: Invoke) -> None:
    result = run("templates", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "FOLLOW", "UP", "SUBJECT"]
    assert [line.split()[0] for line in lines[1:]] == [
        "check-in",
        "follow-up",
        "request",
        "thank-you",
    ]
    assert "request    request    7d" in result.stdout


def test_templates_list_json(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "nudge.md",
        "---\nkind: follow-up\nsubject: Nudge\nfollow_up_after: 2w\n---\nHi\n",
    )
    result = run("templates", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0] == {
        "name": "check-in",
        "kind": "check-in",
        "subject": "Thinking of you, {{ contact.first_name }}",
        "follow_up_after": None,
    }
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"check-in", "follow-up", "nudge", "request", "thank-you"}
    assert by_name["request"]["follow_up_after"] == "7d"
    assert by_name["nudge"] == {
        "name": "nudge",
        "kind": "follow-up",
        "subject": "Nudge",
        "follow_up_after": "14d",
    }
    assert all(set(row) == {"name", "kind", "subject", "follow_up_after"} for row in rows)


def test_templates_list_names_a_broken_template_and_lists_the_rest(
    run: Invoke, workspace: Path
) -> None:
    write(workspace / "templates" / "bad.md", "---\nkind: nope\nsubject: Hi\n---\nHi\n")
    result = run("templates", "list", "--json")
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)) == 4
    kinds = "request | thank-you | follow-up | check-in"
    assert result.stderr == f"Error: templates/bad.md:2: 'kind' must be one of {kinds}\n"


@pytest.mark.parametrize("kind", ALL_TEMPLATES)
def test_templates_new_starts_from_the_shipped_template_of_its_kind(
    run: Invoke, workspace: Path, kind: str
) -> None:
    result = run("templates", "new", "my-one", "--kind", kind, "--no-edit")
    assert result.exit_code == 0, result.output
    made = (workspace / "templates" / "my-one.md").read_text(encoding="utf-8")
    assert made == (workspace / "templates" / f"{kind}.md").read_text(encoding="utf-8")
    listed = {row["name"]: row for row in json.loads(run("templates", "list", "--json").stdout)}
    assert listed["my-one"]["kind"] == kind
    drafted = run("draft", "my-one", "ada")
    assert drafted.exit_code == 0, drafted.output
    assert "kind: " + kind in (workspace / "drafts" / "ada-lovelace--my-one.md").read_text(
        encoding="utf-8"
    )


def test_templates_new_refuses_to_overwrite(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    result = run("templates", "new", "request", "--kind", "check-in", "--no-edit")
    assert result.exit_code == 1
    assert result.stderr == "Error: templates/request.md: exists already; edit it instead\n"
    assert snapshot(workspace) == before


@pytest.mark.parametrize("name", ["Bad Name", "../escape", "UPPER", "a--b"])
def test_templates_new_refuses_a_bad_name(run: Invoke, workspace: Path, name: str) -> None:
    before = snapshot(workspace)
    result = run("templates", "new", name, "--no-edit")
    assert result.exit_code == 1
    assert f"'{name}' cannot name a template" in result.stderr
    assert snapshot(workspace) == before


def test_templates_new_with_a_bad_kind_is_a_usage_error(run: Invoke) -> None:
    result = run("templates", "new", "x", "--kind", "thanks", "--no-edit")
    assert result.exit_code == 2


def test_templates_new_opens_the_editor(run: Invoke, workspace: Path, tmp_path: Path) -> None:
    command = editor(tmp_path, "Thinking of you", "Long time no see")
    result = run("templates", "new", "catch-up", "--kind", "check-in", env={"EDITOR": command})
    assert result.exit_code == 0, result.output
    assert "templates/catch-up.md is fine." in result.stdout
    _, subject_line = (
        (workspace / "templates" / "catch-up.md").read_text(encoding="utf-8").split("\n")[1:3]
    )
    assert subject_line == 'subject: "Long time no see, {{ contact.first_name }}"'


def test_templates_edit_saves_and_checks(run: Invoke, workspace: Path, tmp_path: Path) -> None:
    command = editor(tmp_path, "Hi {{ contact.first_name }},", "Dear {{ contact.first_name }},")
    result = run("templates", "edit", "request", env={"EDITOR": command})
    assert result.exit_code == 0, result.output
    assert result.stdout == "templates/request.md is fine.\n"
    _, body = preview(run, "request", "ada")
    assert body.startswith("Dear Ada,\n")


def test_templates_edit_uses_visual_before_editor(
    run: Invoke, workspace: Path, tmp_path: Path
) -> None:
    command = editor(tmp_path, "Warmly,", "Cheers,")
    result = run("templates", "edit", "check-in", env={"VISUAL": command, "EDITOR": "false"})
    assert result.exit_code == 0, result.output
    assert "Cheers," in (workspace / "templates" / "check-in.md").read_text(encoding="utf-8")


def test_templates_edit_reports_what_the_saved_file_breaks(
    run: Invoke, workspace: Path, tmp_path: Path
) -> None:
    command = editor(tmp_path, "Warmly,", "Warmly, and say hi to {{ contact.company }},")
    result = run("templates", "edit", "check-in", env={"EDITOR": command})
    assert result.exit_code == 1
    lines = (workspace / "templates" / "check-in.md").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if "say hi to" in text)
    errors = result.stderr.splitlines()
    assert errors[0].startswith(
        f"Error: templates/check-in.md:{line}: contact.company is not defined for Grace Hopper"
    )
    assert errors[0].endswith("(and 1 more)")
    assert errors[-1] == "Error: templates/check-in.md was saved with the problems above"
    # the edit is kept: the person can see it and fix it
    assert "say hi to {{ contact.company }}" in lines[line - 1]


def test_templates_edit_of_an_unknown_template(run: Invoke) -> None:
    result = run("templates", "edit", "nope", env={"EDITOR": "false"})
    assert result.exit_code == 1
    assert "no template 'nope' in templates/" in result.stderr


def test_templates_edit_when_the_editor_fails(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    result = run("templates", "edit", "request", env={"EDITOR": "false"})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the editor could not be opened")
    assert snapshot(workspace) == before


def test_templates_check_passes_on_the_example(run: Invoke, workspace: Path) -> None:
    before = snapshot(workspace)
    result = run("templates", "check")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Every template renders for everyone it would reach.\n"
    assert snapshot(workspace) == before


def test_templates_check_lints_against_everyone_a_batch_would_reach(
    run: Invoke, workspace: Path
) -> None:
    write(
        workspace / "templates" / "company.md",
        "---\nkind: check-in\nsubject: Hi\n---\nHow is {{ contact.company }}?\n",
    )
    before = snapshot(workspace)
    result = run("templates", "check")
    assert result.exit_code == 1
    # Grace and Mei have no company; Tom (doubts) and Priya (no email) are never in a batch
    assert result.stderr == (
        "Error: templates/company.md:5: contact.company is not defined for Grace Hopper "
        "(grace-hopper): test it with 'is defined' or give a default(...) (and 1 more)\n"
    )
    assert snapshot(workspace) == before
    named = run("templates", "check", "request", "thank-you")
    assert named.exit_code == 0, named.output


def test_templates_check_warns_that_requests_wait_for_a_clear_goal(
    run: Invoke, workspace: Path
) -> None:
    goal = workspace / "goal.md"
    write(
        goal,
        goal.read_text(encoding="utf-8").replace(
            "looking_for: a product", "looking_for: TODO a product"
        ),
    )
    result = run("templates", "check")
    assert result.exit_code == 0, result.output
    assert (
        "Warning: templates/request.md: cannot be drafted until goal.md is clear" in result.stderr
    )


def test_a_template_that_loops_too_long_is_stopped(
    run: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import outreach.composing.renderer

    monkeypatch.setattr(outreach.composing.renderer, "RENDER_SECONDS", 0.3)
    write(
        workspace / "templates" / "slow.md",
        "---\nkind: check-in\nsubject: Hello\n---\n"
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n"
        "Hi {{ contact.first_name }}\n",
    )
    before = snapshot(workspace)
    result = run("draft", "slow", "ada")
    assert result.exit_code == 1
    assert (
        "templates/slow.md:5: rendering for Ada Lovelace (ada-lovelace) took more than 0.3 s"
        in (result.stderr)
    )
    assert snapshot(workspace) == before


# --- what a template may make: no value, message or render past its limits ------------------

BOMBS = [
    pytest.param("{{ 'a'|center(10**8) }}", "center", id="center-filter"),
    pytest.param("{{ 'a'|center(10**9) }}", "center", id="center-billion"),
    pytest.param("{{ 'a'|center(100000000) }}", "center", id="center-folded-when-compiled"),
    pytest.param("{{ 'a\\nb'|indent(10**8) }}", "indent", id="indent"),
    pytest.param("{{ 'a\\nb'|indent('x' * 100000) }}", "indent", id="indent-text"),
    pytest.param("{{ '%0100000000d' % 1 }}", "'%'", id="printf-width"),
    pytest.param("{{ '%*d' % (10**8, 1) }}", "'%'", id="printf-star-width"),
    pytest.param("{{ '%.100000000f' % 1.5 }}", "'%'", id="printf-precision"),
    pytest.param("{{ '%0100000000d'|format(1) }}", "format", id="format-filter"),
    pytest.param("{{ '%*d'|format(10**8, 1) }}", "format", id="format-filter-star"),
    pytest.param("{{ '{:>100000000}'.format(1) }}", "format()", id="str-format-width"),
    pytest.param("{{ '{:{}}'.format(1, 10**8) }}", "format()", id="str-format-nested-width"),
    pytest.param("{{ '{x:>100000000}'.format_map({'x': 1}) }}", "format()", id="format-map"),
    pytest.param(
        "{{ '{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}'.format('x' * 100000) }}",
        "format()",
        id="format-repeats-a-field",
    ),
    pytest.param("{{ lipsum(3*10**4) }}", "lipsum()", id="lipsum"),
    pytest.param(
        "{{ 'a'|replace('a', 'a' * 100000)|replace('a', 'a' * 100000) }}",
        "replace",
        id="replace-twice",
    ),
    pytest.param(
        "{{ ('a' * 100000).replace('a', 'b' * 100000) }}", "replace()", id="replace-method"
    ),
    pytest.param("{{ range(100000)|join('x' * 100000) }}", "join", id="join-separator"),
    pytest.param("{{ ('x' * 100000).join(range(100000)) }}", "join()", id="join-method"),
    pytest.param("{{ 'a'.ljust(10**8) }}", "ljust()", id="ljust"),
    pytest.param("{{ 'a'.rjust(10**8) }}", "rjust()", id="rjust"),
    pytest.param("{{ 'a'.center(10**8) }}", "center()", id="center-method"),
    pytest.param("{{ '1'.zfill(10**8) }}", "zfill()", id="zfill"),
    pytest.param("{{ ('\\t' * 100000).expandtabs(100000) }}", "expandtabs()", id="expandtabs"),
    pytest.param(
        "{{ ('a' * 100000).translate({97: 'x' * 100000}) }}", "translate()", id="translate"
    ),
    pytest.param(
        "{{ ('a ' * 50000)|wordwrap(1, wrapstring='x' * 100000) }}", "wordwrap", id="wordwrap"
    ),
    pytest.param("{{ ('x.org ' * 10000)|urlize(rel='r' * 100000) }}", "urlize", id="urlize-rel"),
    pytest.param("{{ [1]|batch(10**9, 0)|list|length }}", "batch", id="batch-fill"),
    pytest.param("{{ [1]|slice(10**9)|list|length }}", "slice", id="slice"),
    pytest.param("{{ range(10**9)|length }}", "range()", id="range"),
    pytest.param("{{ 'x'.encode() * 10**9 }}", "'*'", id="bytes-times"),
    pytest.param("{{ (['x' * 100000] * 100000)|length }}", "'*'", id="list-of-big-texts"),
    pytest.param("{{ (5).to_bytes(10**9, 'big') }}", "to_bytes()", id="to-bytes"),
    pytest.param(
        "{{ range(100000)|map('center', 100000)|list|length }}",
        "in all",
        id="many-allowed-values",
    ),
    pytest.param(
        "{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}",
        "in all",
        id="loop-of-allowed-products",
    ),
    pytest.param(
        "{% set big = 'x' * 50000 %}{% for i in range(100000) %}{{ big }}{% endfor %}",
        "the message is longer than 100,000 characters",
        id="loop-printing-one-value",
    ),
    pytest.param(
        "{% set x %}{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{% endset %}",
        "in all",
        id="block-of-allowed-products",
    ),
    pytest.param(
        "{% set big = 'x' * 99999 %}"
        "{% set x %}{% for i in range(100000) %}{{ big }}{% endfor %}{% endset %}",
        "a block or a macro",
        id="block-of-one-value-many-times",
    ),
    pytest.param(
        "{% set ns = namespace(s='ab') %}"
        "{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
        "'~'",
        id="concatenation-in-a-loop",
    ),
    pytest.param(
        "{% set ns = namespace(s=['ab']) %}"
        "{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
        "'+'",
        id="list-sum-in-a-loop",
    ),
    pytest.param(
        "{% set ns = namespace(s=[1]) %}"
        "{% for i in range(100) %}{% set ns.s = [ns.s, ns.s] %}{% endfor %}{{ ns.s|length }}",
        "namespace",
        id="nested-lists-in-a-loop",
    ),
    pytest.param(
        "{% set ns = namespace(n=10) %}"
        "{% for i in range(100) %}{% set ns.n = ns.n * ns.n %}{% endfor %}{{ ns.n }}",
        "digits",
        id="number-squared-in-a-loop",
    ),
    pytest.param(
        "{% macro twice(s, n) %}{{ twice(s ~ s, n - 1) if n else s|length }}{% endmacro %}"
        "{{ twice('ab', 100) }}",
        "'~'",
        id="macro-doubling",
    ),
]


@pytest.mark.parametrize(("expression", "what"), BOMBS)
def test_a_template_cannot_make_a_huge_value(
    run: Invoke, workspace: Path, expression: str, what: str
) -> None:
    bad_template_workspace(
        workspace, FRONT + "Hi {{ contact.first_name }},\n\n" + expression + "\n"
    )
    before = snapshot(workspace)
    result = run("draft", "bad", "grace")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: templates/bad.md:7: "), result.stderr
    assert what in result.stderr
    assert "for Grace Hopper (grace-hopper)" in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "bug" not in result.stderr and "MemoryError" not in result.stderr
    assert snapshot(workspace) == before


def test_a_loop_that_fills_a_block_is_stopped_by_its_memory(
    run: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Millions of small pieces, each allowed, kept in a block: the render's memory is watched."""
    import outreach.composing.renderer

    monkeypatch.setattr(outreach.composing.renderer, "MAX_MEMORY", 8 * 2**20)  # to stop it sooner
    bad_template_workspace(
        workspace,
        FRONT + "Hi {{ contact.first_name }},\n\n"
        "{% set x %}{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}"
        "{% endfor %}{% endfor %}{% endset %}\n",
    )
    before = snapshot(workspace)
    result = run("draft", "bad", "grace")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: templates/bad.md:7: rendering for Grace Hopper"), (
        result.stderr
    )
    assert "took more than 8 MB of memory and was stopped" in result.stderr
    assert snapshot(workspace) == before


def test_the_time_limit_bounds_a_whole_batch(
    run: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template that runs into the limit costs it once, not once a person: the others share
    what is left of the batch's time, and once it is spent they are not rendered at all."""
    import outreach.composing.renderer

    monkeypatch.setattr(outreach.composing.renderer, "RENDER_SECONDS", 0.3)
    write(
        workspace / "templates" / "slow.md",
        "---\nkind: check-in\nsubject: Hello\n---\n"
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n"
        "Hi {{ contact.first_name }}\n",
    )
    before = snapshot(workspace)
    result = run("draft", "slow", "--all")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 4, result.stderr  # Ada, Grace, José and Mei, in contacts.yaml's order
    assert errors[0] == (
        "Error: templates/slow.md:5: rendering for Ada Lovelace (ada-lovelace) took more than "
        "0.3 s and was stopped: does a loop run for too long?"
    )
    for error in errors[1:]:
        assert error.startswith("Error: templates/slow.md:5: rendering for "), error
        assert "was stopped: this template's renders took more than 0.3 s and 10 ms a person" in (
            error
        )
    assert snapshot(workspace) == before


NOT_TEXT = [
    pytest.param(
        "{{ contact.first_name.upper }}",
        "contact.first_name.upper is a method, not text, for Grace Hopper (grace-hopper): "
        "call it with ()",
        id="method",
    ),
    pytest.param("{{ cycler }}", "cycler is a Python class, not text, for Grace", id="class"),
    pytest.param("{{ range }}", "range is a function, not text, for Grace", id="function"),
    pytest.param("{{ lipsum }}", "lipsum is a function, not text", id="lipsum"),
    pytest.param("{% macro m() %}x{% endmacro %}{{ m }}", "is a macro, not text", id="macro"),
    pytest.param(
        "{{ goal.options }}",
        "goal.options is a list, not text, for Grace Hopper (grace-hopper): "
        "print its items with join(', ') or join_or",
        id="list",
    ),
    pytest.param("{{ contact }}", "contact is a set of fields, not text", id="fields"),
    pytest.param("{{ 1 < 2 }}", "is true or false, not text", id="boolean"),
    pytest.param(
        "{{ goal.options|map('upper') }}", "is a sequence of values, not text", id="generator"
    ),
    pytest.param("{{ namespace() }}", "is a namespace, not text", id="namespace"),
    pytest.param("{{ 'x'.encode() }}", "is bytes, not text", id="bytes"),
    pytest.param(
        "{{ 'Hi ' ~ contact.first_name.upper }}", "'~' is given a method, not text", id="tilde"
    ),
    pytest.param(
        "{{ contact.first_name.upper|string }}", "string is given a method", id="string-filter"
    ),
    pytest.param(
        "{{ [contact.first_name.upper]|join }}", "join is given a method", id="join-filter"
    ),
    pytest.param("{{ '%s' % contact.first_name.upper }}", "'%' is given a method", id="percent"),
    pytest.param(
        "{{ '{}'.format(contact.first_name.upper) }}", "format() is given a method", id="format"
    ),
]


@pytest.mark.parametrize(("expression", "message"), NOT_TEXT)
def test_printing_a_value_with_no_text_is_an_error(
    run: Invoke, workspace: Path, expression: str, message: str
) -> None:
    bad_template_workspace(
        workspace, FRONT + "Hi {{ contact.first_name }},\n\n" + expression + "\n"
    )
    before = snapshot(workspace)
    result = run("draft", "bad", "grace")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: templates/bad.md:7: "), result.stderr
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    for leak in ("<built-in", "<function", "<class", "object at 0x", "<generator"):
        assert leak not in result.output
    assert snapshot(workspace) == before


def test_text_numbers_and_dates_print(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "values.md",
        "---\nkind: check-in\nsubject: Hello\n---\n"
        "{{ contact.first_name.upper() }} {{ 3 }} {{ 2.5 }} {{ today.year > 2000 }}\n"
        "{{ goal.options|join(', ') }}; {{ goal.options|string }}; {{ goal.options|length }}\n",
    )
    result = run("templates", "preview", "values", "--to", "ada")
    assert result.exit_code == 1  # true or false has no text: test it with {% if %}
    assert "today.year > 2000 is true or false, not text" in result.stderr
    write(
        workspace / "templates" / "values.md",
        "---\nkind: check-in\nsubject: Hello\n---\n"
        "{{ contact.first_name.upper() }} {{ 3 }} {{ 2.5 }} {{ today.year }}\n"
        "{{ goal.options|join(', ') }};\n{{ goal.options|string }}; {{ goal.options|length }}\n",
    )
    result = run("templates", "preview", "values", "--to", "ada")
    assert result.exit_code == 0, result.output
    year = str(__import__("datetime").date.today().year)
    assert result.stdout.endswith(
        f"\n\nADA 3 2.5 {year}\n"
        "a phone call, a video call, coffee;\n['a phone call', 'a video call', 'coffee']; 3\n"
    )
