"""A Markdown file's front matter and body, split by python-frontmatter, with their lines.

The library's YAML handler splits; its boundary is given here. Its own, `^-{3,}\\s*$`, lets
`\\s*` run over the blank lines after a `---`: blank lines that open a body are lost (a
draft's message would go without them) and the front matter's lines shift. A boundary is a
line of exactly `---`, blanks after it allowed, as outreach has always read it.

A draft's front matter is plain `field: value` lines, not YAML, and the library imports
PyYAML as it loads (about 28 ms, on every `send`, `drafts` and `approve`): drafts are split
by `split_plain`, the same boundary applied without the library, and a test holds the two
to the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOUNDARY = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Split:
    front: str | None  # None: the file has no front matter
    body: str
    front_line: int  # the file's line of the front matter's first line
    body_line: int  # the file's line of the body's first line


def split(text: str) -> Split:
    """Front matter between a first line `---` and the next `---`, and the rest."""
    from frontmatter.default_handlers import (
        YAMLHandler,
    )  # imports PyYAML: only where front matter is read

    handler = YAMLHandler(fm_boundary=_BOUNDARY)
    if not handler.detect(text):
        return Split(None, text, 1, 1)
    try:
        front, rest = handler.split(text)
    except ValueError:  # no closing `---`: the text splits in two, not three
        return Split(None, text, 1, 1)
    # The boundary leaves each line's newline on the text after it.
    return Split(front[1:], rest[1:], 2, front.count("\n") + 2)


def split_plain(text: str) -> Split:
    """`split`, for a file that holds no YAML: the same boundary, without loading PyYAML."""
    opening = _BOUNDARY.match(text)
    closing = _BOUNDARY.search(text, opening.end()) if opening else None
    if opening is None or closing is None:
        return Split(None, text, 1, 1)
    front = text[opening.end() + 1 : closing.start()]
    return Split(front, text[closing.end() + 1 :], 2, front.count("\n") + 3)
