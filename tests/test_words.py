"""The shipped templates' words: drafted for every example person, with and without each
optional field, with every --note of the help examples, with and without a meeting, a gift
and an earlier message to answer, no draft has a blank, a doubled word, a repeated sentence,
an ISO date or a line over 78 characters. And the filters that make the words."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from outreach.composing.context import me_fields
from outreach.composing.loading import load_renderer
from outreach.composing.renderer import Fields, Renderer
from outreach.composing.words import long_date, quote, wrap
from outreach.people.contact import Contact
from outreach.workspace.folder import Workspace
from outreach.workspace.goal import load_goal
from tests.conftest import Invoke
from tests.readme_help import commands

TEMPLATES = ("request", "follow-up", "check-in", "thank-you")
TODAY = date(2026, 11, 29)
CONTACT_FIELDS = ("how_we_know", "company", "first_name")  # what the templates print, if there
GOAL_FIELDS = ("story", "time_needed", "options", "offer")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
CLOSINGS = ("Thank you,", "All the best,", "Warmly,", "With thanks,")


def help_notes() -> list[str]:
    """Every --note of the commands' help examples that a template prints: drafting,
    previewing and thanking, and the meetings and calls a thank-you names."""
    notes = []
    for command, _ in commands():
        for line in (command.help or "").splitlines():
            if "--note" not in line or not line.strip().startswith("outreach "):
                continue
            words = shlex.split(line)
            if words[1:3] == ["log", "add"] and words[4] not in ("met", "call"):
                continue  # a reply's or a gift's note is the journal's, never printed
            notes.append(words[words.index("--note") + 1])
    return notes


def entry(kind: str, on: str, note: str | None = None) -> dict[str, object]:
    return {"kind": kind, "on": on, "at": None, "note": note, "subject": None, "template": None}


def render(
    renderer: Renderer,
    person: Contact,
    goal: Mapping[str, Any],
    me: Mapping[str, str],
    *,
    without: str | None = None,
    **more: Any,
) -> tuple[str, str]:
    fields = person.template_fields()
    fields.pop(without or "", None)
    if without == "first_name":
        fields["first_name"] = person.name.split()[0]  # what a contact without one gets
    rendered = renderer.render(
        contact=Fields("contact", fields), who=person.label, goal=goal, me=me, today=TODAY, **more
    )
    return rendered.subject, rendered.body


def drafts(workspace: Path) -> Iterator[tuple[str, str, str, str]]:
    """(what, template, subject, body) for every variant of every template and person."""
    folder = Workspace(workspace)
    goal, _ = load_goal(folder.goal_file)
    full_goal = goal.template_fields()
    me = me_fields(folder.settings)
    people = folder.load_contacts()
    renderers = {name: load_renderer(folder.templates_dir, name, 7) for name in TEMPLATES}
    journals: dict[str, dict[str, Any]] = {
        "no journal": {},
        "a meeting": {"last": entry("met", "2026-11-25", "how Gridwise hires designers")},
        "a call": {"last": entry("call", "2026-11-24")},
        "a gift": {"given": [entry("gave", "2026-11-26", "the research templates")]},
        "a gift last year": {"given": [entry("gave", "2025-10-02")]},
    }
    for person in people:
        request = render(renderers["request"], person, full_goal, me)
        thread = {
            "subject": request[0],
            "sent_on": date(2026, 11, 22),
            "message_id": "<1@example.org>",
            "quote": request[1],
        }
        for name, renderer in renderers.items():
            variants: list[tuple[str, dict[str, Any]]] = [
                (label, journal) for label, journal in journals.items()
            ]
            variants += [(f"without {f}", {"without": f}) for f in CONTACT_FIELDS]
            variants += [(f"--note {note!r}", {"note": note}) for note in help_notes()]
            variants += [(f"goal without {f}", {"goal_without": f}) for f in GOAL_FIELDS]
            if name == "follow-up":
                variants += [
                    ("a thread", {"thread": thread}),
                    ("a thread and a gift", {"thread": thread, **journals["a gift"]}),
                ]
            for label, options in variants:
                left_out = options.pop("goal_without", None)
                the_goal = {k: v for k, v in full_goal.items() if k != left_out}
                subject, body = render(renderer, person, the_goal, me, **options)
                yield f"{name} for {person.id}, {label}", name, subject, body


def own_words(body: str) -> str:
    """The body without the quote of an earlier message (and the line that introduces it)."""
    lines = body.split("\n")
    for number, line in enumerate(lines):
        if line.endswith(" wrote:") and number + 1 < len(lines) and lines[number + 1][:1] == ">":
            return "\n".join(lines[:number])
    return body


def sentences(text: str) -> list[str]:
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(paragraph.split())
        found += [s for s in re.split(r"(?<=[.?!])\s+", flat) if s]
    return found


def faults(subject: str, body: str, goal: Mapping[str, Any]) -> list[str]:
    """What a careful writer would not send."""
    found = []
    mine = own_words(body)
    flat = " ".join(mine.split())
    for trace in ("{{", "}}", "{%", "%}", "None", "Undefined", "\n\n\n"):
        if trace in body:
            found.append(f"{trace!r} in the body")
    for blank in (r"  ", r" ,", r" \.", r" \?", r"\(\)", r"\b(?:the|a|an|at|of|to|about) [.,?]"):
        for line in mine.splitlines():
            if re.search(blank, line.rstrip()):
                found.append(f"a blank ({blank!r}) in {line!r}")
    doubled = re.search(r"(?i)\b(\w+)\s+\1\b", flat)
    if doubled:
        found.append(f"a doubled word: {doubled.group()!r}")
    said = sentences(mine)
    for sentence in set(said):
        if said.count(sentence) > 1:
            found.append(f"a sentence said twice: {sentence!r}")
    if "time_needed" in goal and flat.count(goal["time_needed"]) > 1:
        found.append(f"{goal['time_needed']!r} said twice")
    if ISO_DATE.search(body):
        found.append(f"an ISO date: {ISO_DATE.search(body).group()!r}")  # type: ignore[union-attr]
    for line in body.splitlines():
        if len(line) > 78:
            found.append(f"a line of {len(line)} characters: {line!r}")
        if len(line) > 72 and line in mine.splitlines() and not line.startswith(">"):
            found.append(f"an own line over 72 characters: {line!r}")
    if not any(closing in mine for closing in CLOSINGS):
        found.append("no closing line")
    if not subject.strip() or "  " in subject or ISO_DATE.search(subject):
        found.append(f"a subject with a blank or a date: {subject!r}")
    if subject.startswith("Re: Re:"):
        found.append(f"a stacked Re: {subject!r}")
    return found


def test_every_draft_of_every_shipped_template_reads_as_written_by_hand(
    workspace: Path,
) -> None:
    found = {}
    count = 0
    for what, _, subject, body in drafts(workspace):
        count += 1
        goal = load_goal(Workspace(workspace).goal_file)[0].template_fields()
        problems = faults(subject, body, goal)
        if problems:
            found[what] = (problems, body)
    assert count > 6 * 4 * 15  # people, templates, variants
    assert not found, "\n\n".join(f"{what}: {p}\n{body}" for what, (p, body) in found.items())


def test_the_check_finds_what_it_looks_for() -> None:
    goal = {"time_needed": "30 minutes"}
    good = "Hi Ada,\n\nWould you have 30 minutes?\n\nThank you,\nSam\n"
    assert faults("Hello", good, goal) == []
    for bad in (
        "Hi Ada,\n\nI met you at  the gym.\n\nThank you,\nSam\n",
        "Hi Ada,\n\nI met you at the .\n\nThank you,\nSam\n",
        "Hi Ada,\n\nThank you for the the call.\n\nThank you,\nSam\n",
        "Hi Ada,\n\nIt meant a lot. It meant a lot.\n\nThank you,\nSam\n",
        "Hi Ada,\n\n30 minutes? I'll keep it to 30 minutes.\n\nThank you,\nSam\n",
        "Hi Ada,\n\nWe met on 2026-11-25.\n\nThank you,\nSam\n",
        "Hi Ada,\n\n" + "word " * 20 + "\n\nThank you,\nSam\n",
    ):
        assert faults("Hello", bad, goal), bad


def test_the_help_examples_give_notes_to_try() -> None:
    notes = help_notes()
    assert len(notes) >= 5
    assert "how Gridwise hires designers" in notes  # thank's own example


@pytest.mark.parametrize("person", ["grace", "tom-baker", "priya"])
def test_how_we_know_is_said_to_the_person(run: Invoke, person: str) -> None:
    """Read back to them, in the second person: "our time at Harbor Labs, where you were"."""
    for template in TEMPLATES:
        result = run("templates", "preview", template, "--to", person)
        assert result.exit_code == 0, result.output
        flat = " ".join(result.stdout.split())
        assert not re.search(r"\b(she|he|her|him|his|they)\b", flat), flat


def test_the_example_grace_is_told_where_she_was_your_manager(run: Invoke) -> None:
    result = run("templates", "preview", "request", "--to", "grace")
    flat = " ".join(result.stdout.split())
    assert "our time at Harbor Labs, where you were my first manager." in flat


def test_a_follow_up_does_not_offer_again_what_was_given(run: Invoke, workspace: Path) -> None:
    offer = "I'd be glad to share the user-research templates"
    before = run("templates", "preview", "follow-up", "--to", "ada")
    assert offer in " ".join(before.stdout.split())
    assert run("log", "add", "ada", "gave", "--note", "the templates", "--on", "2026-11-26")
    after = " ".join(run("templates", "preview", "follow-up", "--to", "ada").stdout.split())
    assert offer not in after
    year = "" if date.today().year == 2026 else " 2026"
    assert f"I hope what I shared on Thursday 26 November{year} is of use." in after
    # A message sent after the gift starts again: what was given is older than the news.
    thanks = " ".join(run("templates", "preview", "thank-you", "--to", "ada").stdout.split())
    assert offer not in thanks


def test_given_holds_only_the_gifts_since_the_last_message(run: Invoke, workspace: Path) -> None:
    from outreach.composing.context import given_entries
    from outreach.journal.database import Entry, open_journal

    run("log", "add", "ada", "gave", "--note", "old gift", "--on", "2026-10-01")
    run("log", "add", "jose", "gave", "--note", "a gift", "--on", "2026-10-01")
    with open_journal(Workspace(workspace).journal_file) as journal:
        journal.add(
            Entry(
                person="ada-lovelace",
                kind="sent",
                at=datetime(2026, 10, 5, 12, tzinfo=UTC),
                day=date(2026, 10, 5),
                template="request",
                template_kind="request",
            )
        )
        given = given_entries(journal)
    assert "ada-lovelace" not in given  # the gift is older than the message sent since
    assert [g["note"] for g in given["jose-nunez"]] == ["a gift"]


def test_a_threaded_follow_up_answers_and_quotes_the_earlier_message(workspace: Path) -> None:
    folder = Workspace(workspace)
    goal = load_goal(folder.goal_file)[0].template_fields()
    me = me_fields(folder.settings)
    ada = next(p for p in folder.load_contacts() if p.id == "ada-lovelace")
    request = render(load_renderer(folder.templates_dir, "request", 7), ada, goal, me)
    thread = {
        "subject": request[0],
        "sent_on": date(2026, 11, 25),
        "message_id": "<1@example.org>",
        "quote": request[1],
    }
    follow_up = load_renderer(folder.templates_dir, "follow-up", 7)
    subject, body = render(follow_up, ada, goal, me, thread=thread)
    assert subject == "Re: Ada, could I ask your advice?"
    mine, _, quoted = body.partition("\nOn Wednesday 25 November, Sam Rivera wrote:\n")
    assert quoted == "".join(f"> {line}\n" if line else ">\n" for line in request[1].splitlines())
    assert "All the best,\nSam Rivera\n" in mine  # the new words first, the quote under them
    assert "my note back to the top" in " ".join(mine.split())
    _, alone = render(follow_up, ada, goal, me)
    assert "wrote:" not in alone and ">" not in alone and "below" not in alone


# --- the filters and the wrapping ----------------------------------------------------------


def test_long_date_writes_the_day_out_with_the_year_only_when_it_is_another() -> None:
    template = "{{ day | long_date }}"
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment()
    env.filters["long_date"] = long_date
    say = env.from_string(template)
    assert say.render(day=date(2026, 11, 25), today=TODAY) == "Wednesday 25 November"
    assert say.render(day="2026-11-24", today=TODAY) == "Tuesday 24 November"
    assert say.render(day=date(2025, 1, 3), today=TODAY) == "Friday 3 January 2025"
    assert say.render(day=date(2027, 1, 3), today=TODAY) == "Sunday 3 January 2027"
    assert say.render(day=date(2026, 11, 25)) == "Wednesday 25 November 2026"  # no today


def test_a_date_that_is_not_one_is_an_error_naming_the_line(run: Invoke, workspace: Path) -> None:
    (workspace / "templates" / "odd.md").write_text(
        "---\nkind: check-in\nsubject: Hello\n---\nHi,\n\n{{ contact.name | long_date }}\n"
    )
    result = run("templates", "preview", "odd", "--to", "ada")
    assert result.exit_code == 1
    assert "templates/odd.md:7" in result.stderr and "Traceback" not in result.output


def test_quote_marks_each_line_as_a_reply_does() -> None:
    assert quote("Hi Ada,\n\nThanks.\n> earlier\n") == "> Hi Ada,\n>\n> Thanks.\n>> earlier"


def test_wrap_breaks_every_line_where_textwrap_would() -> None:
    import random
    import textwrap

    rng = random.Random(15)
    blanks = [" "] * 30 + ["  ", "\t", "\x0c", " \u00a0"]  # textwrap's own blanks, and not
    for _ in range(3000):
        words = [rng.choice("ab-é") * rng.choice([1, 2, 3, 5, 8, 13, 40, 75]) for _ in range(30)]
        line = rng.choice(["", "- ", "12. ", "* "]) + words[0]
        for word in words[1 : rng.randrange(2, 30)]:
            line += rng.choice(blanks) + word
        if len(line) <= 72:
            continue  # left as it is
        item = re.match(r"(?:[-*+]|\d{1,3}[.)])\s+", line)  # a list item's text
        indent = " " * item.end() if item else ""
        expected = textwrap.wrap(
            line, 72, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
        )
        assert wrap(line + "\n") == "\n".join(expected or [line]) + "\n", line


def test_wrap_breaks_long_lines_at_72_and_leaves_the_rest() -> None:
    long = " ".join(["word"] * 40)
    wrapped = wrap(f"Hi,\n\n{long}\n> {long}\n    {long}\n- {long}\nThanks,\nSam\n")
    lines = wrapped.splitlines()
    assert lines[:2] == ["Hi,", ""]
    own = [line for line in lines if line.startswith("word")]
    assert own and all(len(line) <= 72 for line in own)
    assert " ".join(own) == long
    assert f"> {long}" in lines and f"    {long}" in lines  # quotes and indented lines stay
    item = lines.index(next(line for line in lines if line.startswith("- ")))
    assert lines[item + 1].startswith("  word")  # a list item's next lines under its text
    assert lines[-2:] == ["Thanks,", "Sam"]  # the signature keeps its line breaks
    link = "https://example.org/" + "x" * 80
    assert wrap(f"See {link} today\n") == f"See\n{link}\ntoday\n"  # a link is never cut
    short = "Hi,\n\nShort lines stay as they are.\nSo does this one.\n"
    assert wrap(short) == short
