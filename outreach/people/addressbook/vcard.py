"""Reading a vCard file (versions 2.1, 3.0 and 4.0) into `Card` values.

A first pass of our own finds the cards and names the line of anything malformed, since
vobject's line numbers are not reliable. vobject then reads each content line (its
parameters, quoted-printable and charset), and the values are decoded here: vobject's
text decoding splits every value at its commas and keeps the first part, which cuts a
vCard 2.1 value such as `FN:Public, John` (2.1 has no comma escape) to `Public`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from outreach.people.addressbook.cards import Card, join_name
from outreach.support.errors import OutreachError, Problem, at

SUFFIXES = (".vcf", ".vcard")
WANTED = frozenset(("VERSION", "FN", "N", "NICKNAME", "EMAIL", "NOTE", "CATEGORIES", "ORG"))
MAX_PROBLEMS = 20


def parse_vcards(text: str, filename: str) -> list[Card]:
    """Every card of a vCard file as a Card, or an error for each malformed line."""
    cards: list[Card] = []
    problems: list[Problem] = []
    for line, content_lines in split_cards(text, filename):
        try:
            cards.append(card_from_vcard(content_lines, line))
        except Exception as error:  # vobject raises many kinds on odd values
            reason = str(error).strip() or type(error).__name__
            problems.append(Problem(at(filename, line), f"this vCard cannot be read: {reason}"))
    if problems:
        raise OutreachError(*problems)
    return cards


def physical_lines(text: str) -> list[str]:
    """The file's lines as an editor numbers them (CRLF, LF or CR)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def logical_lines(lines: Sequence[str]) -> list[tuple[int, str]]:
    """(first line, text) of each content line, unfolded as vobject does.

    A line starting with a space or tab continues the one before; a quoted-printable
    value ending in `=` (a soft line break) continues on the next line.
    """
    result: list[tuple[int, str]] = []
    quoted_printable = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            quoted_printable = False
            continue
        if result and (quoted_printable or line[0] in " \t"):
            first, so_far = result[-1]
            joined = f"{so_far}\n{line}" if quoted_printable else so_far + line[1:]
            result[-1] = (first, joined)
        else:
            result.append((number, line))
        content = result[-1][1]
        quoted_printable = content.endswith("=") and "quoted-printable" in content.lower()
    return result


def split_cards(text: str, filename: str) -> list[tuple[int, list[str]]]:
    """(line of BEGIN:VCARD, the card's content lines) for each card; malformed lines are errors.

    A card keeps only the properties import reads (`WANTED`), unfolded: a photo is never
    decoded, and an odd value in a field that is not imported does not stop the import.
    """
    from vobject.base import ParseError, parseLine

    cards: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    stack: list[tuple[str, int]] = []  # open components: (name, line)
    kept: list[str] = []  # the current card's wanted lines

    def fail(line: int, message: str) -> None:
        problems.append(Problem(at(filename, line), message))

    for first, content in logical_lines(physical_lines(text)):
        try:
            name, _params, value, _group = parseLine(content)
        except ParseError:
            fail(first, f"not a vCard line (NAME:value): {_shorten(content)}")
            continue
        name, value = name.upper(), value.strip().upper()
        if name == "BEGIN":
            if not stack:
                kept = []
                if value != "VCARD":
                    fail(first, f"BEGIN:VCARD expected, not BEGIN:{value}")
            stack.append((value, first))
        elif name == "END" and not stack:
            fail(first, f"END:{value} without a BEGIN")
        elif name == "END" and stack[-1][0] != value:
            open_name, open_line = stack[-1]
            fail(first, f"END:{value} where BEGIN:{open_name} (line {open_line}) is still open")
        elif name == "END":
            _, begin = stack.pop()
            if not stack:
                cards.append((begin, kept))
        elif not stack:
            fail(first, f"outside any BEGIN:VCARD ... END:VCARD: {_shorten(content)}")
        elif len(stack) == 1 and name in WANTED:
            kept.append(content)
    if stack:
        open_name, open_line = stack[0]
        fail(open_line, f"BEGIN:{open_name} is never ended")
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems[MAX_PROBLEMS:] = [Problem(at(filename), f"and {more} more")]
    if problems:
        raise OutreachError(*problems)
    if not cards:
        raise OutreachError(Problem(at(filename, 1), "no vCard in this file (no BEGIN:VCARD)"))
    return cards


