"""Issue 10 against a real SMTP server on 127.0.0.1: drafts changed during a long send, a disk
that fills, a password beyond ASCII, a server that goes silent or is slow, and a server whose
words hold control characters."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from outreach.cli import cli
from tests.conftest import Invoke
from tests.helpers import (
    PASSWORD_ENV,
    approve_requests,
    configure,
    fill,
    outreach_command,
    small_file_system,
    statuses,
)
from tests.smtp_server import Behaviour, slow_proxy, smtp_server


def _wait_for(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)
    assert condition(), "timed out"  # type: ignore[operator]


# --- section 2: what was approved goes, and sent/ holds what went


def test_drafts_changed_during_a_long_send_go_as_they_are_now_or_not_at_all(
    run: Invoke, workspace: Path
) -> None:
    drafts = workspace / "drafts"
    with smtp_server() as (server, port):
        configure(workspace, port, per_minute=20)  # 3 s between messages
        approve_requests(run, "ada", "grace", "jose")
        ada, grace, jose = (
            drafts / f"{p}--request.md" for p in ("ada-lovelace", "grace-hopper", "jose-nunez")
        )
        ada_as_approved = ada.read_bytes()
        batch = subprocess.Popen(
            [*outreach_command(), "--workspace", str(workspace), "send", "--yes"],
            env={**os.environ, **PASSWORD_ENV},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_for(lambda: len(server.messages) == 1)
            # Ada's message went: her draft is edited after it (too late for it).
            ada.write_text(ada.read_text().replace("Hi Ada,", "Dear Ada,"))
            # Grace's is drafted again from a changed template: status draft, not approved.
            template = workspace / "templates" / "request.md"
            template.write_text(template.read_text().replace("Hi {{", "Hello {{", 1))
            replaced = run("draft", "request", "grace", "--replace")
            assert replaced.exit_code == 0, replaced.output
            # José's is mended by hand and still approved: it goes as it is now.
            jose.write_text(jose.read_text().replace("Hi José,", "Querido José,"))
            jose_as_sent = jose.read_bytes()
            out, err = batch.communicate(timeout=60)
        finally:
            if batch.poll() is None:
                batch.kill()
                batch.communicate()
    assert batch.returncode == 0, err
    assert "2 sent, 0 failed, 0 unknown, 1 left." in out, (out, err)
    assert sorted(server.recipients()) == ["ada@example.org", "jose@example.org"]
    bodies = {m["To"].addresses[0].addr_spec: m.get_content() for m in server.messages}
    assert bodies["ada@example.org"].startswith("Hi Ada,")
    assert bodies["jose@example.org"].startswith("Querido José,")
    assert (
        "Warning: drafts/grace-hopper--request.md: changed since this run read it and is no "
        "longer approved (status: draft); not sent"
    ) in err
    assert "Warning: drafts/ada-lovelace--request.md changed after its message went" in err
    # sent/ holds, byte for byte, the text that went; each file its owner's alone.
    sent = {p.name.split("--")[1]: p for p in (workspace / "sent").glob("*.md")}
    assert sorted(sent) == ["ada-lovelace", "jose-nunez"]
    assert sent["ada-lovelace"].read_bytes() == ada_as_approved
    assert sent["jose-nunez"].read_bytes() == jose_as_sent
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in sent.values())
    # What was not sent stays in drafts/: Grace's new draft, and Ada's edit made too late.
    assert "Dear Ada," in ada.read_text() and not jose.exists()
    assert "Hello Grace," in grace.read_text()
    assert statuses(run) == {"ada-lovelace": "approved", "grace-hopper": "draft"}
    # A later send sends nothing twice, files nothing twice, and names Ada's draft again.
    with smtp_server() as (again_server, again_port):
        configure(workspace, again_port)
        again = run("send", "--yes", env=PASSWORD_ENV)
    assert again.exit_code == 0, again.output
    assert "Nothing to send" in again.stdout
    assert "drafts/ada-lovelace--request.md changed after its message went" in again.stderr
    assert again_server.messages == []
    assert len(list((workspace / "sent").glob("*.md"))) == 2


def test_a_draft_set_aside_by_a_killed_run_is_put_back(run: Invoke, workspace: Path) -> None:
    approve_requests(run, "ada")
    ada = workspace / "drafts" / "ada-lovelace--request.md"
    text = ada.read_bytes()
    aside = ada.with_name(f".{ada.name}.99999.filing")  # as a run killed while filing leaves it
    ada.rename(aside)
    with smtp_server() as (server, port):
        configure(workspace, port)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert server.recipients() == ["ada@example.org"]
    assert not aside.exists()
    (filed,) = (workspace / "sent").glob("*.md")
    assert filed.read_bytes() == text


# --- section 3: a disk that fills during send


def test_a_disk_that_fills_during_send_says_so_where_and_what_the_run_did(
    tmp_path: Path,
) -> None:
    with small_file_system(tmp_path / "small") as disk:
        root = disk / "ws"
        runner = CliRunner()

        def run(*args: str) -> object:
            return runner.invoke(
                cli, ["--workspace", str(root), *args], env=PASSWORD_ENV, catch_exceptions=False
            )

        assert runner.invoke(cli, ["init", "--example", str(root)]).exit_code == 0
        filled: list[Path] = []
        # The disk fills as the second message arrives: its `sent` entry cannot be written.
        behaviour = Behaviour(on_message=lambda n: filled.append(fill(disk)) if n == 2 else None)
        with smtp_server(behaviour) as (server, port):
            configure(root, port)
            for args in (("draft", "request", "--all"), ("approve", "--all")):
                done = run(*args)
                assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
            result = run("send", "--yes")
            assert filled
            lines = result.stderr.splitlines()  # type: ignore[attr-defined]
            assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
            assert "Traceback" not in result.output and "unexpected" not in result.stderr  # type: ignore[attr-defined]
            assert lines[-3].startswith("Error: .outreach/journal.sqlite: the disk is full")
            assert lines[-2].startswith(
                "Error: drafts/grace-hopper--request.md: its message went (the server accepted "
                "it), but the journal could not record it"
            )
            assert "2 sent, 0 failed, 0 unknown, 2 left." in result.stdout  # type: ignore[attr-defined]
            assert server.recipients() == ["ada@example.org", "grace.hopper@example.org"]
            # Ada's draft was filed all the same: a move into sent/ needs no space.
            (filed,) = (root / "sent").glob("*.md")
            assert "--ada-lovelace--request" in filed.name
            # Space again: nothing is sent twice; Grace's is unknown.
            filled[0].unlink()
            again = run("send", "--yes")
        assert again.exit_code == 0, again.output  # type: ignore[attr-defined]
        assert "grace-hopper--request.md: a send was cut off" in again.stderr  # type: ignore[attr-defined]
        recipients = server.recipients()
        assert sorted(recipients) == sorted(set(recipients)) and len(recipients) == 4
        listed = run("drafts", "--json")
        rows = json.loads(listed.stdout)  # type: ignore[attr-defined]
        assert {row["person"]: row["status"] for row in rows} == {"grace-hopper": "unknown"}


# --- section 3: a password beyond ASCII


@pytest.mark.parametrize("method", ["PLAIN", "LOGIN"])
def test_a_password_beyond_ascii_goes_as_utf8(run: Invoke, workspace: Path, method: str) -> None:
    password = "pässwörd-日本-ñ"
    with smtp_server(password=password, methods=(method,)) as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        result = run("send", "--yes", env={"OUTREACH_SMTP_PASSWORD": password})
    assert result.exit_code == 0, result.output
    assert (server.login_attempts, server.logins, len(server.messages)) == (1, 1, 1)


def test_a_wrong_password_beyond_ascii_shows_no_part_of_it(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        result = run("send", "--yes", env={"OUTREACH_SMTP_PASSWORD": "ßecrét-Ω"})
    assert result.exit_code == 1
    assert "refused the login for sam@example.org: 535" in result.stderr
    assert not {"ß", "é", "Ω", "ecr"} & set(result.output) and "ecr" not in result.output
    assert "unexpected" not in result.output and server.login_attempts == 1


# --- section 5: a server that goes silent mid-run, and one that is slow but alive


def test_a_server_silent_mid_run_is_not_waited_for_twice(run: Invoke, workspace: Path) -> None:
    behaviour = Behaviour(stall_on_mail=2)  # the second MAIL is never answered
    with smtp_server(behaviour) as (server, port):
        configure(workspace, port)
        approve_requests(run)
        started = time.monotonic()
        result = run("send", "--yes", env={**PASSWORD_ENV, "OUTREACH_COMMAND_TIMEOUT": "0.5"})
        took = time.monotonic() - started
        connections = server.connections
    assert result.exit_code == 1, result.output
    assert (
        f"Error: 127.0.0.1:{port} stopped answering: no reply to MAIL within 0.5 s; the run stops"
    ) in result.stderr
    assert "1 sent, 0 failed, 0 unknown, 3 left." in result.stdout
    assert connections == 1  # no reconnect, no retry
    assert "trying again" not in result.stderr
    assert server.recipients() == ["ada@example.org"]
    assert set(statuses(run).values()) == {"approved"}
    assert took < 30  # not the 30 s the server sleeps: the run did not wait it out


def test_a_slow_server_that_keeps_talking_is_not_cut_off(run: Invoke, workspace: Path) -> None:
    # The greeting and the answer to the message come one byte per 100 ms (3 s or more each),
    # while each read may wait only 0.5 s: the timeouts are per read, not per reply.
    with smtp_server() as (server, port), slow_proxy(port, 0.1) as slow_port:
        configure(workspace, slow_port)
        approve_requests(run, "ada")
        env = {**PASSWORD_ENV, "OUTREACH_CONNECT_TIMEOUT": "0.5", "OUTREACH_COMMAND_TIMEOUT": "0.5"}
        result = run("send", "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.stdout
    assert server.recipients() == ["ada@example.org"]


# --- a hostile server's words


def test_a_servers_control_characters_reach_neither_the_terminal_nor_the_draft(
    run: Invoke, workspace: Path
) -> None:
    behaviour = Behaviour(rcpt={"ada@example.org": ["550 5.1.1 \x1b[2J\x1b]0;owned\x07 gone"]})
    with smtp_server(behaviour) as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada", "grace")
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "550 5.1.1 \\x1b[2J\\x1b]0;owned\\x07 gone" in result.stderr
    assert statuses(run) == {"ada-lovelace": "failed"}  # not broken
    draft = (workspace / "drafts" / "ada-lovelace--request.md").read_text()
    assert "error: recipient refused: 550 5.1.1 \\x1b[2J" in draft
    assert server.recipients() == ["grace.hopper@example.org"]
