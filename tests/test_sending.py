"""Sending for real to an SMTP server on 127.0.0.1: at most once, every outcome in the journal."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.helpers import (
    PASSWORD_ENV,
    approve_requests,
    configure,
    outreach_command,
    send_again,
    statuses,
)
from tests.smtp_server import PASSWORD, Behaviour, smtp_server

PEOPLE = ["ada-lovelace", "jose-nunez", "grace-hopper", "mei-chen"]
ADDRESSES = ["ada@example.org", "jose@example.org", "grace.hopper@example.org", "mei@example.org"]


def test_a_batch_arrives_over_one_login_with_its_headers(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run)
        drafted = {p: (workspace / "drafts" / f"{p}--request.md").read_text() for p in PEOPLE}
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert "4 sent, 0 failed, 0 unknown, 0 left." in result.stdout
    assert server.logins == 1
    assert sorted(server.recipients()) == sorted(ADDRESSES)
    by_to = {m["To"].addresses[0].addr_spec: m for m in server.messages}
    jose = by_to["jose@example.org"]
    assert str(jose["To"]) == "José Núñez <jose@example.org>"
    assert str(jose["From"]) == "Sam Rivera <sam@example.org>"
    assert str(jose["Reply-To"]) == "sam.rivera@example.com"
    assert jose["Date"] is not None
    assert jose.get_content_type() == "text/plain"
    assert jose.get_content_charset() == "utf-8"
    message_id = re.search(r"message_id: (.*)", drafted["jose-nunez"]).group(1)  # type: ignore[union-attr]
    assert jose["Message-ID"] == message_id
    body = jose.get_content().replace("\r\n", "\n")  # the wire uses CRLF
    assert body.startswith("Hi José,\n\nI still think of our time at Brightside")
    assert "\n\nThank you,\nSam Rivera\n" in body
    assert "<br>" not in body
    assert len({m["Message-ID"] for m in server.messages}) == 4
    # Filed under sent/ and in the journal, with the template's follow-up kept.
    assert not list((workspace / "drafts").glob("*.md"))
    sent = sorted(p.name for p in (workspace / "sent").glob("*.md"))
    assert len(sent) == 4 and all(
        re.match(r"\d{4}-\d\d-\d\d--[a-z-]+--request\.md", n) for n in sent
    )
    log = json.loads(run("log", "--json").stdout)
    assert {e["person"] for e in log} == set(PEOPLE)
    assert all(e["kind"] == "sent" and e["message_id"] and e["via"] == "outreach" for e in log)


def test_a_run_puts_its_sends_into_the_journals_summaries_once_over(
    run: Invoke, workspace: Path
) -> None:
    with smtp_server() as (_, port):
        configure(workspace, port)
        approve_requests(run)
        assert run("send", "--yes", env=PASSWORD_ENV).exit_code == 0
    with sqlite3.connect(workspace / ".outreach" / "journal.sqlite") as db:
        stored = dict(db.execute("SELECT person, asks FROM summaries"))
        unsummarised = db.execute(
            "SELECT COUNT(*) FROM entries WHERE id > (SELECT upto FROM summarised)"
        ).fetchone()[0]
    assert stored == dict.fromkeys(PEOPLE, 1)  # in the table itself, not only as read
    assert unsummarised == 0


def test_a_line_that_starts_with_a_dot_arrives_as_written(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        draft = workspace / "drafts" / "ada-lovelace--request.md"
        draft.write_text(draft.read_text() + ".\n.. and .net\n", encoding="utf-8")
        assert run("send", "--yes", env=PASSWORD_ENV).exit_code == 0
    (message,) = server.messages
    assert message.get_content().replace("\r\n", "\n").endswith("\n.\n.. and .net\n")


def test_a_second_send_sends_nothing(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        assert run("send", "--yes", env=PASSWORD_ENV).exit_code == 0
        again = run("send", "--yes", env=PASSWORD_ENV)
    assert again.exit_code == 0
    assert "Nothing to send" in again.stdout
    assert len(server.messages) == 1


def test_dry_run_shows_messages_and_sends_nothing(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        result = run("send", "--dry-run")
    assert result.exit_code == 0
    assert "To: Ada Lovelace <ada@example.org>" in result.stdout
    assert "nothing sent" in result.stdout
    assert server.messages == []
    assert statuses(run) == {"ada-lovelace": "approved"}


def test_dry_run_shows_every_header_the_message_will_carry(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "jose")
        dry = run("send", "--dry-run")
        assert dry.exit_code == 0, dry.output
        sent = run("send", "--yes", env=PASSWORD_ENV)
        assert sent.exit_code == 0, sent.output
    [message] = server.messages
    shown = dry.stdout.split("--- drafts/jose-nunez--request.md\n", 1)[1]
    head, _, body = shown.partition("\n\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    # Every header that went, shown, and the same values (Date aside: it is when each ran).
    assert list(fields) == list(message.keys())
    assert {"Date", "MIME-Version", "Content-Type", "Message-ID"} <= set(fields)
    for name, value in fields.items():
        if name != "Date":
            assert value == str(message[name]), name
    assert fields["To"] == "José Núñez <jose@example.org>"  # decoded, as a person reads it
    assert fields["Content-Type"] == 'text/plain; charset="utf-8"'
    assert body.startswith("Hi José,\n")
    assert message.get_content().replace("\r\n", "\n") in body


def test_it_asks_before_sending_and_names_what_and_where(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada", "grace")
        declined = run("send", input="n\n", env=PASSWORD_ENV)
        assert declined.exit_code == 1
        assert "About to send 2 message(s) from Sam Rivera <sam@example.org>" in declined.stdout
        assert f"127.0.0.1:{port}" in declined.stdout and str(workspace) in declined.stdout
        assert server.messages == []
        accepted = run("send", input="y\n", env=PASSWORD_ENV)
    assert accepted.exit_code == 0, accepted.output
    assert len(server.messages) == 2


def test_temporary_refusals_are_retried_and_permanent_ones_fail(
    run: Invoke, workspace: Path
) -> None:
    behaviour = Behaviour(
        rcpt={
            "grace.hopper@example.org": ["550 5.1.1 No such user"],
            "mei@example.org": ["421 4.3.2 Shutting down"],
        },
        data={
            "ada@example.org": ["451 4.3.0 Try again later"],
            "jose@example.org": ["554 5.6.0 Message rejected"],
        },
    )
    with smtp_server(behaviour) as (server, port):
        configure(workspace, port)
        approve_requests(run)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1
    assert "2 sent, 2 failed, 0 unknown, 0 left." in result.stdout
    assert sorted(server.recipients()) == ["ada@example.org", "mei@example.org"]
    assert server.logins == 2  # the 421 closed the connection once
    left = statuses(run)
    assert left == {"grace-hopper": "failed", "jose-nunez": "failed"}
    grace = (workspace / "drafts" / "grace-hopper--request.md").read_text()
    assert "error: recipient refused: 550 5.1.1 No such user" in grace
    assert (
        "Error: drafts/jose-nunez--request.md: message refused: 554 5.6.0 Message rejected"
        in result.stderr
    )


def test_a_drop_after_the_message_is_unknown_and_never_resent(run: Invoke, workspace: Path) -> None:
    behaviour = Behaviour(drop_after_data={"jose@example.org"})
    with smtp_server(behaviour) as (server, port):
        configure(workspace, port)
        approve_requests(run)
        first = run("send", "--yes", env=PASSWORD_ENV)
        assert "3 sent, 0 failed, 1 unknown, 0 left." in first.stdout
        assert statuses(run) == {"jose-nunez": "unknown"}
        second = run("send", "--yes", env=PASSWORD_ENV)
        assert "Nothing to send" in second.stdout
        assert "cut off" in second.stderr
        assert sorted(server.recipients()) == sorted(ADDRESSES)  # each once
        retried = run("send", "--yes", "--retry-unknown", env=PASSWORD_ENV)
    assert retried.exit_code == 0, retried.output
    assert server.recipients().count("jose@example.org") == 2  # only because the person asked
    assert statuses(run) == {}
    filed = workspace / "sent" / f"{date.today()}--jose-nunez--request.md"
    assert "status: approved" in filed.read_text()  # no longer unknown: it went


def test_a_wrong_password_stops_the_run_with_every_draft_approved(
    run: Invoke, workspace: Path
) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run)
        result = run("send", "--yes", env={"OUTREACH_SMTP_PASSWORD": "Wr0ng-Pa55"})
    assert result.exit_code == 1
    assert "refused the login for sam@example.org: 535" in result.stderr
    assert "Traceback" not in result.output and "Wr0ng-Pa55" not in result.output
    assert server.messages == []
    assert set(statuses(run).values()) == {"approved"}


def test_a_refused_sender_stops_the_run(run: Invoke, workspace: Path) -> None:
    with smtp_server(login=False) as (server, port):
        configure(workspace, port, user=False)
        settings = workspace / "outreach.toml"
        settings.write_text(
            settings.read_text().replace(
                'email = "sam@example.org"', 'email = "sam@blocked.example.org"'
            )
        )

        async def refuse(*args: object) -> str:
            return "553 5.7.1 Sender not allowed"

        server.handle_MAIL = refuse  # type: ignore[attr-defined]
        approve_requests(run)
        result = run("send", "--yes")
    assert result.exit_code == 1
    assert "refused the sender sam@blocked.example.org: 553" in result.stderr
    assert server.messages == []
    assert set(statuses(run).values()) == {"approved"}


def test_per_day_and_limit_hold_messages_back(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port, per_day=3)
        approve_requests(run)
        first = run("send", "--yes", "--limit", "2", env=PASSWORD_ENV)
        assert "2 sent" in first.stdout
        assert "1 wait for tomorrow" in first.stdout and "1 left by --limit" in first.stdout
        second = run("send", "--yes", env=PASSWORD_ENV)
        assert "1 sent" in second.stdout and "1 wait for tomorrow" in second.stdout
        third = run("send", "--yes", env=PASSWORD_ENV)
    assert "Nothing to send" in third.stdout and "1 wait for tomorrow" in third.stdout
    assert len(server.messages) == 3


def test_a_clear_text_login_to_another_machine_is_refused(run: Invoke, workspace: Path) -> None:
    configure(workspace, 2525, host="smtp.example.org")
    approve_requests(run, "ada")
    result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1
    assert "clear text" in result.stderr


def test_auth_login_status_logout_use_the_keyring(
    run: Invoke, workspace: Path, isolated_home: Path
) -> None:
    assert "not in the system keyring" in run("auth", "status").stdout
    stored = run("auth", "login", input=PASSWORD + "\n")
    assert stored.exit_code == 0, stored.output
    assert PASSWORD not in stored.output
    assert "from the system keyring (PlaintextKeyring)" in run("auth", "status").stdout
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        assert run("send", "--yes").exit_code == 0
    assert server.logins == 1
    assert "from the environment" in run("auth", "status", env=PASSWORD_ENV).stdout
    assert "Removed" in run("auth", "logout").stdout
    assert "No password" in run("auth", "logout").stdout
    # The password lives only in the keyring's own file, never in the workspace.
    for path in workspace.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_no_keyring_backend_names_both_ways_out(
    run: Invoke, workspace: Path, run_installed
) -> None:  # type: ignore[no-untyped-def]
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        result = run_installed("--workspace", str(workspace), "send", "--yes", env=env)
        login = run_installed(
            "--workspace", str(workspace), "auth", "login", input="secret\n", env=env
        )
    assert result.returncode == 1 and login.returncode == 1
    assert server.messages == []
    for output in (result.stderr, login.stderr):
        assert "no system keyring" in output
        assert "OUTREACH_SMTP_PASSWORD" in output and "keyrings.alt" in output
        assert "Traceback" not in output


def _installed(workspace: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*outreach_command(), "--workspace", str(workspace), *args],
        env={**os.environ, **PASSWORD_ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_sends_at_once_the_second_is_refused(run: Invoke, workspace: Path) -> None:
    behaviour = Behaviour(stall_on="jose@example.org")
    with smtp_server(behaviour) as (_, port):
        configure(workspace, port)
        approve_requests(run)
        first = _installed(workspace, "send", "--yes")
        assert behaviour.stalled.wait(30)
        second = run("send", "--yes", env=PASSWORD_ENV)
        first.kill()
        first.communicate()
    assert second.exit_code == 1
    assert "another 'outreach send' is running" in second.stderr


def test_killed_mid_batch_nothing_arrives_twice(run: Invoke, workspace: Path) -> None:
    behaviour = Behaviour(stall_on="grace.hopper@example.org")
    with smtp_server(behaviour) as (server, port):
        configure(workspace, port)
        approve_requests(run)
        batch = _installed(workspace, "send", "--yes")
        assert behaviour.stalled.wait(30)
        batch.send_signal(signal.SIGKILL)  # the journal holds grace's attempt, with no outcome
        batch.communicate()
        assert statuses(run).get("grace-hopper") == "unknown"
        behaviour.stall_on = None
        again = send_again(workspace)
    assert again.returncode == 0, again.stderr
    recipients = server.recipients()
    assert sorted(set(recipients)) == sorted(ADDRESSES)  # everything arrived
    assert len(recipients) == len(set(recipients))  # nothing twice
    assert statuses(run) == {"grace-hopper": "unknown"}  # at most one unknown, left to the person


def test_the_sends_of_a_killed_run_reach_the_summaries_in_the_next(
    run: Invoke, workspace: Path
) -> None:
    behaviour = Behaviour(stall_on="mei@example.org")  # the last of the four
    with smtp_server(behaviour) as (_, port):
        configure(workspace, port)
        approve_requests(run)
        batch = _installed(workspace, "send", "--yes")
        assert behaviour.stalled.wait(30)
        batch.send_signal(signal.SIGKILL)  # before the run could summarise its sends
        batch.communicate()
        behaviour.stall_on = None
        again = send_again(workspace)  # sends nothing: mei is unknown, the rest went
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(workspace / ".outreach" / "journal.sqlite") as db:
        stored = dict(db.execute("SELECT person, asks FROM summaries"))
    assert stored == {"ada-lovelace": 1, "grace-hopper": 1, "jose-nunez": 1}


def test_a_sent_entry_is_written_while_the_next_sender_is_checked(
    run: Invoke, workspace: Path
) -> None:
    # The first message's `sent` entry goes into the journal while the server weighs the
    # second message's sender: a run killed there has lost nothing, and sends nothing twice.
    behaviour = Behaviour(stall_on_mail=2)
    with smtp_server(behaviour) as (server, port):
        configure(workspace, port)
        approve_requests(run)
        batch = _installed(workspace, "send", "--yes")
        assert behaviour.stalled.wait(30)
        deadline = time.monotonic() + 10
        while not json.loads(run("log", "--json").stdout) and time.monotonic() < deadline:
            time.sleep(0.05)
        batch.send_signal(signal.SIGKILL)
        batch.communicate()
        (entry,) = json.loads(run("log", "--json").stdout)
        assert (entry["person"], entry["kind"]) == ("ada-lovelace", "sent")
        behaviour.stall_on_mail = None
        again = send_again(workspace)
    assert again.returncode == 0, again.stderr
    assert "--ada-lovelace--request.md (sent by an earlier run)" in again.stdout
    assert sorted(server.recipients()) == sorted(ADDRESSES)  # everything arrived, nothing twice
    assert statuses(run) == {}


def test_a_lock_left_by_a_killed_run_does_not_block(run: Invoke, workspace: Path) -> None:
    behaviour = Behaviour(stall_on="ada@example.org")
    with smtp_server(behaviour) as (_, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        batch = _installed(workspace, "send", "--yes")
        assert behaviour.stalled.wait(30)
        batch.kill()
        batch.communicate()
        approve_requests(run, "mei")
        deadline = time.monotonic() + 10
        result = run("send", "--yes", env=PASSWORD_ENV)
        assert time.monotonic() < deadline
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.stdout


def test_log_add_show_and_json(run: Invoke) -> None:
    assert (
        run(
            "log", "add", "ada", "met", "--note", "coffee at the library", "--on", "2026-11-20"
        ).exit_code
        == 0
    )
    assert run("log", "add", "grace", "gave", "--note", "research templates").exit_code == 0
    shown = json.loads(run("log", "show", "ada", "--json").stdout)
    assert shown == [
        {
            "id": 1,
            "person": "ada-lovelace",
            "kind": "met",
            "at": shown[0]["at"],
            "note": "coffee at the library",
            "subject": None,
            "message_id": None,
            "via": "hand",
        }
    ]
    assert shown[0]["at"].startswith("2026-11-20T")
    everything = json.loads(run("log", "--json").stdout)
    assert [e["kind"] for e in everything] == ["met", "gave"]
    assert [(e["id"], e["via"]) for e in everything] == [(1, "hand"), (2, "hand")]
    for kind in ("lunch", "bounced", "auto-reply"):  # the last two only outreach writes
        assert run("log", "add", "ada", kind).exit_code == 2
    nobody = run("log", "add", "nobody", "met")
    assert nobody.exit_code == 1 and "Error: nobody in contacts.yaml" in nobody.stderr


def test_the_latest_entry_reaches_templates_as_last(run: Invoke, workspace: Path) -> None:
    run(
        "log",
        "add",
        "ada",
        "met",
        "--note",
        "how she moved into grid software",
        "--on",
        "2026-11-20",
    )
    result = run("templates", "preview", "thank-you", "--to", "ada")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())  # the body is wrapped at 72
    year = "" if date.today().year == 2026 else " 2026"  # the year only when it is not this one
    assert f"on Friday 20 November{year}." in flat
    assert "what you said about how she moved into grid software." in flat


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_settings_reach_the_connection(run: Invoke, workspace: Path, security: str) -> None:
    # A plain-text server cannot speak TLS: the run must try TLS and fail clearly,
    # never fall back to clear text.
    with smtp_server() as (server, port):
        configure(workspace, port, security=security)
        approve_requests(run, "ada")
        result = run("send", "--yes", env={**PASSWORD_ENV, "OUTREACH_RETRY_DELAY": "0"})
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "Traceback" not in result.output
    assert server.messages == []


def test_a_draft_sent_but_not_filed_is_filed_not_sent_again(run: Invoke, workspace: Path) -> None:
    from outreach.delivery.sending import sent_entry
    from outreach.drafts.draft import read_draft
    from outreach.journal.database import Journal

    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        draft = read_draft(workspace / "drafts" / "ada-lovelace--request.md")
        approved_text = draft.path.read_text()
        # As a run that died between logging the send and moving the file leaves it.
        journal = Journal(workspace / ".outreach" / "journal.sqlite")
        journal.begin_attempt(draft.message_id, draft.person, draft.name)
        journal.record_sent(sent_entry(draft))
        journal.close()
        (workspace / "sent").mkdir(exist_ok=True)
        taken = workspace / "sent" / f"{date.today()}--ada-lovelace--request.md"
        taken.write_text("an earlier message of the same name\n")
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert "filed sent/" in result.stdout and "(sent by an earlier run)" in result.stdout
    assert server.messages == []
    filed = workspace / "sent" / f"{date.today()}--ada-lovelace--request--2.md"
    assert filed.read_text() == approved_text  # moved as it was, never rewritten
    assert taken.read_text() == "an earlier message of the same name\n"
    assert not (workspace / "drafts" / "ada-lovelace--request.md").exists()


def test_a_broken_approved_draft_is_named_once_and_the_rest_go(
    run: Invoke, workspace: Path
) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada", "grace")
        ada = workspace / "drafts" / "ada-lovelace--request.md"
        ada.write_text(ada.read_text().replace("to: Ada Lovelace <ada@example.org>", "to: Ada"))
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1
    assert result.stderr.count("Error: drafts/ada-lovelace--request.md") == 1
    assert "(not sent)" in result.stderr and "Traceback" not in result.output
    assert server.recipients() == ["grace.hopper@example.org"]
    assert ada.exists()


def break_drafts(workspace: Path) -> None:
    """Ada's approved draft loses its status line; Grace's has an unknown field before it;
    Mei's is a draft, not approved, with an unknown field before its status line (which is
    still read: it says the draft was not approved)."""
    drafts = workspace / "drafts"
    for name, old, new in (
        ("ada-lovelace", "status: approved\n", ""),
        ("grace-hopper", "status: approved\n", "priority: high\nstatus: approved\n"),
        ("mei-chen", "status: approved\n", "priority: high\nstatus: draft\n"),
    ):
        path = drafts / f"{name}--request.md"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))


def assert_broken_named(stderr: str) -> None:
    lines = stderr.splitlines()
    ada = [line for line in lines if "drafts/ada-lovelace--request.md" in line]
    assert ada == [
        "Error: drafts/ada-lovelace--request.md: missing status in the front matter (not sent)"
    ]
    grace = [line for line in lines if "drafts/grace-hopper--request.md" in line]
    assert len(grace) == 1 and grace[0].startswith("Error: drafts/grace-hopper--request.md: ")
    assert "unknown field 'priority'" in grace[0] and grace[0].endswith("(not sent)")
    mei = [line for line in lines if "drafts/mei-chen--request.md" in line]
    assert len(mei) == 1 and mei[0].startswith("Warning: drafts/mei-chen--request.md: ")
    assert "unknown field 'priority'" in mei[0] and "not approved" in mei[0]


def test_every_broken_draft_is_named_with_why_and_the_rest_go(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run)
        break_drafts(workspace)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1, result.output
    assert_broken_named(result.stderr)
    assert server.recipients() == ["jose@example.org"]
    assert "1 sent, 0 failed, 0 unknown, 0 left. 3 drafts in drafts/ no longer parse" in (
        result.stdout
    )
    assert len(list((workspace / "drafts").glob("*.md"))) == 3


def test_dry_run_names_every_broken_draft_and_exits_1(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run)
        break_drafts(workspace)
        result = run("send", "--dry-run")
    assert result.exit_code == 1, result.output
    assert_broken_named(result.stderr)
    assert "To: José Núñez <jose@example.org>" in result.stdout
    assert "Dry run: 1 message(s) shown, nothing sent. 3 drafts in drafts/ no longer parse" in (
        result.stdout
    )
    assert server.messages == []


@pytest.mark.parametrize("args", [("--yes",), ("--dry-run",)])
def test_nothing_to_send_says_how_many_drafts_are_broken(
    run: Invoke, workspace: Path, args: tuple[str, ...]
) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada", "grace", "mei")
        break_drafts(workspace)
        result = run("send", *args, env=PASSWORD_ENV)
        assert result.exit_code == 1, result.output
        assert_broken_named(result.stderr)
        assert result.stdout.startswith(
            "Nothing to send. 3 drafts in drafts/ no longer parse (named above)."
        )
        # A broken draft that was never approved is named too, and alone it is no error.
        for name in ("ada-lovelace", "grace-hopper"):
            (workspace / "drafts" / f"{name}--request.md").unlink()
        alone = run("send", *args, env=PASSWORD_ENV)
    assert alone.exit_code == 0, alone.output
    assert alone.stderr.startswith("Warning: drafts/mei-chen--request.md: line 7: unknown field")
    assert alone.stdout.startswith("Nothing to send. 1 draft in drafts/ no longer parses")
    assert server.messages == []


def give_addresses(workspace: Path, **addresses: str) -> None:
    """Change the example people's email addresses: `jose="josé@example.org"`."""
    contacts = workspace / "contacts.yaml"
    text = contacts.read_text()
    for name, address in addresses.items():
        text = text.replace(f"email: {name}@example.org", f"email: {address}")
    contacts.write_text(text)