def card_from_vcard(content_lines: Sequence[str], line: int) -> Card:
    """One card, from its unfolded content lines (quoted-printable allowed, as 2.1 writes it)."""
    from vobject.base import textLineToContentLine

    contents: dict[str, list[Any]] = {}
    for content in content_lines:
        parsed = textLineToContentLine(content)  # decodes quoted-printable and CHARSET
        contents.setdefault(parsed.name.lower(), []).append(parsed)
    version = next((str(v.value).strip() for v in contents.get("version", [])), "3.0")
    lists = version != "2.1"  # 2.1 has no comma escape: a comma there is text
    name, other_names = _formatted_name(contents.get("fn", []))
    given = ""
    for n in contents.get("n", []):
        family, first, additional = (_component(n.value, i, lists) for i in range(3))
        given = given or first
        name = name or join_name([first, additional, family])
    for nickname in contents.get("nickname", []):  # 3.0 and 4.0: a list; the first is taken
        name = name or (_list(nickname.value, ",")[:1] if lists else [_text(nickname.value)])[0]
    emails = sorted(contents.get("email", []), key=email_rank)  # stable: file order kept
    orgs = contents.get("org", [])
    return Card(
        line=line,
        name=name,
        other_names=other_names,
        given=given,
        emails=tuple(_strip_mailto(text) for email in emails if (text := _text(email.value))),
        notes="\n\n".join(text for note in contents.get("note", []) if (text := _text(note.value))),
        tags=tuple(tag for c in contents.get("categories", []) for tag in _list(c.value, ",;")),
        company=_component(orgs[0].value, 0, lists=False) if orgs else "",
    )


def _formatted_name(lines: Sequence[Any]) -> tuple[str, tuple[str, ...]]:
    """The name of a card's FN lines (the first without a language tag, else the first),
    and the others (language variants, other ALTIDs)."""
    names = [(text, "LANGUAGE" in line.params) for line in lines if (text := _text(line.value))]
    if not names:
        return "", ()
    chosen = next((text for text, tagged in names if not tagged), names[0][0])
    others = dict.fromkeys(text for text, _ in names if text != chosen)
    return chosen, tuple(others)


def unescape(text: str) -> str:
    """A vCard value's escapes undone: `\\n` is a line break, a backslash before any
    punctuation is that character (`\\,` `\\;` `\\\\` and exporters' `\\'`), and any
    other backslash is text (`C:\\Users`)."""

    def one(match: re.Match[str]) -> str:
        escaped = match.group(1)
        if escaped in "nN":
            return "\n"
        return escaped if not escaped.isalnum() and not escaped.isspace() else match.group(0)

    return _ESCAPE.sub(one, text)


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def split_unescaped(value: str, separators: str) -> list[str]:
    """The parts of a value between separators that no backslash escapes (escapes kept)."""
    parts: list[str] = []
    start = index = 0
    while index < len(value):
        if value[index] == "\\":
            index += 2
            continue
        if value[index] in separators:
            parts.append(value[start:index])
            start = index + 1
        index += 1
    parts.append(value[start:])
    return parts


def _list(value: Any, separators: str) -> list[str]:
    """A list value (CATEGORIES, NICKNAME) as its texts."""
    return [text for part in split_unescaped(str(value), separators) if (text := _text(part))]


def _component(value: Any, index: int, lists: bool) -> str:
    """Part INDEX of a structured value (N, ORG): its list items joined by spaces where
    `lists` (vCard 3.0 and 4.0: `N:Doe;John;Philip,Paul`), else the whole part."""
    components = split_unescaped(str(value), ";")
    if index >= len(components):
        return ""
    if lists:
        return " ".join(_list(components[index], ","))
    return _text(components[index])


def email_rank(line: Any) -> int:
    """1 for a preferred address (PREF=1, TYPE=pref, bare PREF), up to 100; 101 for none."""
    params = {str(key).upper(): value for key, value in line.params.items()}
    for value in params.get("PREF", []):
        try:
            return min(max(int(value), 1), 100)
        except ValueError:
            return 1
    types = {t.strip().lower() for value in params.get("TYPE", []) for t in str(value).split(",")}
    singles = {str(value).lower() for value in getattr(line, "singletonparams", [])}
    return 1 if "pref" in types | singles else 101


def _text(value: Any) -> str:
    """A text value, unescaped, whole (a comma is text in every version)."""
    return unescape(str(value)).strip()


def _strip_mailto(address: str) -> str:
    return address[7:] if address.lower().startswith("mailto:") else address


def _shorten(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
