"""`outreach sync` against a real IMAP server (tests/imap_server.py), with real-format mail."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from outreach.drafts.draft import DRAFT_STATUSES
from outreach.journal.database import Entry, open_journal
from tests.conftest import Invoke
from tests.helpers import SENT_IDS, configure_imap, mail, snapshot
from tests.imap_server import ImapServer

SENT_ON = datetime(2024, 5, 13, 16, 2, tzinfo=UTC)

INBOX = [
    "reply-thunderbird.eml",
    "reply-gmail.eml",
    "reply-outlook.eml",
    "reply-by-address.eml",
    "auto-exchange.eml",
    "auto-gmail.eml",
    "auto-vacation.eml",
    "auto-subject-fr.eml",
    "bounce-postfix.eml",
    "bounce-exchange.eml",
    "delay-postfix.eml",
    "bounce-no-original.eml",
    "list-from-contact.eml",
    "from-self.eml",
    "no-message-id.eml",
    "broken-encoded-words.eml",
    "eight-bit-headers.eml",
]
SENT = ["sent-outlook-copy.eml", "sent-by-hand.eml"]


def seed_sent(workspace: Path) -> None:
    """The journal's `sent` entries for the messages tests/mail/ answers."""
    with open_journal(workspace / ".outreach" / "journal.sqlite") as journal:
        for person, message in SENT_IDS.items():
            kind = "check-in" if message.startswith("<check-in") else "request"
            journal.add(
                Entry(
                    person=person,
                    kind="sent",
                    at=SENT_ON,
                    day=SENT_ON.date(),
                    subject="A message",
                    message_id=message,
                    template=kind,
                    template_kind=kind,
                    follow_up_after=7,
                    via="outreach",
                )
            )


@pytest.fixture
def mailbox(workspace: Path, imap_server: ImapServer) -> ImapServer:
    configure_imap(workspace, imap_server)
    seed_sent(workspace)
    return imap_server


def fill(server: ImapServer, inbox: list[str] = INBOX, sent: list[str] = SENT) -> None:
    for name in sent:
        server.put("Sent", mail(name), seen=True)
    for name in inbox:
        server.put("INBOX", mail(name))


def logged(run: Invoke, *args: str) -> list[dict[str, Any]]:
    result = run("sync", "--json", *args)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def journal_rows(workspace: Path) -> list[tuple[str, str, str | None, str | None]]:
    with open_journal(workspace / ".outreach" / "journal.sqlite") as journal:
        return [
            (e.person, e.kind, e.via, e.message_id)
            for e in journal.entries()
            if e.via != "outreach"
        ]


def test_every_row_of_the_mailbox_table(run: Invoke, workspace: Path, mailbox: ImapServer) -> None:
    fill(mailbox)
    entries = logged(run)
    got = sorted((e["person"], e["kind"], e["via"]) for e in entries)
    assert got == sorted(
        [
            ("ada-lovelace", "replied", "thread"),  # Thunderbird
            ("jose-nunez", "replied", "thread"),  # Gmail
            ("grace-hopper", "replied", "thread"),  # Outlook, naming the id Outlook gave
            ("mei-chen", "replied", "address"),  # no thread headers
            ("tom-baker", "auto-reply", "mailbox"),  # Exchange
            ("ada-lovelace", "auto-reply", "mailbox"),  # Gmail's vacation responder
            ("jose-nunez", "auto-reply", "mailbox"),  # vacation (Postfix)
            ("grace-hopper", "auto-reply", "mailbox"),  # only its subject says so
            ("jose-nunez", "bounced", "mailbox"),  # Postfix
            ("mei-chen", "bounced", "mailbox"),  # Exchange
            ("ada-lovelace", "bounced", "mailbox"),  # no original headers: by its recipient
            ("tom-baker", "note", "mailbox"),  # a delay
            ("grace-hopper", "replied", "thread"),  # no Message-ID
            ("jose-nunez", "replied", "thread"),  # broken encoded words, no Date
            ("mei-chen", "replied", "thread"),  # 8-bit headers
            ("tom-baker", "sent", "mailbox"),  # written in the mail program
        ]
    )
    by_subject = {e["subject"]: e for e in entries}
    bounce = by_subject["Undelivered Mail Returned to Sender"]
    assert bounce["note"].startswith("5.1.1 ")
    assert "User unknown" in bounce["note"]
    reply = by_subject["Re: A question about the Gridwise design team"]
    assert reply["message_id"] == "<3b6f2c1e-9a7d-4c55-8e0b-2f1d7a9c4e11@example.org>"
    assert reply["at"].startswith("2024-05-14")
    # Nothing in the account changed: nothing marked read, moved or deleted.
    flags = [f for _, f, _ in mailbox.messages("INBOX")]
    assert len(flags) == len(INBOX)
    assert all("\\Seen" not in f for f in flags)
    assert len(mailbox.messages("Sent")) == len(SENT)


