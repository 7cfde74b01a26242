"""Who can read the workspace: what the tool writes about people is its owner's alone.

The installed command runs with umask 022 set explicitly (the usual one, under which a plain
program's files are world-readable), and every mode is read back with os.stat.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach.support import files
from outreach.support.files import atomic_write, write_all_or_nothing
from tests.helpers import FIXTURES, configure, outreach_command
from tests.smtp_server import PASSWORD, smtp_server

PRIVATE_FOLDERS = (".outreach", "drafts", "sent", "eml")


def outreach(
    *args: str, umask: int = 0o022, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*outreach_command(), *args],
        input=input,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(umask),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def modes(root: Path) -> dict[str, int]:
    """Every folder and file under root (root included, as "."), with its mode."""
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[path.relative_to(root).as_posix()] = mode(path)
    return found


def private(root: Path, *names: str) -> dict[str, str]:
    """The folders among names (and everything in them) that are not 0700 / 0600."""
    wrong = {}
    for name in names:
        folder = root / name
        for path in (folder, *folder.rglob("*")):
            expected = 0o700 if path.is_dir() else 0o600
            if not path.is_symlink() and mode(path) != expected:
                wrong[path.relative_to(root).as_posix()] = oct(mode(path))
    return wrong


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    outreach("init", "--example", str(root))
    return root


def test_init_makes_every_folder_0700_and_every_file_0600(ws: Path) -> None:
    found = modes(ws)
    assert {"outreach.toml", "goal.md", "contacts.yaml", "templates/request.md"} <= found.keys()
    folders = {name for name in found if (ws / name).is_dir()}
    assert folders == {".", ".outreach", "drafts", "sent", "templates"}
    assert {name: oct(m) for name, m in found.items() if name in folders and m != 0o700} == {}
    assert {name: oct(m) for name, m in found.items() if name not in folders and m != 0o600} == {}


def test_init_in_a_folder_that_exists_keeps_the_folder_as_it_is(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    root.mkdir()
    root.chmod(0o755)
    outreach("init", str(root))
    assert mode(root) == 0o755
    assert mode(root / "contacts.yaml") == 0o600
    assert private(root, ".outreach", "drafts", "sent", "templates") == {}


def test_drafts_the_caches_and_approved_drafts_are_private(ws: Path) -> None:
    outreach("--workspace", str(ws), "check")
    outreach("--workspace", str(ws), "draft", "request", "--all")
    drafts = sorted((ws / "drafts").glob("*.md"))
    assert len(drafts) == 4
    assert {d.name: oct(mode(d)) for d in drafts if mode(d) != 0o600} == {}
    outreach("--workspace", str(ws), "approve", "--all")  # each draft rewritten
    assert "status: approved" in drafts[0].read_text()
    caches = {p.name for p in (ws / ".outreach").iterdir()}
    assert {"contacts.json", "email-validator.json"} <= caches
    assert private(ws, ".outreach", "drafts") == {}


def test_the_journal_and_sqlites_wal_and_shm_files_are_private(ws: Path) -> None:
    outreach("--workspace", str(ws), "log", "add", "ada", "met", "--note", "coffee at the hub")
    journal = ws / ".outreach" / "journal.sqlite"
    assert mode(journal) == 0o600
    # A reader holding the journal open keeps SQLite's -wal and -shm files in place.
    reader = sqlite3.connect(journal)
    try:
        reader.execute("SELECT count(*) FROM entries").fetchone()
        outreach("--workspace", str(ws), "log", "add", "ada", "note", "--note", "a second note")
        extra = {p.name: oct(mode(p)) for p in (ws / ".outreach").glob("journal.sqlite-*")}
    finally:
        reader.close()
    assert extra == {"journal.sqlite-wal": "0o600", "journal.sqlite-shm": "0o600"}


def test_send_files_into_a_private_sent_folder_and_its_lock_is_private(ws: Path) -> None:
    (ws / "sent").rmdir()  # made again by the send, as a workspace without it would be
    with smtp_server() as (server, port):
        configure(ws, port)
        outreach("--workspace", str(ws), "draft", "request", "ada", "jose")
        outreach("--workspace", str(ws), "approve", "--all")
        result = outreach(
            "--workspace", str(ws), "send", "--yes", env={"OUTREACH_SMTP_PASSWORD": PASSWORD}
        )
    assert "2 sent" in result.stdout
    assert len(server.messages) == 2
    assert len(list((ws / "sent").glob("*.md"))) == 2
    assert (ws / ".outreach" / "send.lock").exists()
    assert private(ws, "sent", ".outreach", "drafts") == {}


def test_a_draft_deleted_in_review_waits_in_a_private_folder(ws: Path) -> None:
    outreach("--workspace", str(ws), "draft", "request", "ada")
    outreach("--workspace", str(ws), "review", input="d\ny\nq\n")
    deleted = list((ws / "drafts" / ".deleted").iterdir())
    assert [p.name for p in deleted] == ["ada-lovelace--request.md"]
    assert private(ws, "drafts") == {}


def test_eml_exports_are_private_wherever_they_go(ws: Path, tmp_path: Path) -> None:
    outreach("--workspace", str(ws), "draft", "request", "ada", "jose")
    outreach("--workspace", str(ws), "export", "eml")
    assert len(list((ws / "eml").glob("*.eml"))) == 2
    assert private(ws, "eml") == {}
    named = tmp_path / "for-my-mail-program"
    outreach("--workspace", str(ws), "export", "eml", str(named))
    assert len(list(named.glob("*.eml"))) == 2
    assert private(tmp_path, named.name) == {}


def test_a_file_the_person_names_follows_their_umask(ws: Path, tmp_path: Path) -> None:
    outreach("--workspace", str(ws), "log", "add", "ada", "met")
    calendar, journal = tmp_path / "due.ics", tmp_path / "journal.csv"
    outreach("--workspace", str(ws), "export", "ics", str(calendar))
    outreach("--workspace", str(ws), "export", "csv", str(journal))
    assert (mode(calendar), mode(journal)) == (0o644, 0o644)
    assert mode(ws / ".outreach" / "calendar.json") == 0o600  # the memory stays private
    loose = tmp_path / "loose.csv"
    outreach("--workspace", str(ws), "export", "csv", str(loose), umask=0o027)
    assert mode(loose) == 0o640
    journal.chmod(0o600)  # written again: it keeps the mode it has
    outreach("--workspace", str(ws), "export", "csv", str(journal))
    assert mode(journal) == 0o600


@pytest.mark.parametrize("kept", [0o644, 0o640, 0o600])
def test_import_keeps_the_mode_contacts_yaml_had(ws: Path, kept: int) -> None:
    contacts = ws / "contacts.yaml"
    contacts.chmod(kept)
    before = contacts.read_text()
    outreach("--workspace", str(ws), "import", str(FIXTURES / "google-contacts.csv"))
    assert contacts.read_text() != before
    assert mode(contacts) == kept


def test_a_new_template_is_private(ws: Path) -> None:
    outreach(
        "--workspace",
        str(ws),
        "templates",
        "new",
        "intro",
        "--kind",
        "request",
        env={"EDITOR": "true"},
    )
    assert mode(ws / "templates" / "intro.md") == 0o600


def test_a_workspace_made_with_wide_modes_is_tightened_by_the_next_command(
    ws: Path, tmp_path: Path
) -> None:
    outreach("--workspace", str(ws), "draft", "request", "ada", "jose")
    outreach("--workspace", str(ws), "review", input="d\ny\nq\n")
    outreach("--workspace", str(ws), "log", "add", "ada", "met")
    outreach("--workspace", str(ws), "export", "eml")
    (ws / "sent" / "2026-01-05--ada-lovelace--request.md").write_text("sent earlier\n")
    outside = tmp_path / "elsewhere.md"
    outside.write_text("not the workspace's\n")
    (ws / "drafts" / "link.md").symlink_to(outside)
    # As an older version left it under umask 022 (or as git checks it out): all readable.
    for path in (ws, *ws.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    (ws / "sent").chmod(0o750)  # group access alone is widened access too
    outside.chmod(0o644)
    assert private(ws, *PRIVATE_FOLDERS)  # wide before

    outreach("--workspace", str(ws), "drafts")  # a command that only reads

    assert private(ws, *PRIVATE_FOLDERS) == {}
    assert mode(ws / "drafts" / ".deleted") == 0o700
    assert mode(outside) == 0o644  # a link is not followed out of the workspace
    # The person's own files keep the modes they chose.
    assert mode(ws / "contacts.yaml") == 0o644
    assert mode(ws / "templates" / "request.md") == 0o644
    assert mode(ws) == 0o755


# --- the mechanism, in process: files.py ------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_file_is_private_from_the_moment_it_exists(
    tmp_path: Path, umask_022: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No window: the temporary file is created 0600, not made wider and narrowed after."""
    seen: dict[str, int] = {}
    real_open = os.open

    def watching_open(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        fd = real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]
        if flags & os.O_CREAT:
            seen[os.path.basename(path)] = stat.S_IMODE(os.fstat(fd).st_mode)
        return fd

    monkeypatch.setattr(files.os, "open", watching_open)
    write_all_or_nothing([(tmp_path / "state" / "a.json", "{}"), (tmp_path / "b.md", "text")])
    files.create_exclusive(tmp_path / "c.md", "text")
    assert seen and set(seen.values()) == {0o600}, seen
    assert mode(tmp_path / "state") == 0o700


def test_a_replaced_file_keeps_its_mode_even_one_the_umask_would_narrow(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text("[]\n")
    path.chmod(0o666)
    atomic_write(path, "- name: Ada\n")
    assert (path.read_text(), mode(path)) == ("- name: Ada\n", 0o666)


def test_a_temporary_file_left_by_a_killed_run_is_never_written_into(
    tmp_path: Path, umask_022: None
) -> None:
    target = tmp_path / "ada--request.md"
    left = tmp_path / f".{target.name}.{os.getpid()}.tmp"
    left.write_text("half a draft")
    left.chmod(0o644)
    atomic_write(target, "the draft\n")
    assert (target.read_text(), mode(target)) == ("the draft\n", 0o600)
    assert not left.exists()
