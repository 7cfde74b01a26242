"""Reading the mailbox (issue 13), measured side by side in one run, on a private Dovecot.

  outreach sync, first run (50,000 messages)    vs  bare imaplib: login, select, fetch the
                                                    same header fields, match the sent ids
                                                                           target: at most 1.5x
  outreach sync, nothing new                    vs  bare login, select, UID SEARCH UID n:*,
                                                    plus outreach --help   target: at most 2x
  peak RSS of the first sync (memory flat in the mailbox's size: compare --messages 200000)

Run: python bench/mailbox.py [--runs N] [--messages N] [--keep] [--strict]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    Case,
    Target,
    clean_env,
    make_people,
    make_workspace,
    measure,
    person_id,
    program,
    report,
    run,
    work_folder,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/imap_server.py

SENT = 500
WORDS = tuple(
    [
        "the",
        "quarterly",
        "report",
        "attached",
        "meeting",
        "schedule",
        "project",
        "update",
        "please",
        "review",
        "notes",
        "draft",
        "budget",
        "timeline",
        "design",
        "research",
        "team",
        "offsite",
        "agenda",
        "minutes",
        "follow",
        "thanks",
        "regards",
        "shipping",
        "invoice",
        "newsletter",
        "webinar",
        "launch",
        "roadmap",
        "feedback",
        "survey",
    ]
)


def body(rng: random.Random) -> str:
    """1 to 20 KB of text, most near the small end (about 5 KB on average)."""
    size = min(20_000, 1_000 + int(rng.expovariate(1 / 4_000)))
    words: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choices(WORDS, k=12))
        words.append(line)
        length += len(line) + 2
    return "\r\n".join(words) + "\r\n"


def headers(**fields: str) -> str:
    return "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in fields.items())


def date_of(moment: datetime.datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(moment)


def inbox_message(
    number: int, rng: random.Random, people: list[dict[str, object]], moment: datetime.datetime
) -> tuple[bytes, str]:
    """One message and what it is: reply (2%), auto-reply, bounce, or other mail."""
    roll = rng.random()
    when = date_of(moment)
    if roll < 0.02 + 0.004 + 0.002:
        index = rng.randrange(SENT)
        person = people[index]
        sent_id = f"<bench.sent.{index}@sam.example.org>"
        address = str(person["email"])
        if roll < 0.02:
            return (
                headers(
                    From=f"{person['name']} <{address}>",
                    To="Sam Rivera <sam@example.org>",
                    Subject="Re: A question",
                    Date=when,
                    Message_ID=f"<reply.{number}@example.org>",
                    In_Reply_To=sent_id,
                    References=sent_id,
                    Content_Type="text/plain; charset=utf-8",
                )
                + "\r\n"
                + body(rng)
            ).encode(), "replied"
        if roll < 0.024:
            return (
                headers(
                    From=address,
                    To="sam@example.org",
                    Subject="Automatic reply: A question",
                    Date=when,
                    Message_ID=f"<auto.{number}@example.org>",
                    In_Reply_To=sent_id,
                    Auto_Submitted="auto-replied",
                )
                + "\r\nI am away.\r\n"
            ).encode(), "auto-reply"
        boundary = f"bounce{number}"
        return (
            headers(
                From="MAILER-DAEMON@mx.example.org (Mail Delivery System)",
                To="sam@example.org",
                Subject="Undelivered Mail Returned to Sender",
                Date=when,
                Message_ID=f"<bounce.{number}@mx.example.org>",
                Auto_Submitted="auto-replied",
                MIME_Version="1.0",
                Content_Type="multipart/report; report-type=delivery-status; "
                f'boundary="{boundary}"',
            )
            + f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
            + f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
            + "Reporting-MTA: dns; mx.example.org\r\n\r\n"
            + f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            + "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
            + f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            + f"From: sam@example.org\r\nTo: {address}\r\nMessage-ID: {sent_id}\r\n"
            + f"--{boundary}--\r\n"
        ).encode(), "bounced"
    sender = f"someone{rng.randrange(5_000)}@elsewhere.example.net"
    extra: dict[str, str] = {}
    if rng.random() < 0.3:
        extra["List_Id"] = f"<news{rng.randrange(40)}.lists.example.net>"
    if rng.random() < 0.3:
        extra["In_Reply_To"] = f"<other.{rng.randrange(number + 1)}@elsewhere.example.net>"
        extra["References"] = extra["In_Reply_To"]
    return (
        headers(
            From=f"Some One <{sender}>",
            To="sam@example.org",
            Subject=f"Update {number}",
            Date=when,
            Message_ID=f"<mail.{number}@elsewhere.example.net>",
            Content_Type="text/plain; charset=utf-8",
            **extra,
        )
        + "\r\n"
        + body(rng)
    ).encode(), "other"


def maildir_name(number: int, data: bytes, moment: datetime.datetime) -> str:
    """A message's file name as a delivery agent writes it (Dovecot's LDA, Postfix): its
    arrival time, a microsecond and a process id that vary (here made from `number`, unique),
    the host, its size, and its flags (\\Seen). Dovecot hashes the part before the flags to
    find a message's file: names that differ only in a counter (an earlier
    `1100001001.M1001.bench`) fall into a few thousand-deep buckets of that hash, and every
    session that opens a message body (a delivery report) spent 1.4 s of the server's CPU in
    its lookup, which no real Maildir costs."""
    microsecond = number * 104_729 % 1_000_000
    pid = 1_000 + number * 7_919 % 60_000
    return (
        f"{int(moment.timestamp())}.M{microsecond}P{pid}.mx.example.org,"
        f"S={len(data)},W={len(data)}:2,S"
    )


def fill_maildir(server: object, people: list[dict[str, object]], count: int) -> dict[str, int]:
    """Write the messages straight into Dovecot's Maildir (its mail user owns them)."""
    maildir: Path = server.maildir  # type: ignore[attr-defined]
    uid, gid = server._owner  # type: ignore[attr-defined]
    rng = random.Random(2026)
    now = datetime.datetime.now(datetime.UTC)
    kinds: dict[str, int] = {}
    sent_box = maildir / ".Sent"
    for box in (maildir, sent_box):
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
            os.chown(box / sub, uid, gid)
        os.chown(box, uid, gid)

    def put(box: Path, number: int, data: bytes, moment: datetime.datetime) -> None:
        path = box / "cur" / maildir_name(number, data, moment)
        path.write_bytes(data)
        os.chown(path, uid, gid)
        stamp = moment.timestamp()
        os.utime(path, (stamp, stamp))  # Dovecot takes the received date from it

    sent_at = now - datetime.timedelta(days=80)
    for index in range(SENT):
        person = people[index]
        data = (
            headers(
                From="Sam Rivera <sam@example.org>",
                To=f"{person['name']} <{person['email']}>",
                Subject="A question",
                Date=date_of(sent_at),
                Message_ID=f"<bench.sent.{index}@sam.example.org>",
            )
            + "\r\n"
            + body(rng)
        ).encode()
        put(sent_box, index, data, sent_at)
    for number in range(count):
        # spread over the 60 days before now: inside the first run's 90, whatever the count
        moment = now - datetime.timedelta(seconds=(count - number) * 60 * 86_400 / count)
        data, kind = inbox_message(number, rng, people, moment)
        kinds[kind] = kinds.get(kind, 0) + 1
        put(maildir, number, data, moment)
    return kinds