def test_a_domain_in_another_script_goes_in_its_ascii_form(run: Invoke, workspace: Path) -> None:
    give_addresses(workspace, ada="ada@bücher.example")
    with smtp_server(smtputf8=False) as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada-lovelace")
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert server.recipients() == ["ada@xn--bcher-kva.example"]
    (message,) = server.messages
    assert str(message["To"]) == "Ada Lovelace <ada@xn--bcher-kva.example>"
    assert server.mail_options == [[]]


def test_a_mailbox_name_beyond_ascii_goes_with_smtputf8(run: Invoke, workspace: Path) -> None:
    give_addresses(workspace, jose="josé@example.org")
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "jose-nunez", "ada-lovelace")
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert sorted(server.recipients()) == ["ada@example.org", "josé@example.org"]
    by_to = {m["To"].addresses[0].addr_spec: m for m in server.messages}
    jose = by_to["josé@example.org"]
    assert str(jose["To"]) == "José Núñez <josé@example.org>"
    assert jose["Subject"].startswith("José, ")
    options = dict(zip(server.recipients(), server.mail_options, strict=True))
    assert "SMTPUTF8" in options["josé@example.org"]
    assert options["ada@example.org"] == []  # the others go as plain ASCII as before


def test_a_mailbox_name_beyond_ascii_fails_where_the_server_cannot_take_it(
    run: Invoke, workspace: Path
) -> None:
    give_addresses(workspace, jose="josé@example.org")
    with smtp_server(smtputf8=False) as (server, port):
        configure(workspace, port)
        approve_requests(run)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1
    assert "3 sent, 1 failed, 0 unknown, 0 left." in result.stdout
    assert (
        "Error: drafts/jose-nunez--request.md: 127.0.0.1 does not take addresses with letters "
        "beyond ASCII (it offers no SMTPUTF8), which this message needs"
    ) in result.stderr
    assert "josé@example.org" not in server.recipients()
    assert statuses(run) == {"jose-nunez": "failed"}


