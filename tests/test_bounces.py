"""What entries read from the mailbox change (issue 13, the journal's side): a bounce and an
automatic reply are not contact and settle nothing, a bounced send is not followed up and its
address is flagged, a message sent from the mail program is contact, and `log remove` takes
any entry back with `due` and `contacts` kept right.

The entries are written as `outreach sync` writes them, through Journal.add_new.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path

from outreach.journal.database import Entry, Journal, moment_on
from outreach.support.text import EntryKind
from tests.conftest import Invoke
from tests.helpers import TODAY, day

_numbers = itertools.count(1)


def entry(
    person: str, kind: EntryKind, offset: int, via: str = "mailbox", **fields: object
) -> Entry:
    """An entry OFFSET days from today, with a message id of its own."""
    on = TODAY + timedelta(days=offset)
    values: dict[str, object] = {"message_id": f"<m{next(_numbers)}@example.org>", **fields}
    return Entry(person=person, kind=kind, at=moment_on(on), day=on, via=via, **values)  # type: ignore[arg-type]


def request(person: str, offset: int) -> Entry:
    """A request as `send` logs it: its template's kind and follow_up_after kept."""
    return entry(
        person,
        "sent",
        offset,
        "outreach",
        subject="A question",
        template="request",
        template_kind="request",
        follow_up_after=7,
    )


def logged(workspace: Path, *entries: Entry) -> list[Entry]:
    with Journal(workspace / ".outreach" / "journal.sqlite") as journal:
        return journal.add_new(entries)


def due(run: Invoke, person: str) -> list[tuple[str, str]]:
    result = run("due", "--json")
    assert result.exit_code == 0, result.output
    return [(r["reason"], r["due"]) for r in json.loads(result.stdout) if r["person"] == person]


def contact(run: Invoke, person: str) -> dict[str, object]:
    result = run("contacts", "--json")
    assert result.exit_code == 0, result.output
    (row,) = [r for r in json.loads(result.stdout) if r["id"] == person]
    return dict(row)


def test_a_bounced_request_is_not_followed_up(run: Invoke, workspace: Path) -> None:
    logged(workspace, request("grace-hopper", -10))
    assert ("follow-up", day(-3)) in due(run, "grace-hopper")
    logged(workspace, entry("grace-hopper", "bounced", -10, note="5.1.1 user unknown"))
    assert "follow-up" not in [reason for reason, _ in due(run, "grace-hopper")]
    # A new request to them (the address put right) is followed up again.
    logged(workspace, request("grace-hopper", -8))
    assert ("follow-up", day(-1)) in due(run, "grace-hopper")


def test_an_automatic_reply_settles_no_follow_up(run: Invoke, workspace: Path) -> None:
    logged(workspace, request("grace-hopper", -10), entry("grace-hopper", "auto-reply", -9))
    assert ("follow-up", day(-3)) in due(run, "grace-hopper")
    logged(workspace, entry("grace-hopper", "replied", -5, "thread"))
    assert "follow-up" not in [reason for reason, _ in due(run, "grace-hopper")]


def test_a_bounce_an_automatic_reply_or_a_delay_is_not_contact(
    run: Invoke, workspace: Path
) -> None:
    # Grace keeps in touch every 6 weeks: 42 days after the last contact.
    logged(workspace, entry("grace-hopper", "sent", -50, "outreach", template_kind="check-in"))
    before = contact(run, "grace-hopper")
    assert (before["last_contact"], before["next_due"]) == (day(-50), day(-8))
    logged(
        workspace,
        entry("grace-hopper", "auto-reply", -49),
        entry("grace-hopper", "note", -48, note="4.4.1 delayed: still trying"),
        entry("grace-hopper", "bounced", -47, note="5.2.2 mailbox full"),
    )
    after = contact(run, "grace-hopper")
    assert (after["last_contact"], after["next_due"]) == (day(-50), day(-8))
    assert ("check-in", day(-8)) in due(run, "grace-hopper")


def test_a_message_sent_from_the_mail_program_is_contact(run: Invoke, workspace: Path) -> None:
    logged(workspace, entry("grace-hopper", "sent", -50, "outreach", template_kind="check-in"))
    logged(workspace, entry("grace-hopper", "sent", -2, "mailbox", subject="Lunch?"))
    row = contact(run, "grace-hopper")
    assert (row["last_contact"], row["next_due"]) == (day(-2), day(40))
    assert due(run, "grace-hopper") == []


def test_a_bounced_address_is_flagged_in_contacts_and_check(run: Invoke, workspace: Path) -> None:
    assert contact(run, "grace-hopper")["bounced"] is None
    logged(workspace, request("grace-hopper", -10), entry("grace-hopper", "bounced", -9))
    assert contact(run, "grace-hopper")["bounced"] == day(-9)
    assert contact(run, "ada-lovelace")["bounced"] is None
    table = run("contacts")
    assert f"grace.hopper@example.org (bounced {day(-9)})" in table.stdout
    checked = run("check")
    assert checked.exit_code == 0, checked.output  # a warning, not an error
    (line,) = [line for line in checked.output.splitlines() if "bounced on" in line]
    assert "Grace Hopper (grace-hopper)" in line and day(-9) in line
    assert "grace.hopper@example.org" in line
    # A message sent since (the address put right) or a reply takes the flag away.
    logged(workspace, request("grace-hopper", -5))
    assert contact(run, "grace-hopper")["bounced"] is None
    assert "bounced on" not in run("check").output


