"""Sending speed (issue 4), measured side by side in one run, to a loopback SMTP server.

  outreach send --yes (500 approved drafts,   vs  mailmerge 2.3 --no-limit --no-dry-run
  an empty journal before each run)               (one connection per message): at most 0.6x
                                              vs  the floor: 500 prebuilt messages over one
                                                  smtplib connection, in a process of its
                                                  own: at most 1.3x (issue 15)

Run: python bench/sending.py [--runs N] [--people N] [--keep] [--strict]
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from common import (
    BENCH_DIR,
    Case,
    Target,
    arguments,
    clean_env,
    make_people,
    make_workspace,
    measure,
    program,
    report,
    run,
    work_folder,
    write_csv,
)
from drafting import mailmerge_template


class SmtpSink:
    """bench/smtp_sink.py in its own process: aiosmtpd on 127.0.0.1, accepting and discarding."""

    def __init__(self, log: Path) -> None:
        self.log = log
        with log.open("w") as errors:
            self.process = subprocess.Popen(
                [sys.executable, str(BENCH_DIR / "smtp_sink.py")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env=clean_env(),
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            sys.exit(f"bench: the SMTP sink did not start:\n{log.read_text()}")
        self.port = int(line)

    def received(self) -> int:
        """Messages accepted since the last call."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def smtp_sink(log: Path) -> Iterator[SmtpSink]:
    sink = SmtpSink(log)
    try:
        yield sink
    finally:
        sink.stop()


def point_at(workspace: Path, port: int) -> None:
    """outreach.toml: the loopback server, no login, no encryption, no pauses, no daily cap."""
    settings = tomllib.loads((workspace / "outreach.toml").read_text(encoding="utf-8"))
    me, limits = settings["me"], settings.get("limits", {})
    lines = ["[me]"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in me.items()]
    lines += ["", "[smtp]", 'host = "127.0.0.1"', f"port = {port}", 'security = "none"']
    lines += ["", "[limits]", "per_minute = 0", "per_day = 0"]
    lines += [
        f"{key} = {json.dumps(value)}"
        for key, value in limits.items()
        if key not in ("per_minute", "per_day")
    ]
    (workspace / "outreach.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_draft(path: Path) -> tuple[dict[str, str], str]:
    """A draft's front matter (`key: value` lines) and body."""
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    headers = dict(line.split(": ", 1) for line in front.splitlines() if ": " in line)
    return headers, body


def build_floor_messages(workspace: Path, folder: Path) -> int:
    """The drafts' messages, built once with the standard library, for the floor to send."""
    me = tomllib.loads((workspace / "outreach.toml").read_text(encoding="utf-8"))["me"]
    folder.mkdir()
    envelopes = []
    for number, path in enumerate(sorted((workspace / "drafts").glob("*.md")), start=1):
        headers, body = read_draft(path)
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = f"{me['name']} <{me['email']}>"
        message["To"] = headers["to"]
        message["Subject"] = headers["subject"]
        message["Date"] = format_datetime(datetime.now().astimezone())
        message["Message-ID"] = headers["message_id"]
        if headers.get("reply_to"):
            message["Reply-To"] = headers["reply_to"]
        message.set_content(body)
        name = f"{number:04d}.eml"
        (folder / name).write_bytes(message.as_bytes())
        envelopes.append(f"{name}\t{me['email']}\t{parseaddr(headers['to'])[1]}")
    (folder / "envelopes.tsv").write_text("\n".join(envelopes) + "\n", encoding="utf-8")
    return len(envelopes)


def mailmerge_config(port: int) -> str:
    return f"""\
[smtp_server]
host = 127.0.0.1
port = {port}
security = Never
ratelimit = 0
"""


def main() -> int:
    args = arguments(__doc__.split("\n")[0], runs=5, people=500)
    outreach = program("outreach")
    count = args.people
    with work_folder("sending", args.keep) as folder, smtp_sink(folder / "sink.log") as sink:
        print(f"making a workspace with {count:,} approved drafts ...", file=sys.stderr)
        people = make_people(count)
        pristine = make_workspace(folder / "pristine", people)
        point_at(pristine, sink.port)
        run([outreach, "draft", "request", "--all"], cwd=pristine)
        run([outreach, "approve", "--all"], cwd=pristine)
        run([outreach, "log", "--json"], cwd=pristine)  # an empty journal, created and migrated
        approved = sum(
            read_draft(path)[0].get("status") == "approved"
            for path in (pristine / "drafts").glob("*.md")
        )
        if approved != count:
            sys.exit(f"bench: {approved} of {count} drafts are approved")

        # mailmerge: the same people as CSV, the same text as its template, the same server.
        merge = folder / "mailmerge"
        merge.mkdir()
        write_csv(merge / "people.csv", people)
        (merge / "request.txt").write_text(mailmerge_template(pristine), encoding="utf-8")
        (merge / "server.conf").write_text(mailmerge_config(sink.port), encoding="utf-8")

        # the floor: the same messages, built beforehand.
        messages = folder / "floor-messages"
        built = build_floor_messages(pristine, messages)

        workspace = folder / "workspace"

        def fresh_workspace() -> None:
            """500 approved drafts and an empty journal again, as before the first send."""
            shutil.rmtree(workspace, ignore_errors=True)
            shutil.copytree(pristine, workspace)
            sink.received()  # start counting afresh

        def arrived(label: str, expected: int) -> None:
            got = sink.received()
            if got != expected:
                sys.exit(f"bench: {label}: the server received {got} messages, not {expected}")

        def outreach_sent() -> None:
            arrived("outreach send", count)
            left = list((workspace / "drafts").glob("*.md"))
            filed = list((workspace / "sent").glob("*.md"))
            if left or len(filed) != count:
                sys.exit(f"bench: outreach send left {len(left)} drafts, filed {len(filed)}")

        cases = [
            Case(
                f"outreach send --yes ({count} approved drafts)",
                [outreach, "send", "--yes"],
                cwd=workspace,
                setup=fresh_workspace,
                check=outreach_sent,
            ),
            Case(
                "mailmerge --no-limit --no-dry-run",
                [
                    program("mailmerge"),
                    "--no-limit",
                    "--no-dry-run",
                    "--template",
                    str(merge / "request.txt"),
                    "--database",
                    str(merge / "people.csv"),
                    "--config",
                    str(merge / "server.conf"),
                ],
                setup=sink.received,
                check=lambda: arrived("mailmerge", count),
            ),
            Case(
                "floor (prebuilt, one smtplib connection)",
                [
                    sys.executable,
                    str(BENCH_DIR / "send_floor.py"),
                    str(messages),
                    "127.0.0.1",
                    str(sink.port),
                ],
                setup=sink.received,
                check=lambda: arrived("the floor", built),
            ),
        ]
        outreach_case, mailmerge_case, floor_case = cases
        print(f"timing {len(cases)} commands, {args.runs} runs each ...", file=sys.stderr)
        measure(cases, args.runs, warmup=1)
    passed = report(
        f"sending {count:,} approved drafts to a loopback SMTP server (issue 4)",
        cases,
        [
            Target("outreach send / mailmerge", outreach_case, mailmerge_case, 0.6),
            Target("outreach send / floor", outreach_case, floor_case, 1.3),
        ],
        args.runs,
    )
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
