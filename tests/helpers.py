"""Plain functions and values that more than one test file uses.

Where a test file finds what it shares with others:

- `tests/helpers.py` (this file): plain functions and values, such as writing a file,
  asserting an `Error:` line, a clear goal.md, or pointing outreach.toml at a test server.
- `tests/conftest.py`: the fixtures, and the types of what they give (`Invoke`, `Installed`).
- `tests/smtp_server.py`: the SMTP servers on 127.0.0.1 and their credentials.
- `tests/oauth_server.py`: the OAuth2 authorization server on 127.0.0.1.
- `tests/imap_server.py`: the IMAP server on 127.0.0.1 (Dovecot, else pymap).
- `tests/terminal.py`: the installed command under a pseudo-terminal.
- `tests/readme_help.py`: the commands whose `--help` the README shows (cog uses it too).

A test file imports from those and never from another test file. A helper that one test
file uses stays in that file; one that a second file needs moves here. This file imports
none of the others but smtp_server.py (for its password) and imap_server.py (for the type of
its server), so it takes the CLI runner as a
plain `Callable[..., Result]` (which is what conftest's `Invoke` names).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from click.testing import Result

from tests.imap_server import ImapServer
from tests.smtp_server import PASSWORD

FIXTURES = Path(__file__).parent / "fixtures"

# The people of `init --example`, in the order of its contacts.yaml.
EXAMPLE_IDS = [
    "ada-lovelace",
    "jose-nunez",
    "grace-hopper",
    "mei-chen",
    "tom-baker",
    "priya-raman",
]

TODAY = date.today()


def day(offset: int) -> str:
    """The day OFFSET days from today, as --on and --as-of take it (2026-03-14)."""
    return (TODAY + timedelta(days=offset)).isoformat()


# --- files and the installed command -------------------------------------------------


def in_words(iso: str) -> str:
    """A YYYY-MM-DD date as the shipped templates write it: 'Tuesday 1 December', and the year
    only when it is not this year."""
    day_ = date.fromisoformat(iso)
    words = f"{day_:%A} {day_.day} {day_:%B}"
    return words if day_.year == date.today().year else f"{words} {day_.year}"


def flat(text: str) -> str:
    """Text with its line breaks as spaces: where the wrapping at 72 broke a line is not the
    point of a test that looks for words."""
    return " ".join(text.split())


def outreach_command() -> list[str]:
    """The installed console script, or the module where only the package is importable."""
    script = shutil.which("outreach", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "outreach"]


def in_fresh_python(script: str) -> None:
    """Run script in an interpreter of its own (a clean sys.modules); it must exit 0."""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (but caches), to assert that nothing was written."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith((".json", "-wal", "-shm"))
    }


def editor(tmp_path: Path, old: str, new: str) -> str:
    """An EDITOR command: a small script that replaces old with new in the file it is given."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, sys\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "text = path.read_text(encoding='utf-8')\n"
        f"assert {old!r} in text, text\n"
        f"path.write_text(text.replace({old!r}, {new!r}, 1), encoding='utf-8')\n",
        encoding="utf-8",
    )
    return f'"{sys.executable}" "{script}"'


# --- errors ---------------------------------------------------------------------------


def assert_error(result: Result | CompletedProcess[str], where: str, *fragments: str) -> str:
    """Exit 1; every line on stderr is an `Error: ` or `Warning: ` line; one of them starts
    with `Error: WHERE: ` and holds every fragment; no traceback anywhere. Returns that line."""
    code = result.exit_code if isinstance(result, Result) else result.returncode
    output = result.stdout + result.stderr
    assert code == 1, output
    assert "Traceback" not in output
    assert "Error: unexpected " not in result.stderr, result.stderr  # the CLI's words for a bug
    lines = result.stderr.splitlines()
    assert lines, output
    assert all(line.startswith(("Error: ", "Warning: ")) for line in lines), result.stderr
    prefix = f"Error: {where}: "
    matching = [line for line in lines if line.startswith(prefix)]
    assert matching, f"no line starts with {prefix!r}:\n{result.stderr}"
    for line in matching:
        if all(fragment in line for fragment in fragments):
            return line
    raise AssertionError(f"no line {prefix!r} holds {fragments}:\n{result.stderr}")


