"""`outreach drafts push` against a real IMAP server, and what `send` does with a pushed draft."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from email import message_from_bytes
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.helpers import (
    PASSWORD_ENV,
    approve_requests,
    configure,
    configure_imap,
    errors,
    one_error,
    outreach_command,
    statuses,
)
from tests.imap_server import ImapServer, imap_server
from tests.smtp_server import smtp_server


def only_error(result: object, *fragments: str) -> None:
    """Exit 1, no traceback, and one `Error: ` line, holding every fragment."""
    from click.testing import Result

    assert isinstance(result, Result)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    [line] = errors(result)
    assert all(fragment in line for fragment in fragments), line


def drafts_json(run: Invoke) -> list[dict[str, str]]:
    return list(json.loads(run("drafts", "--json").stdout))


def front_matter(path: Path) -> dict[str, str]:
    head = path.read_text().split("---")[1]
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in head.strip().splitlines())
    )


def copies(server: ImapServer, folder: str = "Drafts") -> dict[str, list[tuple[int, set[str]]]]:
    """Message-ID -> the (UID, flags) of each copy in the folder."""
    found: dict[str, list[tuple[int, set[str]]]] = {}
    for uid, flags, data in server.messages(folder):
        found.setdefault(str(message_from_bytes(data)["Message-ID"]), []).append((uid, flags))
    return found


def test_push_puts_each_approved_draft_into_drafts_once_flagged_as_a_draft(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    configure_imap(workspace, imap_server)
    approve_requests(run, "ada", "jose")
    result = run("drafts", "push", "--all")
    assert result.exit_code == 0, result.output
    assert "2 pushed" in result.output
    rows = {row["person"]: row for row in drafts_json(run)}
    assert {rows["ada-lovelace"]["status"], rows["jose-nunez"]["status"]} == {"pushed"}
    in_account = copies(imap_server)
    assert set(in_account) == {rows["ada-lovelace"]["message_id"], rows["jose-nunez"]["message_id"]}
    for found in in_account.values():
        [(_, flags)] = found
        assert flags == {"\\Draft", "\\Seen"}
    ada = front_matter(workspace / rows["ada-lovelace"]["file"])
    [(ada_uid, _)] = in_account[rows["ada-lovelace"]["message_id"]]
    assert ada["pushed_folder"] == "Drafts"
    assert ada["pushed_uid"].endswith(f":{ada_uid}")
    [(_, _, data)] = [m for m in imap_server.messages("Drafts") if m[0] == ada_uid]
    message = message_from_bytes(data)
    assert message["To"].endswith("<ada@example.org>") or "ada" in message["To"].lower()
    assert message["Subject"] == ada["subject"]


def test_pushing_again_replaces_the_copy(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    configure_imap(workspace, imap_server)
    approve_requests(run, "ada")
    assert run("drafts", "push", "--all").exit_code == 0
    [row] = drafts_json(run)
    path = workspace / row["file"]
    path.write_text(path.read_text().replace("\n\n", "\n\nP.S. One more line.\n\n", 1))
    result = run("drafts", "push", "ada")
    assert result.exit_code == 0, result.output
    assert "replacing 1 older copy" in result.output
    [(uid, _)] = copies(imap_server)[row["message_id"]]
    [(_, _, data)] = [m for m in imap_server.messages("Drafts") if m[0] == uid]
    assert b"P.S. One more line." in data
    assert front_matter(path)["pushed_uid"].endswith(f":{uid}")
    # a third push with nothing changed still leaves one copy
    assert run("drafts", "push", "ada").exit_code == 0
    assert len(copies(imap_server)[row["message_id"]]) == 1


def test_a_copy_left_by_a_push_cut_off_is_replaced_not_kept(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    """A push that appended and died before marking its draft left a copy: the next push
    finds it by its Message-ID and deletes it once the new one is in."""
    configure_imap(workspace, imap_server)
    approve_requests(run, "ada")
    [row] = drafts_json(run)
    orphan = f"Message-ID: {row['message_id']}\r\nSubject: old\r\n\r\nold text\r\n".encode()
    imap_server.put("Drafts", orphan, ["\\Draft"], seen=True)
    assert run("drafts", "push", "--all").exit_code == 0
    [(uid, _)] = copies(imap_server)[row["message_id"]]
    [(_, _, data)] = [m for m in imap_server.messages("Drafts") if m[0] == uid]
    assert b"old text" not in data


def test_push_cut_off_leaves_each_draft_pushed_and_marked_or_not(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    configure_imap(workspace, imap_server)
    approve_requests(run)
    process = subprocess.Popen(
        [*outreach_command(), "--workspace", str(workspace), "drafts", "push", "--all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("pushed drafts/"), first + process.stderr.read()
    os.kill(process.pid, signal.SIGKILL)  # after the first draft, wherever the next one is
    process.communicate()
    in_account = copies(imap_server)
    for row in drafts_json(run):
        if row["status"] == "pushed":
            uid = int(front_matter(workspace / row["file"])["pushed_uid"].split(":")[1])
            assert uid in {u for u, _ in in_account[row["message_id"]]}
        else:
            assert row["status"] == "approved"
    assert run("drafts", "push", "--all").exit_code == 0
    rows = drafts_json(run)
    assert {row["status"] for row in rows} == {"pushed"}
    in_account = copies(imap_server)
    assert {row["message_id"]: 1 for row in rows} == {k: len(v) for k, v in in_account.items()}


def test_only_approved_drafts_are_pushed(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    configure_imap(workspace, imap_server)
    assert run("draft", "request", "ada").exit_code == 0
    result = run("drafts", "push", "ada")
    one_error(result, "drafts/ada-lovelace--request.md", "not approved")
    assert result.exit_code == 1
    assert run("drafts", "push", "--all").output.startswith("Nothing to push")
    assert copies(imap_server) == {}
    assert statuses(run) == {"ada-lovelace": "draft"}


def test_push_needs_an_imap_section(run: Invoke) -> None:
    approve_requests(run, "ada")
    result = run("drafts", "push", "--all")
    assert result.exit_code == 1
    one_error(result, "outreach.toml", "[imap]")


def test_push_without_names_or_all_is_a_usage_error(run: Invoke) -> None:
    assert run("drafts", "push").exit_code == 2


def test_a_wrong_password_is_an_error_and_nothing_changes(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    configure_imap(workspace, imap_server)
    approve_requests(run, "ada")
    result = run("drafts", "push", "--all", env={"OUTREACH_IMAP_PASSWORD": "wrong"})
    assert result.exit_code == 1
    only_error(result, "refused the IMAP login")
    assert "wrong" not in result.output.replace("wrong password", "")
    assert statuses(run) == {"ada-lovelace": "approved"}


def test_an_account_without_a_drafts_folder_is_an_error(
    run: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    approve_requests(run, "ada")
    with imap_server({"Archive": None}) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca.bundle))
        monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", server.password)
        configure_imap(workspace, server)
        result = run("drafts", "push", "--all")
    assert result.exit_code == 1
    one_error(result, f"127.0.0.1:{server.port}", "no Drafts folder")
    assert statuses(run) == {"ada-lovelace": "approved"}


def test_send_leaves_a_pushed_draft_unless_forced(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    configure_imap(workspace, imap_server)
    approve_requests(run, "ada")
    assert run("drafts", "push", "--all").exit_code == 0
    with smtp_server() as (recorder, port):
        configure(workspace, port)
        held = run("send", "--yes", env=PASSWORD_ENV)
        assert held.exit_code == 0, held.output
        assert "--force" in held.output
        assert recorder.messages == []
        forced = run("send", "--yes", "--force", env=PASSWORD_ENV)
        assert forced.exit_code == 0, forced.output
        assert len(recorder.messages) == 1
    assert statuses(run) == {}
    [filed] = (workspace / "sent").glob("*.md")
    assert front_matter(filed)["status"] == "approved"


def test_check_refuses_plain_text_logins_off_this_machine(run: Invoke, workspace: Path) -> None:
    settings = workspace / "outreach.toml"
    text = settings.read_text().replace('security = "ssl"', 'security = "none"')
    settings.write_text(
        text + '\n[imap]\nhost = "imap.example.org"\nport = 143\nsecurity = "none"\n'
        'user = "sam@example.org"\n'
    )
    result = run("check")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "clear text" in line]
    assert len(lines) == 2
    assert any("smtp.security" in line and "outreach.toml:" in line for line in lines)
    assert any("imap.security" in line for line in lines)
