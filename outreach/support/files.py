"""Reading the person's files as text, and writing files atomically and privately.

Every folder and file the tool makes in a workspace is its owner's alone: folders 0700, files
0600, made with that mode from the start (never made wider and narrowed after). A file that is
replaced keeps the mode it had. Only a file the person names for another program to read (an
`export ics FILE`) is made with the mode their umask gives, as their other programs make files.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import stat
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from outreach.support.errors import OutreachError, Problem, at, disk_full

# What a file is written from: text (as UTF-8), bytes, or chunks of bytes as they are made.
Content = str | bytes | Iterable[bytes]

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
_UMASK_FILE = 0o666  # what the umask then narrows, as for any program's new file
_OTHERS = 0o077  # the group's and everyone else's permissions


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
    return decode_text(path, read_bytes(path))


def decode_text(path: Path, data: bytes) -> str:
    """A file's bytes as UTF-8 text (a byte-order mark is dropped); a clear error otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise OutreachError(
            Problem(at(path, line), f"not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8")
        ) from None


def check_utf8(path: Path, data: bytes) -> None:
    """decode_text's check, without holding the text: for a parser that reads the bytes
    themselves (the text of a big file takes up to four times the memory of its bytes)."""
    if data.isascii():
        return
    decode = codecs.getincrementaldecoder("utf-8")().decode
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            decode(view[start : start + _CHUNK])
        decode(b"", True)
    except UnicodeDecodeError:
        decode_text(path, data)  # raises, naming the line
        raise  # pragma: no cover - decode_text agrees that the bytes are not UTF-8


_CHUNK = 1 << 20


def private_folder(path: Path) -> None:
    """Make the folder (and any missing above it) its owner's alone, 0700; one that exists is
    left as it is."""
    try:
        os.mkdir(path, PRIVATE_FOLDER)
    except FileNotFoundError:
        private_folder(path.parent)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, PRIVATE_FOLDER)
    except OSError:  # it exists (or a read-only file system holds it): fine if it is a folder
        if not path.is_dir():
            raise


def private_opener(path: str, flags: int) -> int:
    """For open(..., opener=private_opener): a file it creates is its owner's alone."""
    return os.open(path, flags, PRIVATE_FILE)


def create_private_file(path: Path) -> None:
    """An empty file, its owner's alone, unless one exists (SQLite then gives its -wal and
    -shm files the same mode as the database)."""
    if path.exists():
        return
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def atomic_write(path: Path, data: Content, *, private: bool = True) -> None:
    """Write the whole file or nothing: a temporary file beside it, then a rename.

    A new file is private (0600) unless `private` is False (a file the person named on the
    command line), which gets the mode the umask gives; a replaced file keeps its own mode.
    """
    write_all_or_nothing([(path, data)], not_private=() if private else (path,))


def write_all_or_nothing(
    files: Sequence[tuple[Path, Content]], *, not_private: Collection[Path] = ()
) -> None:
    """Write every file, or leave every file as it was.

    Each file's text goes to a temporary file beside it first; only when all are written
    are they renamed into place (a rename replaces a file whole). A new file is private
    (0600, in private folders where they had to be made) except those in `not_private`,
    which get the mode the umask gives; a replaced file keeps its own.
    """
    with AllOrNothing(not_private=not_private) as staged:
        for path, data in files:
            staged.write(path, data)
        staged.commit()


