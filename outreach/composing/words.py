"""The words of a draft: dates written out, a quote marked as mail programs mark it, and the
text wrapped at 72 characters.

The filters are the renderer's own (`long_date`, `quote`); `wrap` is applied to every body.
"""

from __future__ import annotations

import functools
import re
import textwrap
from datetime import date, datetime
from typing import Any

import jinja2

WIDTH = 72  # the drafts' own lines: quoted once ("> "), they stay within 78

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_LIST_ITEM = re.compile(r"(?:[-*+]|\d{1,3}[.)])\s+")


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())  # ValueError names what it could not read
    raise TypeError(f"long_date takes a date or a YYYY-MM-DD text, not {type(value).__name__}")


@jinja2.pass_context
def long_date(context: jinja2.runtime.Context, value: Any) -> str:
    """'Tuesday 25 November', and the year only when it is not the year of `today`."""
    day = _as_date(value)
    text = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    today = context.get("today")
    if not isinstance(today, date) or day.year != today.year:
        text += f" {day.year}"
    return text


def quote(value: Any) -> str:
    """The text as a reply quotes it: '> ' before each line, '>' alone on an empty one, and
    '>' before a line that is a quote already ('>> ')."""
    lines = str(value).strip("\n").splitlines() or [""]
    return "\n".join(
        ">" + line if line.startswith(">") else "> " + line if line.strip() else ">"
        for line in lines
    )


def wrap(body: str, width: int = WIDTH) -> str:
    """Each line longer than `width` broken at spaces, as a mail program does when it sends:
    the line breaks already there stay (paragraphs, a signature), a quote ('>') and an indented
    line are left as they are, a list item's next lines are indented under its text, and a word
    longer than the line (a link) is never cut."""
    lines = body.split("\n")
    if max(map(len, lines)) <= width:
        return body  # the usual case: nothing to do
    out: list[str] = []
    for line in lines:
        if len(line) <= width or line.startswith((">", " ", "\t")):
            out.append(line)
            continue
        out.extend(_wrapped_line(line, width))
    return "\n".join(out)


@functools.lru_cache(maxsize=4096)
def _wrapped_line(line: str, width: int) -> tuple[str, ...]:
    """One long line broken at spaces. Kept for the next draft: a template's long lines come
    back word for word in most drafts, and wrapping took a quarter of drafting's time."""
    item = _LIST_ITEM.match(line)
    indent = " " * item.end() if item else ""
    text = line.rstrip()
    if _PLAIN.fullmatch(text):
        return tuple(_wrap_plain(text, width, indent))
    wrapped = textwrap.wrap(
        text,
        width,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return tuple(wrapped) or (line,)


# Words with one space between them, none of textwrap's other blanks: the usual line.
_PLAIN = re.compile(r"[^\t\n\x0b\x0c\r ]+(?: [^\t\n\x0b\x0c\r ]+)*")


def _wrap_plain(text: str, width: int, indent: str) -> list[str]:
    """textwrap.wrap's lines for a _PLAIN text (with break_long_words and break_on_hyphens
    off), found with a search for the last space that fits on each line rather than word by
    word: four times faster."""
    lines: list[str] = []
    start, end, room, prefix = 0, len(text), width, ""
    while end - start > room:
        space = text.rfind(" ", start, start + room + 1)
        if space < start:  # a word longer than the line (a link) is a line of its own
            space = text.find(" ", start)
            if space < 0:
                break
        lines.append(prefix + text[start:space])
        start, room, prefix = space + 1, width - len(indent), indent
    lines.append(prefix + text[start:])
    return lines
