"""The README's "A week of keeping in touch", typed today: every line it shows, dates aside.

The walkthrough is read from the README itself and run with the installed command in a fresh
example workspace, sending to a real SMTP server on loopback. Its dates are relative, so the
README's dates are moved by as many days as today is after the day its run began.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from outreach.support.dates import WEEKDAYS
from tests.helpers import configure, outreach_command
from tests.smtp_server import smtp_server

README = Path(__file__).parent.parent / "README.md"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
README_PORT = 8025
README_WORKSPACE = "/home/sam/demo"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n### {title}\n")
    return text[start : text.index("\n## ", start)]


def fenced(text: str, language: str) -> Iterator[str]:
    yield from re.findall(rf"(?ms)^```{language}\n(.*?)^```$", text)


def steps(console: str) -> list[tuple[str, str]]:
    """Each `$ command` of a console block with the output shown under it."""
    found: list[tuple[str, list[str]]] = []
    for line in console.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        else:
            found[-1][1].append(line)
    return [(command, "".join(f"{line}\n" for line in output)) for command, output in found]


WEEK = section("A week of keeping in touch")
BEGAN = date.fromisoformat(re.findall(r"this run began on (\d{4}-\d{2}-\d{2})", WEEK)[0])
STEPS = steps(next(fenced(WEEK, "console")))


def shifted(text: str, days: int) -> str:
    """The README's text with every date moved by `days`."""
    return ISO_DATE.sub(
        lambda m: (date.fromisoformat(m.group()) + timedelta(days=days)).isoformat(), text
    )


def outreach(workspace: Path, *args: str) -> str:
    """Run the installed command as the reader would: standard output and errors as one."""
    done = subprocess.run(
        [*outreach_command(), *args],
        cwd=workspace,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"outreach {shlex.join(args)}:\n{done.stdout}"
    return done.stdout


def week(tmp_path: Path) -> tuple[date, list[tuple[str, str]], Path]:
    """The README's session up to review (approve stands in for it), then its week, typed."""
    tmp_path.mkdir()
    outreach(tmp_path, "init", "--example", "demo")
    workspace = tmp_path / "demo"
    typed = []
    with smtp_server(login=False) as (_, port):
        configure(workspace, port, user=False, per_minute=20)
        today = date.today()
        outreach(workspace, "draft", "request", "--plan")
        outreach(workspace, "approve", "--all")
        for command, _ in STEPS:
            program, *args = shlex.split(command)
            assert program == "outreach", command
            output = outreach(workspace, *args)
            output = output.replace(f"127.0.0.1:{port} ", f"127.0.0.1:{README_PORT} ")
            for shown in {str(workspace.resolve()), str(workspace)}:
                output = output.replace(shown, README_WORKSPACE)
            typed.append((command, output))
    return today, typed, workspace


def test_the_walkthrough_types_only_relative_dates() -> None:
    assert len(STEPS) >= 8
    commands = [command for command, _ in STEPS]
    assert not [c for c in commands if ISO_DATE.search(c)], "a newcomer types it on another day"
    assert any("--on" in c for c in commands) and any("--as-of" in c for c in commands)
    # Nor a weekday, in what is typed or shown: then every day gives the same rows.
    assert not re.search(rf"(?i)\b({'|'.join(WEEKDAYS)})\b", WEEK.split("```console")[1])


def test_the_week_shows_what_the_readme_shows_on_any_day(tmp_path: Path) -> None:
    today, typed, workspace = week(tmp_path / "first")
    if date.today() != today:  # midnight passed while it ran: its dates straddle two days
        today, typed, workspace = week(tmp_path / "again")
    days = (today - BEGAN).days
    for (command, shown), (_, output) in zip(STEPS, typed, strict=True):
        assert output == shifted(shown, days), f"$ {command}"
    thanks = (workspace / "drafts" / "jose-nunez--thank-you.md").read_text(encoding="utf-8")
    for block in fenced(WEEK, "text"):
        assert shifted(block, days) in thanks
    assert (workspace / "week.ics").is_file()