class AllOrNothing:
    """Files written one at a time, and put in place together, or not at all.

    `write` puts each file's content into a temporary file beside it, as it comes (so a
    caller need not hold every file's text at once); `commit` renames them all into place.
    Leaving the `with` block without committing (an error, a full disk) removes every
    temporary file: no file is changed. Modes as in `write_all_or_nothing`.

    `empty_folder`: a private folder that is missing or empty (drafts/ before the first
    drafts). Its files are written under their own names into a new folder beside it, which
    `commit` renames into its place: one rename, where a rename per file cost a third of
    writing thousands of files. Where the folder is not empty by then, or cannot be replaced
    (a mount point), the files are renamed into it one by one, as without it.
    """

    def __init__(
        self, *, not_private: Collection[Path] = (), empty_folder: Path | None = None
    ) -> None:
        self.not_private = not_private
        self.suffix = f".{os.getpid()}.tmp"
        self.temporaries: list[tuple[str, str]] = []
        self.folder = "" if empty_folder is None else str(empty_folder)
        self.staging = ""  # the new folder beside it, once made
        # Each folder listed once, so that only a file that is there is asked for its mode:
        # one os.stat per new draft, among thousands, cost more than the listing.
        self.present: dict[str, frozenset[str]] = {}
        self.last = ""  # the file written last, to name in a full disk's error

    def __enter__(self) -> AllOrNothing:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    def write(self, path: Path, data: Content) -> os.stat_result:
        """One file's content (text, bytes, or chunks of bytes), beside its place; its stat
        as written (the rename into place changes neither its inode, size nor mtime)."""
        # Plain strings, not Path objects: for thousands of drafts, pathlib's parsing shows.
        target = str(path)
        directory, name = os.path.split(target)
        self.last = target
        try:
            if directory == self.folder and path not in self.not_private:
                temporary = os.path.join(self.staging or self._stage(), name)
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
                self.temporaries.append((temporary, target))
            else:
                present = self.present.get(directory)
                if present is None:
                    present = self.present[directory] = self._prepare(path)
                temporary = os.path.join(directory, f".{name}{self.suffix}")
                new_mode = _UMASK_FILE if path in self.not_private else PRIVATE_FILE
                fd = _create(temporary, target, new_mode, name in present)
                self.temporaries.append((temporary, target))
            return _written(fd, data)
        except OSError as error:
            raise self._full(error) from None

    @property
    def into_new_folder(self) -> bool:
        """Whether the files of `empty_folder` go into a new folder of their own (made at
        the first write)."""
        return bool(self.folder)

    def take_over(self, temporaries: Sequence[tuple[str, str]]) -> None:
        """Files another process wrote aside for this one, as (temporary, target): committed
        or discarded with this one's."""
        self.temporaries += temporaries

    def commit(self) -> None:
        """Every file written so far renamed into place."""
        try:
            if self.staging:
                staged = self.staging
                if self._replace_folder():
                    self.temporaries = [t for t in self.temporaries if not t[0].startswith(staged)]
                else:
                    private_folder(Path(self.folder))
            for temporary, target in self.temporaries:
                self.last = target
                os.replace(temporary, target)
        except OSError as error:
            raise self._full(error) from None
        self.temporaries.clear()
        self._unstage()

    def discard(self) -> None:
        """Every temporary file not yet renamed removed; their targets stay as they were."""
        for temporary, _ in self.temporaries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        self.temporaries.clear()
        self._unstage()

    def _stage(self) -> str:
        """The new folder beside `empty_folder` (made here, private), for its files."""
        parent, name = os.path.split(self.folder)
        private_folder(Path(parent or os.curdir))
        staging = os.path.join(parent, f".{name}{self.suffix}")
        for left in _left_behind(parent or os.curdir, name):
            _remove_folder(os.path.join(parent, left))
        os.mkdir(staging, PRIVATE_FOLDER)
        self.staging = staging + os.sep
        return staging

    def _replace_folder(self) -> bool:
        """The new folder renamed into the place of the empty one (keeping that one's mode),
        or False where that cannot be (it is no longer empty, or not a plain folder)."""
        staging = self.staging.rstrip(os.sep)
        try:
            present = os.lstat(self.folder)
        except FileNotFoundError:
            present = None
        if present is not None:
            if not stat.S_ISDIR(present.st_mode) or present.st_dev != os.stat(staging).st_dev:
                return False
            os.chmod(staging, stat.S_IMODE(present.st_mode))
        try:
            os.rename(staging, self.folder)  # onto an empty folder: replaced whole
        except OSError:  # not empty any more, a mount point ...: one file at a time
            return False
        self.staging = ""
        return True

    def _unstage(self) -> None:
        if self.staging:  # with whatever is in it: a second process's files (forked.py)
            _remove_folder(self.staging)
            self.staging = ""

    def _prepare(self, path: Path) -> frozenset[str]:
        """The folder made (private unless the file is not), and the names in it."""
        if path in self.not_private:
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            private_folder(path.parent)
        return _names_in(os.path.split(str(path))[0] or os.curdir)

    def _full(self, error: OSError) -> Exception:
        """A full disk as the error naming the file; any other error as it is."""
        directory, name = os.path.split(self.last)
        return disk_full(error, f"{os.path.basename(directory)}/{name}") or error