def test_a_new_draft_to_a_bounced_address_earns_a_warning(run: Invoke, workspace: Path) -> None:
    logged(workspace, entry("grace-hopper", "sent", -10, "mailbox"))
    logged(workspace, entry("grace-hopper", "bounced", -9))
    drafted = run("draft", "request", "grace", "ada")
    assert drafted.exit_code == 0, drafted.output
    warned = [line for line in drafted.stderr.splitlines() if "bounced" in line]
    assert len(warned) == 1
    assert warned[0].startswith("Warning: ") and "Grace Hopper (grace-hopper)" in warned[0]
    assert (workspace / "drafts" / "grace-hopper--request.md").exists()  # drafted all the same


def test_log_shows_how_each_entry_came_and_its_number(run: Invoke, workspace: Path) -> None:
    assert run("log", "add", "ada", "met", "--on", day(-6)).exit_code == 0
    logged(
        workspace,
        request("ada-lovelace", -5),
        entry("ada-lovelace", "replied", -4, "thread", subject="Re: A question"),
        entry("ada-lovelace", "replied", -3, "address", subject="\x1b[2JHello"),
        entry("ada-lovelace", "auto-reply", -2, subject="Out of office"),
    )
    rows = json.loads(run("log", "--json").stdout)
    assert [(r["id"], r["kind"], r["via"]) for r in rows] == [
        (1, "met", "hand"),
        (2, "sent", "outreach"),
        (3, "replied", "thread"),
        (4, "replied", "address"),
        (5, "auto-reply", "mailbox"),
    ]
    shown = run("log").stdout
    lines = shown.splitlines()
    assert lines[0].split()[:2] == ["#", "DATE"]
    assert lines[3].split()[0] == "3" and "sync, by thread" in lines[3]
    assert "sync, by address" in lines[4] and "\\x1b[2JHello" in lines[4]
    assert "\x1b" not in shown  # a subject from the mailbox cannot move the cursor
    assert "outreach log remove" in shown  # a reply matched by address may need taking back


def test_log_remove_takes_an_entry_back(run: Invoke, workspace: Path) -> None:
    logged(workspace, request("grace-hopper", -10))
    (reply,) = logged(workspace, entry("grace-hopper", "replied", -4, "address", subject="Hi"))
    assert "follow-up" not in [reason for reason, _ in due(run, "grace-hopper")]
    removed = run("log", "remove", str(reply.id))
    assert removed.exit_code == 0, removed.output
    assert f"removed entry {reply.id}" in removed.stdout and "sync, by address" in removed.stdout
    assert [r["id"] for r in json.loads(run("log", "--json").stdout)] == [1]
    assert ("follow-up", day(-3)) in due(run, "grace-hopper")


def test_log_remove_of_no_such_entry_is_an_error(run: Invoke, workspace: Path) -> None:
    nothing = run("log", "remove", "3")
    assert nothing.exit_code == 1 and "Error:" in nothing.stderr and "no entry 3" in nothing.stderr
    assert not (workspace / ".outreach" / "journal.sqlite").exists()  # nothing created
    assert run("log", "add", "ada", "met").exit_code == 0
    missing = run("log", "remove", "3")
    assert missing.exit_code == 1 and "no entry 3" in missing.stderr
    assert len(json.loads(run("log", "--json").stdout)) == 1
    for bad in ("three", "0", "-1"):
        assert run("log", "remove", bad).exit_code == 2


def test_due_and_contacts_after_a_removal_are_as_if_it_was_never_logged(
    run: Invoke, workspace: Path
) -> None:
    entries = [
        request("grace-hopper", -30),
        entry("grace-hopper", "replied", -25, "thread"),
        entry("grace-hopper", "met", -20, "hand"),
        entry("grace-hopper", "sent", -18, "outreach", template_kind="thank-you"),
        request("grace-hopper", -12),
        entry("grace-hopper", "bounced", -12),
        entry("grace-hopper", "gave", -11, "hand"),
        request("mei-chen", -9),
        entry("mei-chen", "replied", -2, "address"),
    ]

    def views() -> list[str]:
        """What due, plan and contacts say of the journal as it is."""
        return [run(command, "--json").stdout for command in ("due", "plan", "contacts")]

    for place, gone in enumerate(entries):
        _new_journal(workspace)
        written = logged(workspace, *entries)
        assert run("log", "remove", str(written[place].id)).exit_code == 0
        removed = views()
        _new_journal(workspace)
        logged(workspace, *(e for e in entries if e is not gone))
        assert removed == views(), gone


def _new_journal(workspace: Path) -> None:
    for path in (workspace / ".outreach").glob("journal.sqlite*"):
        path.unlink()
