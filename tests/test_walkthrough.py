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


MONTHS = [date(2000, month, 1).strftime("%B") for month in range(1, 13)]
DAY_NAMES = "|".join(day.title() for day in WEEKDAYS)
WORDS_DATE = re.compile(rf"\b(?:{DAY_NAMES}) (\d{{1,2}}) ({'|'.join(MONTHS)})(?: (\d{{4}}))?")


def shifted_words(text: str, days: int, today: date) -> str:
    """A draft's text from the README with every date in words ("Wednesday 25 November", in
    the year the run began unless it says another) moved by `days`, as drafted `today`."""

    def moved(match: re.Match[str]) -> str:
        year = int(match.group(3) or BEGAN.year)
        day = date(year, MONTHS.index(match.group(2)) + 1, int(match.group(1)))
        day += timedelta(days=days)
        words = f"{day:%A} {day.day} {day:%B}"
        return words if day.year == today.year else f"{words} {day.year}"

    return WORDS_DATE.sub(moved, text)


def paragraphs(text: str) -> list[str]:
    """Text as its paragraphs, each with its words: where a line wraps depends on the date."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]


def shown_drafts(text: str) -> dict[str, str]:
    """The drafts a README section shows: each text block, by the draft named last before it."""
    found = {}
    for block in re.finditer(r"(?ms)^```text\n(.*?)^```$", text):
        names = re.findall(r"`drafts/([^`]+\.md)`", text[: block.start()])
        found[names[-1]] = block.group(1)
    return found


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
    assert not re.search(rf"(?i)\b({'|'.join(WEEKDAYS)})\b", next(fenced(WEEK, "console")))


def test_the_week_shows_what_the_readme_shows_on_any_day(tmp_path: Path) -> None:
    today, typed, workspace = week(tmp_path / "first")
    if date.today() != today:  # midnight passed while it ran: its dates straddle two days
        today, typed, workspace = week(tmp_path / "again")
    days = (today - BEGAN).days
    for (command, shown), (_, output) in zip(STEPS, typed, strict=True):
        assert output == shifted(shown, days), f"$ {command}"
    shown = shown_drafts(WEEK)
    assert len(shown) == len(list(fenced(WEEK, "text"))) == 3  # a thank-you, follow-up, check-in
    for name, block in shown.items():
        text = (workspace / "drafts" / name).read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1]
        assert paragraphs(body) == paragraphs(shifted_words(block, days, today)), name
    assert (workspace / "week.ics").is_file()


SESSION = README.read_text(encoding="utf-8").split("\n## A session\n")[1].split("\n### ")[0]


def test_the_session_drafts_what_the_readme_shows(tmp_path: Path) -> None:
    """The first request, drafted for the people the plan proposes, and Ada's draft as shown
    (its message id and the moment it was drafted aside)."""
    shown = dict(steps(next(fenced(SESSION, "console"))))
    outreach(tmp_path, "init", "--example", "demo")
    workspace = tmp_path / "demo"
    for command in ("outreach draft request --plan",):
        assert outreach(workspace, *shlex.split(command)[1:]) == shown[command]
    command = "cat drafts/ada-lovelace--request.md"
    drafted = (workspace / "drafts" / "ada-lovelace--request.md").read_text(encoding="utf-8")
    for key in ("message_id", "drafted"):
        drafted = re.sub(
            rf"(?m)^{key}: .*$", re.findall(rf"(?m)^{key}: .*$", shown[command])[0], drafted
        )
    assert drafted == shown[command]
    assert "mei-chen" not in shown["outreach draft request --plan"]  # a like-only friend waits