def seed_journal(workspace: Path, people: list[dict[str, object]]) -> None:
    from outreach.journal.database import Entry, Journal

    moment = datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(
        days=80
    )
    with Journal(workspace / ".outreach" / "journal.sqlite") as journal:
        journal.add_new(
            Entry(
                person=person_id(people[index]),
                kind="sent",
                at=moment,
                day=moment.date(),
                subject="A question",
                message_id=f"<bench.sent.{index}@sam.example.org>",
                template="request",
                template_kind="request",
                follow_up_after=7,
                via="outreach",
            )
            for index in range(SENT)
        )


def peak_rss_kb(argv: list[str], cwd: Path) -> int:
    """The peak resident memory of one run of argv, in KB (its own process only)."""
    script = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, *argv],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument(
        "--messages", type=int, default=50_000, help="messages in INBOX (default 50,000)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the workspace in bench/.work/")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    from tests.imap_server import FOLDERS, which_server

    if which_server() != "dovecot":
        sys.exit("bench: needs Dovecot (dovecot-imapd) installed: the floor was measured on it")
    from tests.imap_server import dovecot_server

    outreach = program("outreach")
    floor = [sys.executable, str(Path(__file__).parent / "mailbox_floor.py")]
    with work_folder("mailbox", args.keep) as folder, dovecot_server(FOLDERS) as server:
        os.environ["SSL_CERT_FILE"] = str(server.ca.bundle)
        os.environ["OUTREACH_IMAP_PASSWORD"] = server.password
        people = make_people(SENT)
        workspace = make_workspace(folder / "workspace", people)
        with (workspace / "outreach.toml").open("a") as settings:
            settings.write("\n" + server.settings(security="ssl"))
        seed_journal(workspace, people)
        pristine = folder / "journal.pristine"
        shutil.copy(workspace / ".outreach" / "journal.sqlite", pristine)
        sent_ids = folder / "sent-ids"
        sent_ids.write_text("\n".join(f"<bench.sent.{i}@sam.example.org>" for i in range(SENT)))
        print(f"writing {args.messages:,} messages into the Maildir ...", file=sys.stderr)
        started = time.perf_counter()
        kinds = fill_maildir(server, people, args.messages)
        size = sum(p.stat().st_size for p in server.maildir.rglob("*") if p.is_file())
        print(
            f"  {size / 1e6:,.0f} MB in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items())),
            file=sys.stderr,
        )
        port = str(server.ports["ssl"])
        floor_args = [*floor, server.host, port, server.user, str(sent_ids)]
        # Untimed: Dovecot indexes the folders, and both sides are checked once.
        matched = int(run(floor_args, cwd=folder).strip())
        found = json.loads(run([outreach, "sync", "--json"], cwd=workspace))
        replied = sum(1 for e in found if e["kind"] == "replied")
        if replied != kinds.get("replied", 0) or matched < replied:
            sys.exit(f"bench: sync logged {replied} replies, the mailbox holds {kinds}")
        state = json.loads((workspace / ".outreach" / "sync.json").read_text())
        last_uid = state["folders"]["INBOX"]["last_uid"]

        def fresh() -> None:
            shutil.copy(pristine, workspace / ".outreach" / "journal.sqlite")
            for name in ("journal.sqlite-wal", "journal.sqlite-shm", "sync.json"):
                (workspace / ".outreach" / name).unlink(missing_ok=True)

        second_state = (workspace / ".outreach" / "sync.json").read_bytes()
        second_journal = folder / "journal.synced"
        shutil.copy(workspace / ".outreach" / "journal.sqlite", second_journal)

        def synced() -> None:
            shutil.copy(second_journal, workspace / ".outreach" / "journal.sqlite")
            for name in ("journal.sqlite-wal", "journal.sqlite-shm"):
                (workspace / ".outreach" / name).unlink(missing_ok=True)
            (workspace / ".outreach" / "sync.json").write_bytes(second_state)

        def settled(then: Callable[[], None] | None = None) -> Callable[[], None]:
            """A case's setup: first, untimed, a session that opens INBOX. Dovecot re-reads
            the folder's whole uidlist in the first session after another one rescanned or
            listed it (0.3 to 0.6 s at 50,000 messages); without this, whichever case runs
            after a first sync pays for it, the floor more often than not."""

            def setup() -> None:
                # UID n:* above every UID answers one UID: `1:*` answered all of them, a line
                # longer than imaplib reads (1 MB) at 200,000 messages
                run([*floor_args, "--search", "4294967295"], cwd=folder)
                if then is not None:
                    then()

            return setup

        first = Case(
            "outreach sync (first run)", [outreach, "sync"], workspace, setup=settled(fresh)
        )
        bare = Case("imaplib floor: fetch + match", floor_args, folder, setup=settled())
        second = Case(
            "outreach sync (nothing new)", [outreach, "sync"], workspace, setup=settled(synced)
        )
        search = Case(
            "imaplib: login, select, UID SEARCH",
            [*floor_args, "--search", str(last_uid + 1)],
            setup=settled(),
        )
        help_ = Case("outreach --help", [outreach, "--help"], workspace)
        cases = [first, bare, second, search, help_]
        print(f"timing {len(cases)} commands, {args.runs} runs each ...", file=sys.stderr)
        measure(cases, args.runs, warmup=1)
        fresh()
        rss = peak_rss_kb([outreach, "sync"], workspace)

    both = Case("login+select+search + --help", [])
    both.times = [a + b for a, b in zip(search.times, help_.times, strict=True)]
    both.peaks = [max(a, b) for a, b in zip(search.peaks, help_.peaks, strict=True)]
    passed = report(
        f"outreach sync on {args.messages:,} messages ({size / 1e6:,.0f} MB; {SENT} sent, "
        f"{kinds.get('replied', 0):,} replies) in Dovecot (issue 13)",
        [*cases, both],
        [
            Target("first sync / imaplib floor", first, bare, 1.5),
            Target("second sync / (search + --help)", second, both, 2.0),
        ],
        args.runs,
    )
    print(f"peak RSS of the first sync at {args.messages:,} messages: {rss / 1024:,.1f} MB")
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
