"""`contacts --json`'s output, kept in .outreach/overview.json for the next run that
would write the same bytes.

The output is made of three things only: the people of contacts.yaml, the journal, and
today's date (a check-in falls due relative to it). So the file keeps the output under a
first line naming those: the format and version, the day, and each source file's stamp
(inode, size, modification and change times in nanoseconds, or `-` where the file is
missing: the journal and its write-ahead log). A run whose day and stamps are the same
writes the kept bytes and reads nothing else: no YAML, no cache, no journal.

A stamp can lie about one thing: a file changed again within the same tick of the file
system's clock, to the same size, keeps its stamp. So a stamp counts only if the file was
last changed at least `SETTLED` before the stamps were taken (git calls the other case
"racily clean"): any later change then shows in the modification time. A file changed more
recently is read again each run, and the bytes are kept once it has settled.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple

from outreach import __version__
from outreach.workspace.folder import Workspace

FORMAT = f"contacts-json-1 {__version__}"
# The coarsest clock of a file system a workspace may sit on: FAT's 2 seconds (ext4 and
# most others tick in milliseconds or finer).
SETTLED = 2_000_000_000


class Sources(NamedTuple):
    """The stamps of what the output is made of, and the time they were taken."""

    taken_at: int  # nanoseconds since the epoch
    stamps: tuple[str, ...]

    @property
    def settled(self) -> bool:
        """Every file was last changed long enough before the stamps to trust them."""
        before = self.taken_at - SETTLED
        for stamp in self.stamps:
            if stamp == "?":
                return False
            if stamp != "-":
                _, _, modified, changed = stamp.split(":")
                if int(modified) >= before or int(changed) >= before:
                    return False
        return True


def source_files(workspace: Workspace) -> tuple[str, str, str]:
    journal = str(workspace.journal_file)
    return str(workspace.contacts_file), journal, journal + "-wal"


def sources_now(workspace: Workspace) -> Sources:
    """The stamps as they are: take them before reading the files they stamp."""
    taken_at = time.time_ns()
    return Sources(taken_at, tuple(_stamp(path) for path in source_files(workspace)))


def _stamp(path: str) -> str:
    try:
        status = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "-"
    except OSError:  # not to be known: never settled
        return "?"
    return f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}"


def kept_file(workspace: Workspace) -> Path:
    return workspace.state_dir / "overview.json"


def _first_line(day: date, sources: Sources) -> bytes:
    return f"{FORMAT} {day.isoformat()} {sources.taken_at} {' '.join(sources.stamps)}\n".encode()


def kept_output(workspace: Workspace, day: date) -> bytes | None:
    """The bytes an earlier run wrote, where it was made from exactly what is there now."""
    try:
        with open(kept_file(workspace), "rb") as kept:
            first = kept.readline().decode("utf-8", "replace").split()
            prefix = [*FORMAT.split(), day.isoformat()]
            stamped = len(source_files(workspace))
            if first[: len(prefix)] != prefix or len(first) != len(prefix) + 1 + stamped:
                return None
            was = Sources(int(first[len(prefix)]), tuple(first[len(prefix) + 1 :]))
            if not was.settled or was.stamps != sources_now(workspace).stamps:
                return None
            return kept.read()
    except (OSError, ValueError):
        return None


def keep_output(workspace: Workspace, day: date, sources: Sources, output: Sequence[bytes]) -> None:
    """Keep what this run wrote, made from the files as `sources` stamped them (unless a
    file had changed too recently to trust its stamp: then no run could use it)."""
    if not sources.settled:
        return
    from outreach.support.files import atomic_write

    data: Iterable[bytes] = [_first_line(day, sources), *output]
    with contextlib.suppress(OSError):  # a read-only workspace: the next run makes it again
        atomic_write(kept_file(workspace), data)