def test_a_sender_beyond_ascii_stops_the_run_where_the_server_cannot_take_it(
    run: Invoke, workspace: Path
) -> None:
    settings = workspace / "outreach.toml"
    settings.write_text(settings.read_text().replace('email = "sam@', 'email = "sám@'))
    with smtp_server(smtputf8=False, login=False) as (server, port):
        configure(workspace, port, user=False)
        approve_requests(run)
        result = run("send", "--yes")
    assert result.exit_code == 1
    assert "(it offers no SMTPUTF8), and sám@example.org is one; nothing was sent" in result.stderr
    assert server.messages == []
    assert set(statuses(run).values()) == {"approved"}


def test_yagmail_is_imported_without_keyring_and_keyring_still_imports_after() -> None:
    script = (
        "import sys\n"
        "from outreach.delivery.transport import _import_yagmail\n"
        "_import_yagmail()\n"
        "assert 'keyring' not in sys.modules\n"
        "import keyring, keyring.errors\n"
        "print(keyring.errors.NoKeyringError.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "NoKeyringError\n"


def test_yagmail_is_imported_without_asyncio_and_the_whole_package_still_imports_after() -> None:
    script = (
        "import sys\n"
        "from outreach.delivery.transport import _client_class\n"
        "client = _client_class()\n"
        "assert 'asyncio' not in sys.modules\n"
        "import yagmail\n"
        "assert issubclass(client, yagmail.SMTP)\n"
        "print(yagmail.AsyncSMTP.__name__, 'asyncio' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "True"


def test_yagmail_is_imported_without_its_oauth2_module_which_still_works_when_called(
    tmp_path: Path,
) -> None:
    info = tmp_path / "oauth2.json"
    info.write_text('{"email_address": "sam@example.org"}', encoding="utf-8")
    script = (
        "import sys\n"
        "from outreach.delivery.transport import _import_yagmail\n"
        "sender = _import_yagmail()\n"
        "assert 'urllib.request' not in sys.modules\n"
        f"print(sender.get_oauth2_info({str(info)!r}, None)['email_address'])\n"
        "print('urllib.request' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sam@example.org", "True"]  # the real module, once called


def test_filing_writes_what_went_even_where_the_draft_was_deleted_meanwhile(
    run: Invoke, workspace: Path
) -> None:
    from outreach.delivery.sending import file_as_sent
    from outreach.drafts.draft import read_draft
    from outreach.workspace.folder import Workspace

    approve_requests(run, "ada-lovelace", "mei-chen")
    ada, mei = (
        read_draft(workspace / "drafts" / f"{person}--request.md")
        for person in ("ada-lovelace", "mei-chen")
    )
    ada.path.unlink()  # after its message went: sent/ still holds what went
    filing = file_as_sent(Workspace(workspace), [ada, mei], date(2026, 11, 22))
    assert [path.name for path in filing.filed] == [
        "2026-11-22--ada-lovelace--request.md",
        "2026-11-22--mei-chen--request.md",
    ]
    assert [path.read_bytes() for path in filing.filed] == [ada.data, mei.data]
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in filing.filed)
    assert filing.kept == [] and not list((workspace / "drafts").glob("*.md"))


def test_a_sent_draft_is_filed_while_the_next_recipient_is_checked(
    run: Invoke, workspace: Path
) -> None:
    filed_by_then: list[int] = []

    def count_filed(arrived: int) -> None:  # the server holds the third message's answer
        if arrived == 3:
            filed_by_then.append(len(list((workspace / "sent").glob("*.md"))))

    with smtp_server(Behaviour(on_message=count_filed)) as (_, port):
        configure(workspace, port)
        approve_requests(run)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert filed_by_then == [2]  # the first two: their entries were written, then they were filed
    assert len(list((workspace / "sent").glob("*.md"))) == 4
    assert not list((workspace / "drafts").glob("*.md"))