def _written(fd: int, data: Content) -> os.stat_result:
    """data written to the open file fd, which is closed; its stat as written. Text and bytes
    go in plain writes: a file object costs three system calls more (for thousands of drafts,
    more than the writes themselves)."""
    try:
        if isinstance(data, str | bytes):
            view = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
            while view:
                view = view[os.write(fd, view) :]
        else:
            with os.fdopen(os.dup(fd), "wb") as handle:
                handle.writelines(data)
        return os.fstat(fd)
    finally:
        os.close(fd)


def _names_in(folder: str) -> frozenset[str]:
    try:
        return frozenset(entry.name for entry in os.scandir(folder))
    except FileNotFoundError:
        return frozenset()


def _left_behind(parent: str, name: str) -> list[str]:
    """The staging folders of `name` that runs killed before their commit left in `parent`
    (`.drafts.PID.tmp`: this process's id, or one no process has now)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.tmp")
    found = []
    with contextlib.suppress(OSError):
        for entry in os.listdir(parent):
            match = pattern.fullmatch(entry)
            if match and (int(match[1]) == os.getpid() or not _running(int(match[1]))):
                found.append(entry)
    return found


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # another user's, or no process id at all: left alone
        return True
    return True


def _remove_folder(folder: str) -> None:
    """A staging folder and the files in it (it holds no folders). Where it cannot be
    removed (a file of that name, say), it stays: one with this process's id then makes the
    mkdir after it fail, as it must; anyone else's only costs its space."""
    with contextlib.suppress(OSError):
        for left in os.listdir(folder):
            os.unlink(os.path.join(folder, left))
        os.rmdir(folder)


def _create(temporary: str, target: str, new_mode: int, listed: bool = True) -> int:
    """A new temporary file for `target`, open for writing: with the mode `target` has where it
    exists (the umask does not narrow it), else `new_mode` (which the umask narrows).
    `listed` False: the target was not in its folder's listing, so it is not asked."""
    kept: int | None = None
    if listed:
        try:
            kept = os.stat(target).st_mode & 0o777
        except FileNotFoundError:
            kept = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    mode = new_mode if kept is None else kept
    try:
        fd = os.open(temporary, flags, mode)
    except FileExistsError:  # left by a killed run: never write into a file made before
        os.unlink(temporary)
        fd = os.open(temporary, flags, mode)
    if kept is not None:
        os.fchmod(fd, kept)
    return fd


def create_exclusive(path: Path, text: str) -> bool:
    """Write a new private file atomically unless one exists; True if it was written.

    The finished file is hard-linked into place, which fails if the name was taken in the
    meantime: a file that appears while this one is written is kept, never replaced.
    """
    if path.exists():
        return False
    private_folder(path.parent)
    temporary = str(path.parent / f".{path.name}.{os.getpid()}.tmp")
    fd = _create(temporary, str(path), PRIVATE_FILE)
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


def make_private(root: Path, folders: Iterable[str]) -> list[Problem]:
    """Take the group's and everyone else's permissions from each folder under root that
    grants any, and from everything in it (a workspace made by an older version, or checked
    out from git); the problems, one per file that cannot be changed (owned by another).

    One stat per folder where there is nothing to do. Links inside are not followed.
    """
    problems: list[Problem] = []
    for folder in (root / name for name in folders):
        try:
            mode = os.stat(folder).st_mode
        except OSError:
            continue  # not made yet: it will be made private
        if not stat.S_ISDIR(mode) or not mode & _OTHERS:
            continue
        _narrow(root, folder, mode, problems)
        for directory, subfolders, names in os.walk(folder):
            for name in (*subfolders, *names):
                path = Path(directory, name)
                try:
                    mode = os.lstat(path).st_mode
                except OSError:
                    continue  # gone meanwhile
                if not stat.S_ISLNK(mode) and mode & _OTHERS:
                    _narrow(root, path, mode, problems)
    return problems


def _narrow(root: Path, path: Path, mode: int, problems: list[Problem]) -> None:
    try:
        os.chmod(path, stat.S_IMODE(mode) & ~_OTHERS)
    except OSError as error:
        where = path.relative_to(root).as_posix() + ("/" if stat.S_ISDIR(mode) else "")
        reason = error.strerror or str(error)
        problems.append(Problem(where, f"could not be made private ({reason})", "warning"))