def errors(result: Result | CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")]


def one_error(result: Result | CompletedProcess[str], where: str, *fragments: str) -> str:
    """assert_error, and no other `Error: ` line."""
    line = assert_error(result, where, *fragments)
    assert len(errors(result)) == 1, result.stderr
    return line


def run_unchanged(run: Callable[..., Result], workspace: Path, *args: str) -> Result:
    """Run a command and assert it wrote nothing in the workspace."""
    before = snapshot(workspace)
    result = run(*args)
    assert snapshot(workspace) == before
    return result


# --- goal.md --------------------------------------------------------------------------

CLEAR = {
    "looking_for": "a product-design role at a climate-tech company",
    "request": "Would you have 30 minutes next week to tell me how you moved into climate tech?",
    "time_needed": "30 minutes",
    "options": "[a phone call, a video call, coffee]",
    "offer": "I'd be glad to share the user-research templates I built.",
}


def goal_text(story: str = "Why this excites me.", /, **fields: str | None) -> str:
    """A goal.md: the clear goal with some fields replaced (a str) or left out (None)."""
    values = {**CLEAR, **fields}
    front = "".join(f"{key}: {value}\n" for key, value in values.items() if value is not None)
    return f"---\n{front}---\n{story}\n"


# --- sending to a test server ---------------------------------------------------------

PASSWORD_ENV = {"OUTREACH_SMTP_PASSWORD": PASSWORD}


def configure(
    workspace: Path,
    port: int,
    *,
    user: bool = True,
    per_minute: int = 0,
    per_day: int = 100,
    host: str = "127.0.0.1",
    security: str = "none",
) -> None:
    """Point the workspace's outreach.toml at a test server on PORT."""
    settings = workspace / "outreach.toml"
    text = settings.read_text()
    text = re.sub(r'host = ".*"', f'host = "{host}"', text)
    text = re.sub(r"port = \d+", f"port = {port}", text)
    text = re.sub(r'security = ".*"', f'security = "{security}"', text)
    text = re.sub(r"per_minute = \d+", f"per_minute = {per_minute}", text)
    text = re.sub(r"per_day = \d+", f"per_day = {per_day}", text)
    if not user:
        text = re.sub(r"(?m)^user = .*\n", "", text)
    settings.write_text(text)


def approve_requests(run: Callable[..., Result], *people: str) -> None:
    result = run("draft", "request", *(people or ("--all",)))
    assert result.exit_code == 0, result.output
    result = run("approve", "--all")
    assert result.exit_code == 0, result.output


def statuses(run: Callable[..., Result]) -> dict[str, str]:
    """Each waiting draft's status, by person."""
    result = run("drafts", "--json")
    return {row["person"]: row["status"] for row in json.loads(result.stdout)}


def configure_imap(
    workspace: Path,
    server: ImapServer,
    *,
    security: str | None = None,
    folders: tuple[str, ...] = (),
) -> None:
    """Add an [imap] section to the workspace's outreach.toml that points at SERVER."""
    settings = workspace / "outreach.toml"
    text = settings.read_text()
    assert "[imap]" not in text, "the workspace already has an [imap] section"
    settings.write_text(
        text.rstrip("\n") + "\n\n" + server.settings(security=security, folders=folders)
    )


def without_coach(stderr: str) -> list[str]:
    """The lines of a draft command's errors and notices, less the coach's summary line (its
    advice depends on the shipped templates' words)."""
    return [line for line in stderr.splitlines() if not line.startswith("The coach has advice")]


# --- the mailbox: real-format messages (tests/mail/*.eml) ---------------------------------

MAIL = Path(__file__).parent / "mail"

# The messages this workspace sent that the files in tests/mail/ answer, by person.
SENT_IDS = {
    "ada-lovelace": "<request.ada-lovelace.k3f9@sam.example.org>",
    "jose-nunez": "<request.jose-nunez.p2q8@sam.example.org>",
    "grace-hopper": "<request.grace-hopper.w7r2@sam.example.org>",
    "mei-chen": "<request.mei-chen.b4n6@sam.example.org>",
    "tom-baker": "<check-in.tom-baker.z1x5@sam.example.org>",
}
# The id Outlook gave the sent copy of Grace's request (tests/mail/sent-outlook-copy.eml).
OUTLOOK_ID = "<AS8PR07MB8215A1B2C3D4E5F60718293A4B5C@AS8PR07MB8215.eurprd07.prod.outlook.com>"


def mail(name: str) -> bytes:
    """A message of tests/mail/, with CRLF line ends as a server gives it."""
    data = (MAIL / name).read_bytes()
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def header_fields(data: bytes, names: tuple[str, ...]) -> bytes:
    """What BODY.PEEK[HEADER.FIELDS (names)] returns of a message: those fields, folded as
    they came, and the blank line."""
    head = data.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    wanted = {name.lower().encode() for name in names}
    kept: list[bytes] = []
    keep = False
    for line in head.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        keep = line.split(b":", 1)[0].strip().lower() in wanted
        if keep:
            kept.append(line)
    return b"\r\n".join(kept) + b"\r\n\r\n"


def mime_part(data: bytes, number: int) -> bytes:
    """BODY[number] of a multipart message: a top-level part's body, as a server gives it
    (b"" where the message has no such part)."""
    found = re.search(rb'boundary="?([^";\r\n]+)"?', data.split(b"\r\n\r\n", 1)[0])
    if found is None:
        return b""
    parts = data.split(b"\r\n--" + found[1])
    if number >= len(parts) or parts[number].startswith(b"--"):
        return b""
    body = parts[number].split(b"\r\n\r\n", 1)
    return body[1] if len(body) == 2 else b""


@contextlib.contextmanager
def small_file_system(folder: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of `size` mounted on folder (and unmounted after); the test is skipped where
    this machine does not let it mount one (not root, or no mount)."""
    folder.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("a full disk is tested on a small tmpfs, which needs root to mount")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a file into folder until the file system has no space left."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
    return filler


def send_again(workspace: Path) -> subprocess.CompletedProcess[str]:
    """`outreach send --yes` in the installed command, as a person runs it after a crash."""
    return subprocess.run(
        [*outreach_command(), "--workspace", str(workspace), "send", "--yes"],
        env={**os.environ, **PASSWORD_ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
