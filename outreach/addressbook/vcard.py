"""Reading a vCard file (versions 2.1, 3.0 and 4.0) into `Entry` values.

vobject reads each card; a first pass of our own finds the cards and names the line
of anything malformed, since vobject's line numbers are not reliable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from outreach.addressbook.people import Entry, join_name
from outreach.errors import OutreachError, Problem, at

SUFFIXES = (".vcf", ".vcard")
WANTED = frozenset(("VERSION", "FN", "N", "NICKNAME", "EMAIL", "NOTE", "CATEGORIES", "ORG"))
MAX_PROBLEMS = 20


def parse_vcards(text: str, filename: str) -> list[Entry]:
    """Every card of a vCard file as an Entry, or an error for each malformed line."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    for line, card_text in split_cards(text, filename):
        try:
            entries.append(vcard_entry(card_text, line))
        except Exception as error:  # vobject raises many kinds on odd values
            reason = str(error).strip() or type(error).__name__
            problems.append(Problem(at(filename, line), f"this vCard cannot be read: {reason}"))
    if problems:
        raise OutreachError(*problems)
    return entries


def physical_lines(text: str) -> list[str]:
    """The file's lines as an editor numbers them (CRLF, LF or CR)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def logical_lines(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first line, last line, text) of each content line, unfolded as vobject does.

    A line starting with a space or tab continues the one before; a quoted-printable
    value ending in `=` (a soft line break) continues on the next line.
    """
    result: list[tuple[int, int, str]] = []
    quoted_printable = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            quoted_printable = False
            continue
        if result and (quoted_printable or line[0] in " \t"):
            first, _, so_far = result[-1]
            joined = f"{so_far}\n{line}" if quoted_printable else so_far + line[1:]
            result[-1] = (first, number, joined)
        else:
            result.append((number, number, line))
        content = result[-1][2]
        quoted_printable = content.endswith("=") and "quoted-printable" in content.lower()
    return result


def split_cards(text: str, filename: str) -> list[tuple[int, str]]:
    """(line of BEGIN:VCARD, the card's text) for each card; malformed lines are errors.

    A card's text keeps only the properties import reads (`WANTED`): a photo is never
    decoded, and an odd value in a field that is not imported does not stop the import.
    """
    from vobject.base import ParseError, parseLine

    lines = physical_lines(text)
    cards: list[tuple[int, str]] = []
    problems: list[Problem] = []
    stack: list[tuple[str, int]] = []  # open components: (name, line)
    kept: list[str] = []  # the current card's wanted lines

    def fail(line: int, message: str) -> None:
        problems.append(Problem(at(filename, line), message))

    for first, last, content in logical_lines(lines):
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
                cards.append((begin, "\n".join(["BEGIN:VCARD", *kept, "END:VCARD"])))
        elif not stack:
            fail(first, f"outside any BEGIN:VCARD ... END:VCARD: {_shorten(content)}")
        elif len(stack) == 1 and name in WANTED:
            kept.extend(lines[first - 1 : last])
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


def vcard_entry(card_text: str, line: int) -> Entry:
    """One card read by vobject (quoted-printable allowed, as vCard 2.1 writes it)."""
    import vobject

    card = vobject.readOne(card_text, allowQP=True)
    contents: dict[str, list[Any]] = card.contents
    name = _text(_values(contents, "fn"))
    given = ""
    for n in contents.get("n", []):
        parts = [_text(getattr(n.value, key, "")) for key in ("given", "additional", "family")]
        given = given or parts[0]
        name = name or join_name(parts)
    name = name or _text(_values(contents, "nickname"))
    emails = sorted(contents.get("email", []), key=email_rank)  # stable: file order kept
    orgs = _values(contents, "org")
    return Entry(
        line=line,
        name=name,
        given=given,
        emails=tuple(_strip_mailto(text) for email in emails if (text := _text(email.value))),
        notes="\n\n".join(text for note in _values(contents, "note") if (text := _text(note))),
        tags=tuple(tag for value in _values(contents, "categories") for tag in _items(value)),
        company=_text(_items(orgs[0])[:1]) if orgs else "",
    )


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


def _values(contents: dict[str, list[Any]], key: str) -> list[Any]:
    return [line.value for line in contents.get(key, [])]


def _items(value: Any) -> list[str]:
    """A list value (CATEGORIES, ORG) as its texts."""
    if isinstance(value, list | tuple):
        return [text for item in value if (text := _text(item))]
    return [text for part in str(value).split(",") if (text := part.strip())]


def _text(value: Any) -> str:
    """A value as text: lists joined by spaces, binary values (photos) dropped."""
    if isinstance(value, list | tuple):
        return " ".join(text for item in value if (text := _text(item)))
    if isinstance(value, bytes):
        return ""
    return str(value).strip()


def _strip_mailto(address: str) -> str:
    return address[7:] if address.lower().startswith("mailto:") else address


def _shorten(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
