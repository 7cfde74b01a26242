"""A batch for an empty folder is staged in `.NAME.PID.tmp` beside it: what a killed run left
there is removed by the next batch, and another running batch's folder is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from outreach.support.files import AllOrNothing


def ended_process_id() -> int:
    """The id of a process that has ended (no process has it now, unless it is reused)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def left_by(tmp_path: Path, pid: int) -> Path:
    left = tmp_path / f".drafts.{pid}.tmp"
    left.mkdir()
    (left / "ada-lovelace--request.md").write_text("half a batch\n", encoding="utf-8")
    return left


def test_a_killed_batch_s_folder_goes_and_a_running_one_s_stays(tmp_path: Path) -> None:
    killed = left_by(tmp_path, ended_process_id())
    mine = left_by(tmp_path, os.getpid())  # a killed run whose id this process now has
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as running:
        try:
            other = left_by(tmp_path, running.pid)
            folder = tmp_path / "drafts"
            with AllOrNothing(empty_folder=folder) as staged:
                staged.write(folder / "grace-hopper--request.md", "a draft\n")
                staged.commit()
        finally:
            running.kill()
    assert sorted(p.name for p in folder.iterdir()) == ["grace-hopper--request.md"]
    assert not killed.exists() and not mine.exists()
    assert sorted(p.name for p in other.iterdir()) == ["ada-lovelace--request.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["drafts", other.name])


def test_names_that_only_look_alike_are_left(tmp_path: Path) -> None:
    alike = [
        ".drafts.tmp",
        ".drafts.x1.tmp",
        ".sent.1.tmp",
        "drafts.1.tmp",
        ".drafts.99999999999999999999.tmp",
    ]
    for name in alike:
        (tmp_path / name).mkdir()
    folder = tmp_path / "drafts"
    with AllOrNothing(empty_folder=folder) as staged:
        staged.write(folder / "a.md", "a draft\n")
        staged.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*alike, "drafts"])


def test_a_file_with_a_staging_folder_s_name_does_not_stop_a_batch(tmp_path: Path) -> None:
    odd = tmp_path / f".drafts.{ended_process_id()}.tmp"
    odd.write_text("not a folder\n", encoding="utf-8")
    folder = tmp_path / "drafts"
    with AllOrNothing(empty_folder=folder) as staged:
        staged.write(folder / "a.md", "a draft\n")
        staged.commit()
    assert sorted(p.name for p in folder.iterdir()) == ["a.md"]
    assert odd.read_text(encoding="utf-8") == "not a folder\n"
