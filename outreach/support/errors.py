"""One exception tree. The CLI turns it into `Error: ...` lines and exit 1, once."""

from __future__ import annotations

import errno
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from outreach.support.text import printable


class Problem(NamedTuple):
    """One finding about the person's files: where it is, what is wrong, how bad."""

    where: str  # "contacts.yaml:12", "goal.md", "Ada Lovelace (ada)", ...
    message: str
    severity: str = "error"  # "error" | "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        """The problem as one printable line: control characters in a value it quotes (a
        vertical tab in a setting, an escape code in a name) are shown escaped, never acted on.
        """
        text = f"{self.where}: {self.message}" if self.where else self.message
        return printable(text)


def at(path: Path | str, line: int | None = None) -> str:
    """The `where` of a problem: a file's name, with its line when known."""
    name = path.name if isinstance(path, Path) else path
    return f"{name}:{line}" if line else name


class OutreachError(Exception):
    """Something about the data or the world is wrong; exit 1 with one line per problem."""

    exit_code = 1

    def __init__(self, *problems: Problem | str) -> None:
        self.problems: tuple[Problem, ...] = tuple(
            p if isinstance(p, Problem) else Problem("", p) for p in problems
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled whole (problems and attributes), for work done in a second process.
        return (_restored, (type(self), self.problems, dict(self.__dict__)))


def _restored(
    kind: type[OutreachError], problems: tuple[Problem, ...], state: dict[str, object]
) -> OutreachError:
    error = kind.__new__(kind)
    OutreachError.__init__(error, *problems)
    error.__dict__.update(state)
    return error


class WorkspaceNotFound(OutreachError):
    """No outreach.toml here or above, and none named."""


class PersonNotFound(OutreachError):
    """A name on the command line matched nobody, or more than one person."""

    def __init__(self, *problems: Problem | str, query: str, matches: Sequence[str] = ()) -> None:
        super().__init__(*problems)
        self.query = query
        self.matches = tuple(matches)  # the people it could be, by label; empty: nobody

    @property
    def ambiguous(self) -> bool:
        return bool(self.matches)


class TemplateError(OutreachError):
    """A template cannot be read or rendered."""


class DraftError(OutreachError):
    """A draft file cannot be read back, or cannot be made."""


class SendError(OutreachError):
    """The mail server or the credentials stopped a run."""


class CredentialsError(SendError):
    """No password could be found, or the keyring cannot be used."""


class MailboxError(OutreachError):
    """The IMAP server, the login or the account's folders stopped a mailbox command."""


class DiskFull(OutreachError):
    """The disk (or the owner's quota) is full where a file had to be written."""


_SQLITE_FULL = 13  # sqlite3.SQLITE_FULL, without importing sqlite3 here
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def disk_full(error: BaseException, where: str) -> DiskFull | None:
    """The error as a DiskFull naming `where`, if it is a full disk: an OSError ENOSPC or
    EDQUOT from a file, or SQLite's SQLITE_FULL from the journal; else None."""
    full = (isinstance(error, OSError) and error.errno in _NO_SPACE) or getattr(
        error, "sqlite_errorcode", None
    ) == _SQLITE_FULL
    if not full:
        return None
    return DiskFull(
        Problem(
            where,
            "the disk is full (no space left to write it); free some space and run "
            "the command again",
        )
    )


@contextmanager
def naming_a_full_disk(where: str) -> Iterator[None]:
    """Turn a full disk met inside into one DiskFull naming `where`; other errors pass."""
    try:
        yield
    except Exception as error:
        full = disk_full(error, where)
        if full is None:
            raise
        raise full from None


class Busy(OutreachError):
    """Another run holds the workspace's lock."""


def raise_if_errors(problems: Iterable[Problem]) -> None:
    """Raise one OutreachError carrying every error found, if there is any."""
    errors = [p for p in problems if p.is_error]
    if errors:
        raise OutreachError(*errors)
