"""Threads: a `thread: true` draft answers the latest message sent, the way mail programs
thread (In-Reply-To, the References chain, a subject that does not stack `Re:`)."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from outreach.composing.threads import reply_subject, without_quote
from tests.conftest import Invoke
from tests.helpers import PASSWORD_ENV, approve_requests, configure, one_error, write
from tests.smtp_server import smtp_server

# A reply written in a temporary workspace: the shipped templates' words are not tested here.
NUDGE = """\
---
kind: follow-up
subject: "Re: {{ thread.subject }}"
---
Hi {{ contact.first_name }}, a short nudge.

On {{ thread.sent_on }}, {{ me.name }} wrote:
{% for line in thread.quote.splitlines() %}>{% if line %} {{ line }}{% endif %}
{% endfor %}
"""


def front(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    head = text[4:].split("\n---\n", 1)[0]
    return dict(line.split(": ", 1) for line in head.splitlines())


def thread_id(message: EmailMessage) -> str:
    """What a threading mail program (JWZ's algorithm) files a message under: the first id
    of its References, else its In-Reply-To, else its own Message-ID."""
    references = str(message.get("References", "")).split()
    return references[0] if references else str(message.get("In-Reply-To") or message["Message-ID"])


def base_subject(subject: str) -> str:
    return re.sub(r"^(\s*re\s*:\s*)+", "", subject, flags=re.IGNORECASE)


def send_all(run: Invoke) -> None:
    result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output


def test_follow_ups_chain_onto_the_first_message(run: Invoke, workspace: Path) -> None:
    write(workspace / "templates" / "nudge.md", NUDGE)
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        send_all(run)
        first = server.messages[0]

        result = run("draft", "nudge", "ada")
        assert result.exit_code == 0, result.output
        assert "new conversation" not in result.stderr
        draft = workspace / "drafts" / "ada-lovelace--nudge.md"
        fields = front(draft)
        assert fields["in_reply_to"] == first["Message-ID"]
        assert fields["references"] == first["Message-ID"]
        assert fields["subject"] == f"Re: {first['Subject']}"
        text = draft.read_text(encoding="utf-8")
        assert "\n> Hi Ada," in text  # the first message quoted under the new words
        assert run("approve", "--all").exit_code == 0
        send_all(run)
        second = server.messages[1]

        # A follow-up of the follow-up chains on, and its subject does not stack.
        assert run("draft", "nudge", "ada").exit_code == 0
        third_text = (workspace / "drafts" / "ada-lovelace--nudge.md").read_text()
        assert third_text.count("Hi Ada, a short nudge.") == 2  # its own, and one quoted
        assert "> >" not in third_text and "> On " not in third_text  # no quote in the quote
        assert run("approve", "--all").exit_code == 0
        send_all(run)
        third = server.messages[2]

    assert second["In-Reply-To"] == first["Message-ID"]
    assert str(second["References"]).split() == [first["Message-ID"]]
    assert third["In-Reply-To"] == second["Message-ID"]
    assert str(third["References"]).split() == [first["Message-ID"], second["Message-ID"]]
    assert str(third["Subject"]) == f"Re: {first['Subject']}"
    assert len({thread_id(m) for m in server.messages}) == 1  # one conversation
    assert len({base_subject(str(m["Subject"])) for m in server.messages}) == 1


def test_no_earlier_message_starts_a_new_conversation_with_a_warning(
    run: Invoke, workspace: Path
) -> None:
    write(
        workspace / "templates" / "nudge.md",
        NUDGE.replace("Re: {{ thread.subject }}", "{{ thread.subject if thread else 'Hello' }}")
        .replace("On {{", "{% if thread %}On {{")
        .replace("{% endfor %}", "{% endfor %}{% endif %}")
        .replace("kind: follow-up", "kind: check-in\nthread: true"),
    )
    result = run("draft", "nudge", "ada")
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if "new conversation" in line]
    assert len(warning) == 1 and warning[0].startswith("Warning: Ada Lovelace")
    fields = front(workspace / "drafts" / "ada-lovelace--nudge.md")
    assert "in_reply_to" not in fields and "references" not in fields
    assert fields["subject"] == "Hello"
    # A follow-up to someone never sent anything: its own warning says so, once.
    follow_up = run("draft", "follow-up", "ada")
    assert follow_up.exit_code == 0, follow_up.output
    assert len([line for line in follow_up.stderr.splitlines() if "Ada" in line]) == 1


def test_thread_false_and_other_kinds_start_their_own_conversation(
    run: Invoke, workspace: Path
) -> None:
    write(workspace / "templates" / "fresh.md", NUDGE.replace("---\nHi", "thread: false\n---\nHi"))
    write(
        workspace / "templates" / "hello.md",
        "---\nkind: check-in\nsubject: Hello\n---\nHi {{ contact.first_name }}"
        "{% if thread is defined and thread %} (threaded){% endif %}\n",
    )
    with smtp_server() as (_, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        send_all(run)
    assert run("draft", "hello", "ada").exit_code == 0
    hello = front(workspace / "drafts" / "ada-lovelace--hello.md")
    assert "in_reply_to" not in hello
    assert "(threaded)" not in (workspace / "drafts" / "ada-lovelace--hello.md").read_text()
    result = run("draft", "fresh", "ada")  # thread: false: `thread` is none
    one_error(result, "templates/fresh.md:3", "subject", "not defined")


def test_a_check_in_with_thread_true_answers_too(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "templates" / "hello.md",
        '---\nkind: check-in\nsubject: "Re: {{ thread.subject }}"\nthread: true\n---\nHi\n',
    )
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        send_all(run)
    assert run("draft", "hello", "ada").exit_code == 0
    fields = front(workspace / "drafts" / "ada-lovelace--hello.md")
    assert fields["in_reply_to"] == server.messages[0]["Message-ID"]


def test_thread_must_be_true_or_false(run: Invoke, workspace: Path) -> None:
    write(workspace / "templates" / "nudge.md", NUDGE.replace("---\nHi", "thread: yes\n---\nHi"))
    one_error(
        run("draft", "nudge", "ada"), "templates/nudge.md:4", "'thread' must be true or false"
    )


def test_dry_run_and_export_carry_both_headers(run: Invoke, workspace: Path) -> None:
    write(workspace / "templates" / "nudge.md", NUDGE)
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        send_all(run)
        first_id = server.messages[0]["Message-ID"]
        assert run("draft", "nudge", "ada").exit_code == 0
        assert run("approve", "--all").exit_code == 0
        dry = run("send", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"In-Reply-To: {first_id}" in dry.stdout
    assert f"References: {first_id}" in dry.stdout
    assert run("export", "eml").exit_code == 0
    raw = (workspace / "eml" / "ada-lovelace--nudge.eml").read_bytes()
    exported = email.message_from_bytes(raw, policy=policy.default)
    assert exported["In-Reply-To"] == first_id
    assert str(exported["References"]).split() == [first_id]


def test_a_draft_with_a_bad_in_reply_to_no_longer_parses(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "ada").exit_code == 0
    path = workspace / "drafts" / "ada-lovelace--request.md"
    path.write_text(path.read_text().replace("status:", "in_reply_to: nobody\nstatus:"))
    one_error(run("check"), "drafts/ada-lovelace--request.md", "in_reply_to")
    path.write_text(path.read_text().replace("in_reply_to: nobody", "references: <a@b> c"))
    one_error(run("check"), "drafts/ada-lovelace--request.md", "references")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Re: Hello", "Re: Hello"),
        ("RE: re[2]:  Re : Hello", "Re: Hello"),
        ("Re: Hello", "Re: Hello"),
        ("Hello", "Hello"),
        ("Really: a question", "Really: a question"),
    ],
)
def test_reply_prefixes_never_stack(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_the_quote_leaves_out_the_earlier_quote() -> None:
    body = (
        "Hi Ada, a nudge.\n\nSam\n\nOn Tuesday 25 November, Sam Rivera wrote:\n"
        "> Hi Ada,\n>\n> A question.\n"
    )
    assert without_quote(body) == "Hi Ada, a nudge.\n\nSam\n"
    assert without_quote("I wrote: nothing quoted\n") == "I wrote: nothing quoted\n"
