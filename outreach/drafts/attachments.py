"""Attachments: the files a draft carries, named by paths relative to the workspace.

Each path is checked when the draft is made, by `check`, and again right before its message
is built to go: it must name a readable file inside the workspace, reached without a `..`
part, an absolute path or a link that leads out. Its type comes from its name.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from outreach.support.text import header_unsafe

LINE = 76  # base64 characters per line in a MIME part (the email package's, and RFC 2045's)
_PART_HEADERS = 400  # a generous bound on an attachment part's own headers and boundary
_MB = 10**6  # limits.max_message_mb is in units of 10^6 bytes


@dataclass(frozen=True)
class Attachment:
    path: str  # as the draft names it, relative to the workspace
    file: Path  # where it is
    size: int  # bytes, as it is now
    content_type: str  # "application/pdf"

    @property
    def name(self) -> str:
        """The file name the recipient sees."""
        return PurePosixPath(self.path).name


class Refused(Exception):
    """An attachment that cannot go: `path` as the draft names it, and why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"attachment '{path}': {reason}")
        self.path = path
        self.reason = reason


def parse_list(value: str) -> list[str]:
    """A draft's `attachments:` value: a list as ["cv/cv.pdf", "a.pdf"], or one bare path.
    ValueError where a list does not read as a list of paths."""
    value = value.strip()
    if not value:
        return []
    if not value.startswith("["):
        return [value]
    try:
        paths = json.loads(value)
    except ValueError:
        raise ValueError(
            'attachments is one path, or a list of quoted paths: ["cv/cv.pdf", "notes.pdf"]'
        ) from None
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        raise ValueError('attachments is a list of quoted paths: ["cv/cv.pdf", "notes.pdf"]')
    return paths


def format_list(paths: Sequence[str]) -> str:
    """The `attachments:` value a draft is written with (read back by parse_list)."""
    return json.dumps(list(paths), ensure_ascii=False)


def content_type(name: str) -> str:
    """The MIME type a file name says (a PDF is application/pdf); octet-stream when unknown."""
    import mimetypes

    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None:  # report.pdf.gz is gzip data, not a PDF
        return {"gzip": "application/gzip", "bzip2": "application/x-bzip2"}.get(
            encoding, "application/octet-stream"
        )
    return guessed or "application/octet-stream"


def path_problem(path: str) -> str | None:
    """What is wrong with the path as written, before the file is looked at; None if nothing."""
    if not path.strip():
        return "the path is empty"
    char = header_unsafe(path)
    if char is not None:
        return "the path holds a control character or line break"
    if "\\" in path:
        return "write the path with / between folders"
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("~"):
        return "the path must be relative to the workspace, not absolute"
    if ".." in pure.parts:
        return "the path must not have a '..' part (it must stay inside the workspace)"
    return None


def check(root: Path, path: str) -> Attachment:
    """The attachment at PATH, relative to the workspace ROOT, as it is now; Refused if it
    cannot go (outside the workspace, missing, unreadable, a folder)."""
    problem = path_problem(path)
    if problem is not None:
        raise Refused(path, problem)
    base = root.resolve()
    where = base / path
    try:
        real = where.resolve(strict=True)
    except FileNotFoundError:
        raise Refused(path, "no such file in the workspace") from None
    except (OSError, RuntimeError) as error:  # a loop of links, a path too long
        raise Refused(path, f"cannot be reached ({_reason(error)})") from None
    if not real.is_relative_to(base):
        raise Refused(path, "leads out of the workspace (through a link)")
    try:
        info = os.stat(real)
    except OSError as error:
        raise Refused(path, f"cannot be read ({_reason(error)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise Refused(path, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise Refused(path, "is not a regular file")
    try:
        with open(real, "rb"):
            pass
    except OSError as error:
        raise Refused(path, f"cannot be read ({_reason(error)})") from None
    return Attachment(path, real, info.st_size, content_type(PurePosixPath(path).name))


def check_all(root: Path, paths: Sequence[str]) -> tuple[list[Attachment], list[Refused]]:
    """Every path checked: the attachments that can go, and those refused."""
    found: list[Attachment] = []
    refused: list[Refused] = []
    for path in paths:
        try:
            found.append(check(root, path))
        except Refused as refusal:
            refused.append(refusal)
    return found, refused


def base64_size(size: int) -> int:
    """Bytes of SIZE bytes in base64, in lines of 76 characters ending in CRLF."""
    encoded = 4 * math.ceil(size / 3)
    return encoded + 2 * math.ceil(encoded / LINE)


def estimated_size(text: str, attachments: Sequence[Attachment]) -> int:
    """A close upper bound on the message's size as encoded, before it is built: the text
    (quoted-printable at worst about three times its UTF-8) and each file in base64.
    Right before sending the message as built is measured instead."""
    text_bytes = len(text.encode("utf-8"))
    encoded_text = text_bytes if text.isascii() else 3 * text_bytes
    return (
        2_000
        + encoded_text
        + sum(base64_size(a.size) + _PART_HEADERS + 3 * len(a.name) for a in attachments)
    )


def size_problem(size: int, max_mb: int) -> str | None:
    """Why a message of SIZE bytes as encoded cannot go under limits.max_message_mb; or None."""
    if size < max_mb * _MB:
        return None
    return (
        f"the message would be {shown_size(size)} as encoded (base64 adds a third to each "
        f"file), over limits.max_message_mb ({max_mb} MB): attach less, or share a link"
    )


def shown_size(size: int) -> str:
    """A size as a person reads it: 812 bytes, 45 kB, 1.2 MB (units of 1000, as providers)."""
    if size < 1000:
        return f"{size} bytes"
    if size < _MB:
        return f"{size / 1000:.0f} kB"
    return f"{size / _MB:.1f} MB"


def _reason(error: BaseException) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or type(error).__name__