def test_the_output_groups_what_was_logged_and_says_how(run: Invoke, mailbox: ImapServer) -> None:
    fill(mailbox, ["reply-thunderbird.eml", "reply-by-address.eml", "bounce-postfix.eml"], [])
    result = run("sync")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Replies: 2") < out.index("Bounces")
    assert f"In-Reply-To names {SENT_IDS['ada-lovelace']}" in out
    assert "from mei@example.org" in out
    assert "outreach log remove" in out


def test_a_second_run_logs_nothing_twice_and_a_new_message_is_read(
    run: Invoke, workspace: Path, mailbox: ImapServer
) -> None:
    fill(mailbox, INBOX[:4])
    assert len(logged(run)) == 5  # four replies and the message sent by hand
    before = journal_rows(workspace)
    assert logged(run) == []
    assert journal_rows(workspace) == before
    state = json.loads((workspace / ".outreach" / "sync.json").read_text())
    assert set(state["folders"]) == {"Sent", "INBOX"}
    mailbox.put("INBOX", mail("auto-exchange.eml"))
    again = logged(run)
    assert [(e["person"], e["kind"]) for e in again] == [("tom-baker", "auto-reply")]
    # --since reads the window again, and logs nothing twice.
    assert logged(run, "--since", "2000-01-01") == []


def test_a_changed_uidvalidity_rescans_and_logs_nothing_twice(
    run: Invoke, workspace: Path, mailbox: ImapServer
) -> None:
    fill(mailbox, INBOX[:2], [])
    assert len(logged(run)) == 2
    path = workspace / ".outreach" / "sync.json"
    state = json.loads(path.read_text())
    state["folders"]["INBOX"] = {"uidvalidity": 1, "last_uid": 10_000}
    path.write_text(json.dumps(state))
    mailbox.put("INBOX", mail("reply-outlook.eml"))
    mailbox.put("Sent", mail("sent-outlook-copy.eml"))
    again = logged(run)
    assert [(e["person"], e["kind"]) for e in again] == [("grace-hopper", "replied")]


