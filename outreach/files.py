"""Reading the person's files as text, and replacing files atomically."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from outreach.errors import OutreachError, Problem, at


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a clear error where it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise OutreachError(Problem(at(path), "file not found")) from None
    except OSError as error:
        raise OutreachError(Problem(at(path), error.strerror or str(error))) from None


def read_text(path: Path) -> str:
    """The file's text as UTF-8 (a byte-order mark is dropped); a clear error otherwise."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise OutreachError(
            Problem(at(path, line), f"not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8")
        ) from None


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write the whole file or nothing: a temporary file beside it, then a rename."""
    write_all_or_nothing([(path, data)])


def write_all_or_nothing(files: Sequence[tuple[Path, str | bytes]]) -> None:
    """Write every file, or leave every file as it was.

    Each file's text goes to a temporary file beside it first; only when all are written
    are they renamed into place (a rename replaces a file whole). A new file gets the mode
    the umask gives; a replaced file keeps its own.
    """
    for folder in {path.parent for path, _ in files}:
        folder.mkdir(parents=True, exist_ok=True)
    suffix = f".{os.getpid()}.tmp"
    temporaries: list[tuple[str, str]] = []
    try:
        for path, data in files:
            # Plain strings, not Path objects: for thousands of drafts, pathlib's parsing shows.
            target = str(path)
            directory, name = os.path.split(target)
            temporary = os.path.join(directory, f".{name}{suffix}")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            temporaries.append((temporary, target))
            with os.fdopen(fd, "wb") as handle:
                _keep_mode(handle.fileno(), target)
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        for temporary, target in temporaries:
            os.replace(temporary, target)
        temporaries.clear()
    finally:
        for temporary, _ in temporaries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _keep_mode(fd: int, path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.fchmod(fd, os.stat(path).st_mode & 0o777)


def create_exclusive(path: Path, text: str) -> bool:
    """Write a new file atomically unless one exists; True if it was written.

    The finished file is hard-linked into place, which fails if the name was taken in the
    meantime: a file that appears while this one is written is kept, never replaced.
    """
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = str(path.parent / f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: check, then rename
            if path.exists():
                return False
            os.replace(temporary, path)
        return True
    finally:
        Path(temporary).unlink(missing_ok=True)
