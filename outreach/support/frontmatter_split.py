"""Splitting a Markdown file into its YAML front matter and its body, keeping line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_CLOSE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Split:
    front: str | None  # None: the file has no front matter
    body: str
    front_line: int  # the file's line of the front matter's first line
    body_line: int  # the file's line of the body's first line


def split(text: str) -> Split:
    """Front matter between a first line `---` and the next `---`, and the rest."""
    opening = _OPEN.match(text)
    if opening is None:
        return Split(None, text, 1, 1)
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        return Split(None, text, 1, 1)
    front = text[opening.end() : closing.start()]
    rest = text[closing.end() :]
    if rest.startswith("\r\n"):
        rest = rest[2:]
    elif rest.startswith("\n"):
        rest = rest[1:]
    body_line = text.count("\n", 0, closing.end()) + 2
    return Split(front, rest, 2, body_line)
