"""Reading the person's files as text, and replacing files atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from outreach.errors import OutreachError, Problem, at


def read_text(path: Path) -> str:
    """The file's text as UTF-8 (a byte-order mark is dropped); a clear error otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise OutreachError(Problem(at(path), "file not found")) from None
    except OSError as error:
        raise OutreachError(Problem(at(path), error.strerror or str(error))) from None
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The file's own mode where it exists; otherwise what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def create_exclusive(path: Path, text: str) -> bool:
    """Write a new file atomically unless one exists; True if it was written."""
    if path.exists():
        return False
    atomic_write(path, text)
    return True