def test_a_dry_run_logs_nothing_and_keeps_no_state(
    run: Invoke, workspace: Path, mailbox: ImapServer
) -> None:
    fill(mailbox, INBOX[:2], [])
    before = snapshot(workspace)
    result = run("sync", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Replies: 2" in result.stdout
    assert "nothing was logged" in result.stdout
    assert snapshot(workspace) == before
    assert len(logged(run)) == 2


def test_a_wrong_password_is_one_error_and_nothing_logged(
    run: Invoke, workspace: Path, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(mailbox, INBOX[:2], [])
    monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", "wrong")
    result = run("sync")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1
    assert "Traceback" not in result.output
    assert journal_rows(workspace) == []
    assert not (workspace / ".outreach" / "sync.json").exists()


def test_a_refused_certificate_is_one_error_and_nothing_logged(
    run: Invoke, workspace: Path, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(mailbox, INBOX[:2], [])
    monkeypatch.delenv("SSL_CERT_FILE")
    result = run("sync")
    assert result.exit_code == 1
    assert "certificate" in result.stderr
    assert journal_rows(workspace) == []


def test_a_missing_folder_is_an_error_before_anything_is_logged(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    configure_imap(workspace, imap_server, folders=("INBOX", "Replies"))
    seed_sent(workspace)
    fill(imap_server, INBOX[:2], SENT)
    result = run("sync")
    assert result.exit_code == 1
    assert "Replies" in result.stderr
    assert journal_rows(workspace) == []


def test_a_run_cut_off_keeps_what_it_logged_and_the_next_resumes(
    run: Invoke, workspace: Path, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outreach.mailbox import sync

    fill(mailbox, INBOX[:4], [])
    monkeypatch.setattr(sync, "BATCH", 1)
    real_headers = sync._Reader.headers
    calls = []

    def dropping(self: Any, first: int, last: int | None) -> Any:
        calls.append(first)
        if len(calls) == 3:
            self.imap.shutdown()  # the connection drops for real
        return real_headers(self, first, last)

    monkeypatch.setattr(sync._Reader, "headers", dropping)
    result = run("sync")
    assert result.exit_code == 1
    assert "the connection was lost" in result.stderr
    assert "Traceback" not in result.output
    first = journal_rows(workspace)
    assert len(first) == 2
    monkeypatch.setattr(sync._Reader, "headers", real_headers)
    rest = logged(run)
    assert len(rest) == 2
    assert {row[3] for row in first}.isdisjoint(e["message_id"] for e in rest)


def test_malformed_mail_is_read_as_far_as_it_goes_and_the_run_goes_on(
    run: Invoke, mailbox: ImapServer
) -> None:
    references = " ".join(f"<thread.{n}@lists.example.org>" for n in range(65_000))
    huge = (
        "From: Ada Lovelace <ada@example.org>\r\nTo: sam@example.org\r\n"
        f"Subject: long thread\r\nReferences: {references}\r\n"
        f"In-Reply-To: {SENT_IDS['ada-lovelace']}\r\n\r\nBody.\r\n"
    ).encode()
    mailbox.put("INBOX", huge)
    mailbox.put("INBOX", b"\x00\xff\xfe not a message at all \r\n\r\n")
    fill(mailbox, ["no-message-id.eml", "broken-encoded-words.eml", "eight-bit-headers.eml"], [])
    entries = logged(run)
    assert sorted(e["person"] for e in entries) == [
        "ada-lovelace",
        "grace-hopper",
        "jose-nunez",
        "mei-chen",
    ]


@pytest.mark.skipif("pushed" not in DRAFT_STATUSES, reason="needs the `pushed` status")
def test_a_pushed_draft_found_in_sent_is_filed_and_logged_on_the_day_it_went(
    run: Invoke, workspace: Path, mailbox: ImapServer
) -> None:
    draft = workspace / "drafts" / "grace-hopper--request.md"
    draft.parent.mkdir(exist_ok=True)
    draft.write_text(
        "---\nto: Grace Hopper <grace.hopper@example.org>\nsubject: Twenty minutes?\n"
        "template: request\nkind: request\ncontact: grace-hopper\nstatus: pushed\n"
        "message_id: <request.grace-hopper.w7r2@sam.example.org>\nfollow_up_after: 5d\n"
        "---\nHi Grace,\n"
    )
    with open_journal(workspace / ".outreach" / "journal.sqlite") as journal:
        grace = next(e for e in journal.entries() if e.person == "grace-hopper")
        assert grace.id is not None
        journal.remove(grace.id)  # pushed, not sent by outreach
    fill(mailbox, ["reply-outlook.eml"], ["sent-outlook-copy.eml"])
    entries = logged(run)
    sent = [e for e in entries if e["kind"] == "sent"]
    assert len(sent) == 1
    assert sent[0]["message_id"] == SENT_IDS["grace-hopper"]
    assert sent[0]["at"].startswith("2024-05-13")
    assert not draft.exists()
    filed = list((workspace / "sent").glob("2024-05-13--grace-hopper--request*.md"))
    assert len(filed) == 1
    with open_journal(workspace / ".outreach" / "journal.sqlite") as journal:
        entry = next(
            e for e in journal.entries() if e.kind == "sent" and e.person == "grace-hopper"
        )
    assert (entry.template, entry.template_kind, entry.follow_up_after) == ("request", "request", 5)
    assert any(e["kind"] == "replied" and e["person"] == "grace-hopper" for e in entries)
    assert date.fromisoformat(entry.day.isoformat()) == date(2024, 5, 13)


def test_push_then_send_from_the_mail_program_then_sync_logs_it_sent(
    run: Invoke, workspace: Path, imap_server: ImapServer
) -> None:
    from tests.helpers import approve_requests

    configure_imap(workspace, imap_server)
    approve_requests(run, "ada")
    assert run("drafts", "push", "--all").exit_code == 0
    [draft] = (workspace / "drafts").glob("ada-lovelace--*.md")
    [(uid, _, _)] = imap_server.messages("Drafts")
    # The person sends it from their mail program: it leaves Drafts for Sent, no longer a draft.
    with imap_server.client() as imap:
        imap.select_folder("Drafts")  # type: ignore[attr-defined]
        imap.copy([uid], "Sent")  # type: ignore[attr-defined]
        imap.delete_messages([uid])  # type: ignore[attr-defined]
        imap.expunge()  # type: ignore[attr-defined]
    [(sent_uid, _, _)] = imap_server.messages("Sent")
    with imap_server.client() as imap:
        imap.select_folder("Sent")  # type: ignore[attr-defined]
        imap.remove_flags([sent_uid], ["\\Draft"])  # type: ignore[attr-defined]
    [entry] = logged(run)
    assert (entry["person"], entry["kind"], entry["via"]) == ("ada-lovelace", "sent", "mailbox")
    assert not draft.exists()
    assert len(list((workspace / "sent").glob("*--ada-lovelace--*.md"))) == 1
    with open_journal(workspace / ".outreach" / "journal.sqlite") as journal:
        [sent] = [e for e in journal.entries() if e.kind == "sent"]
    assert sent.template_kind == "request" and sent.follow_up_after
    assert logged(run) == []  # and never twice


def test_a_long_read_fetches_its_delivery_reports_on_a_second_connection(
    run: Invoke, workspace: Path, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outreach.mailbox import sync

    fill(mailbox)
    monkeypatch.setattr(sync, "BATCH", 2)  # INBOX is a long read: nine batches
    streamed, fetched = set(), set()
    real_headers, real_reports = sync._Reader.headers, sync._Reader.reports

    def headers(self: Any, first: int, last: int | None) -> Any:
        streamed.add(id(self.imap))
        return real_headers(self, first, last)

    def reports(self: Any, uids: Any) -> Any:
        fetched.add(id(self.imap))
        return real_reports(self, uids)

    monkeypatch.setattr(sync._Reader, "headers", headers)
    monkeypatch.setattr(sync._Reader, "reports", reports)
    entries = logged(run)
    assert fetched and fetched.isdisjoint(streamed)
    others = [e for e in entries if e["kind"] != "replied"]
    got = sorted((e["person"], e["kind"], e["note"] or "") for e in others)
    assert [(person, kind) for person, kind, _ in got] == sorted(
        [
            ("tom-baker", "auto-reply"),
            ("ada-lovelace", "auto-reply"),
            ("jose-nunez", "auto-reply"),
            ("grace-hopper", "auto-reply"),
            ("jose-nunez", "bounced"),
            ("mei-chen", "bounced"),
            ("ada-lovelace", "bounced"),
            ("tom-baker", "note"),
            ("tom-baker", "sent"),
        ]
    )
    assert all(note.startswith("5.") for _, kind, note in got if kind == "bounced")
    assert sum(1 for e in entries if e["kind"] == "replied") == 7
    # The marks moved batch by batch to the end, and a second run logs nothing.
    state = json.loads((workspace / ".outreach" / "sync.json").read_text())
    highest = max(uid for uid, _, _ in mailbox.messages("INBOX"))
    assert state["folders"]["INBOX"]["last_uid"] == highest
    assert logged(run) == []


def test_without_a_second_connection_the_reports_are_fetched_between_batches(
    run: Invoke, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outreach.mailbox import connection, sync

    fill(mailbox, ["bounce-postfix.eml", *INBOX[:4], "bounce-exchange.eml"], [])
    monkeypatch.setattr(sync, "BATCH", 2)

    def refused(self: Any) -> Any:
        raise OSError("too many connections")

    monkeypatch.setattr(connection.Mailbox, "another", refused)
    entries = logged(run)
    assert sorted((e["person"], e["kind"]) for e in entries if e["kind"] == "bounced") == [
        ("jose-nunez", "bounced"),
        ("mei-chen", "bounced"),
    ]
    assert len(entries) == 6


def test_a_message_without_a_date_is_logged_when_it_arrived(
    run: Invoke, mailbox: ImapServer
) -> None:
    arrived = datetime(2024, 5, 20, 9, 30, tzinfo=UTC)
    data = mail("broken-encoded-words.eml")  # its Date says "not a date at all"
    if mailbox.maildir is not None:  # Dovecot: a message arrived when its file was written
        mailbox.put("INBOX", data)
        (path,) = (mailbox.maildir / "new").iterdir()
        os.utime(path, (arrived.timestamp(), arrived.timestamp()))
    else:
        with mailbox.client() as imap:
            imap.append("INBOX", data, msg_time=arrived)  # type: ignore[attr-defined]
    (entry,) = logged(run, "--since", "2024-05-01")  # the window reaches back to it
    assert (entry["person"], entry["kind"]) == ("jose-nunez", "replied")
    assert entry["at"].startswith("2024-05-20T09:30")


def test_a_run_with_nothing_new_reads_no_contacts_and_rewrites_no_state(
    run: Invoke, workspace: Path, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outreach.workspace.folder import Workspace

    fill(mailbox, INBOX[:2], [])
    assert len(logged(run)) == 2
    path = workspace / ".outreach" / "sync.json"
    before = path.stat()
    loads = []
    real_load = Workspace.load_contacts

    def counted(self: Workspace) -> Any:
        loads.append(1)
        return real_load(self)

    monkeypatch.setattr(Workspace, "load_contacts", counted)
    assert logged(run) == []
    assert loads == []
    assert path.stat().st_ino == before.st_ino  # not written again: it would say the same
    mailbox.put("INBOX", mail("reply-outlook.eml"))
    assert [e["person"] for e in logged(run)] == ["grace-hopper"]
    assert loads == [1]
    highest = max(uid for uid, _, _ in mailbox.messages("INBOX"))
    assert json.loads(path.read_text())["folders"]["INBOX"]["last_uid"] == highest


def test_imap_folders_are_read_on_a_connection_that_sent_no_list(
    run: Invoke, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imapclient import IMAPClient

    from outreach.mailbox import sync

    fill(mailbox, INBOX[:4])
    listed, read = set(), {}
    real_list, real_examine = IMAPClient.list_folders, sync._Reader.examine

    def list_folders(self: Any, *args: Any, **kwargs: Any) -> Any:
        listed.add(id(self))
        return real_list(self, *args, **kwargs)

    def examine(self: Any, folder: str) -> Any:
        read[folder] = id(self.client)
        return real_examine(self, folder)

    monkeypatch.setattr(IMAPClient, "list_folders", list_folders)
    monkeypatch.setattr(sync._Reader, "examine", examine)
    assert len(logged(run)) == 5
    assert read["Sent"] in listed
    assert read["INBOX"] not in listed


def test_the_next_batch_is_asked_for_before_this_one_is_logged(
    run: Invoke, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outreach.journal.database import Journal
    from outreach.mailbox import sync

    fill(mailbox, INBOX[:6], [])
    monkeypatch.setattr(sync, "BATCH", 2)  # three batches
    events: list[str] = []
    real_send, real_add_new = sync._Reader._send, Journal.add_new

    def send(self: Any, command: str) -> bytes:
        if command.startswith("UID FETCH") and "HEADER.FIELDS" in command:
            events.append("ask " + command.split()[2])
        return real_send(self, command)  # type: ignore[no-any-return]

    def add_new(self: Journal, entries: Any) -> list[Entry]:
        added = real_add_new(self, entries)
        events.append(f"log {len(added)}")
        return added

    monkeypatch.setattr(sync._Reader, "_send", send)
    monkeypatch.setattr(Journal, "add_new", add_new)
    entries = logged(run)
    uids = sorted(uid for uid, _, _ in mailbox.messages("INBOX"))
    batches = [f"{uids[n]}:{uids[n + 1]}" for n in (0, 2, 4)]
    # each batch's fetch goes out before the batch before it is logged
    assert events == [
        f"ask {batches[0]}",
        f"ask {batches[1]}",
        "log 2",
        f"ask {batches[2]}",
        "log 2",
        "log 2",
    ]
    assert len(entries) == 6
    assert logged(run) == []


def test_the_first_of_imap_folders_is_opened_as_soon_as_its_connection_is_made(
    run: Invoke, mailbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from imapclient import IMAPClient

    fill(mailbox, INBOX[:4])
    opened: list[tuple[str, str]] = []
    real_select = IMAPClient.select_folder

    def select_folder(self: Any, folder: str, readonly: bool = False) -> Any:
        opened.append((folder, threading.current_thread().name))
        return real_select(self, folder, readonly)

    monkeypatch.setattr(IMAPClient, "select_folder", select_folder)
    assert len(logged(run)) == 5
    # opened once, by the thread that logs the second connection in (while Sent is read on
    # the first), not again when its turn comes
    (inbox,) = [thread for folder, thread in opened if folder == "INBOX"]
    assert inbox.startswith("outreach-unlisted")
    assert [thread for folder, thread in opened if folder == "Sent"] == ["MainThread"]
