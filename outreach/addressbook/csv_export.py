"""Reading a CSV address-book export into `Entry` values, by its header's column names.

Google Contacts, Outlook and Thunderbird exports are read, and so is a plain
`name,email` header; the cells are separated by commas, semicolons or tabs.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from outreach.addressbook.people import Entry, join_name
from outreach.errors import OutreachError, Problem, at

_NAME = {"name", "full name", "display name", "formatted name", "fn"}
_GIVEN = {"first name", "given name"}
_MIDDLE = {"middle name", "additional name"}
_FAMILY = {"last name", "family name", "surname"}
_NICKNAME = {"nickname"}
_NOTES = {"notes", "note"}
_LABELS = {"labels", "group membership", "categories", "tags", "groups"}
_COMPANY = {"organization name", "organization 1 - name", "company", "organization"}
_EMAIL = re.compile(r"(?:email(?: \d+)?(?: address| - value)?|(?:primary|secondary) email)")
_EMAIL_LABEL = re.compile(r"email (\d+) - (?:label|type)")
_EMAIL_NUMBER = re.compile(r"email (\d+)")
_SEPARATOR = re.compile(r"\s*:::\s*")  # Google's several values in one cell
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Columns:
    """Where a CSV header keeps each thing (indexes into a row)."""

    name: int | None = None
    given: int | None = None
    middle: int | None = None
    family: int | None = None
    nickname: int | None = None
    notes: int | None = None
    labels: int | None = None
    company: int | None = None
    emails: tuple[tuple[int, int | None], ...] = ()  # (value, its label column)

    @property
    def usable(self) -> bool:
        return bool(self.emails) or any(
            index is not None for index in (self.name, self.given, self.family)
        )


def parse_csv(text: str, filename: str) -> list[Entry]:
    """Every row of a CSV export with a header row; separated by commas, semicolons or tabs."""
    if not text.strip():
        raise OutreachError(Problem(at(filename, 1), "the file is empty"))
    delimiter, columns = _sniff_header(text)
    if columns is None:
        raise OutreachError(
            Problem(
                at(filename, 1),
                "no name or email column in the first line; name the columns, as in "
                "'name,email' (Google Contacts and Outlook exports do)",
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    entries: list[Entry] = []
    try:
        next(reader)
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                entries.append(csv_entry(row, columns, start))
            start = reader.line_num + 1
    except csv.Error as error:
        raise OutreachError(
            Problem(at(filename, reader.line_num), f"not valid CSV: {error}")
        ) from None
    return entries


def _sniff_header(text: str) -> tuple[str, Columns | None]:
    """The first delimiter whose header has a name or email column, with those columns."""
    for delimiter in _DELIMITERS:
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        columns = find_columns(header)
        if columns.usable:
            return delimiter, columns
    return ",", None


def header_key(title: str) -> str:
    """'E-mail 2 Address ' -> 'email 2 address'."""
    return re.sub(r"\s+", " ", title.strip().lower()).replace("e-mail", "email")


def find_columns(header: Sequence[str]) -> Columns:
    keys = [header_key(title) for title in header]

    def first(names: set[str]) -> int | None:
        return next((i for i, key in enumerate(keys) if key in names), None)

    labels = {
        match.group(1): i for i, key in enumerate(keys) if (match := _EMAIL_LABEL.fullmatch(key))
    }
    emails = []
    for i, key in enumerate(keys):
        if _EMAIL.fullmatch(key):
            number = _EMAIL_NUMBER.match(key)
            emails.append((i, labels.get(number.group(1)) if number else None))
    return Columns(
        name=first(_NAME),
        given=first(_GIVEN),
        middle=first(_MIDDLE),
        family=first(_FAMILY),
        nickname=first(_NICKNAME),
        notes=first(_NOTES),
        labels=first(_LABELS),
        company=first(_COMPANY),
        emails=tuple(emails),
    )


def csv_entry(row: Sequence[str], columns: Columns, line: int) -> Entry:
    def cell(index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""

    given = cell(columns.given)
    name = " ".join(cell(columns.name).split()) or join_name(
        [given, cell(columns.middle), cell(columns.family)]
    )
    preferred: list[str] = []
    others: list[str] = []
    for value, label in columns.emails:
        target = preferred if cell(label).startswith("*") else others  # Google: "* Work"
        target.extend(address for address in _SEPARATOR.split(cell(value)) if address)
    labels = [
        label
        for part in _SEPARATOR.split(cell(columns.labels))
        for label in re.split(r"\s*[;,]\s*", part)
        if label and not label.startswith("*")  # Google's system labels: "* myContacts"
    ]
    return Entry(
        line=line,
        name=name or cell(columns.nickname),
        given=given,
        emails=tuple(preferred + others),
        notes=cell(columns.notes),
        tags=tuple(labels),
        company=cell(columns.company),
    )
