"""Reading a CSV address-book export into `Card` values, by its header's column names.

Google Contacts, Outlook and Thunderbird exports are read, and so is a plain
`name,email` header; the cells are separated by commas, semicolons or tabs.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from outreach.people.addressbook.cards import Card, join_name, looks_like_address
from outreach.support.errors import OutreachError, Problem, at

# Header names compared without case, spaces or punctuation: `first_name`, `FirstName` and
# `First Name` are one; so are `E-mail 1 - Value` and `email1value`.
_NAME = {"name", "fullname", "displayname", "formattedname", "fn", "contactname"}
_GIVEN = {"firstname", "givenname", "first", "forename", "contactfirstname"}
_MIDDLE = {"middlename", "additionalname", "middle"}
_FAMILY = {"lastname", "familyname", "surname", "last", "contactlastname"}
_NICKNAME = {"nickname", "nick"}
_NOTES = {"notes", "note"}
_LABELS = {"labels", "groupmembership", "categories", "category", "tags", "groups"}
_COMPANY = {"organizationname", "organization1name", "company", "companyname", "organization"}
_EMAIL_KIND = "primary|secondary|alternate|other|work|home|personal|private|business|contact|main"
_EMAIL = re.compile(rf"(?:{_EMAIL_KIND})?(?:email\d*(?:address(?:es)?|value)?\d*|mail)")
_EMAIL_LABEL = re.compile(r"email(\d+)(?:label|type)")
_EMAIL_NUMBER = re.compile(r"\D*(\d+)")
_SEPARATOR = re.compile(r"\s*:::\s*")  # Google's several values in one cell
_DELIMITERS = (",", ";", "\t")
_HEADER_SEARCH = 10  # rows that may come before the header (LinkedIn starts with "Notes:")


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

    @property
    def used(self) -> set[int]:
        """Every column read, label columns too."""
        single = (self.name, self.given, self.middle, self.family, self.nickname)
        more = (self.notes, self.labels, self.company)
        pairs = [index for pair in self.emails for index in pair]
        return {index for index in (*single, *more, *pairs) if index is not None}


def parse_csv(text: str, filename: str) -> tuple[list[Card], list[Problem]]:
    """Every row of a CSV export after its header row, and warnings about its columns.

    The cells are separated by commas, semicolons or tabs; the header is the first row
    with a name or an email column, within the first few rows.
    """
    if not text.strip():
        raise OutreachError(Problem(at(filename, 1), "the file is empty"))
    found = _find_header(text)
    if found is None:
        raise OutreachError(
            Problem(
                at(filename, 1),
                "no name or email column in the first lines; name the columns, as in "
                "'name,email' (Google Contacts and Outlook exports do)",
            )
        )
    delimiter, header_index, header, columns = found
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    cards: list[Card] = []
    rows: list[Sequence[str]] = []
    try:
        for _ in range(header_index + 1):
            next(reader)
        header_line = reader.line_num
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                cards.append(card_from_row(row, columns, start))
                rows.append(row)
            start = reader.line_num + 1
    except csv.Error as error:
        raise OutreachError(
            Problem(at(filename, reader.line_num), f"not valid CSV: {error}")
        ) from None
    warnings = [
        Problem(
            at(filename, header_line),
            f"the column {title.strip()!r} looks like email addresses but is not read as "
            "one; name it 'email' (or 'email 2', ...) to import them",
            "warning",
        )
        for index, title in enumerate(header)
        if index not in columns.used and _looks_like_emails(rows, index)
    ]
    return cards, warnings


def _find_header(text: str) -> tuple[str, int, list[str], Columns] | None:
    """The delimiter, index, cells and columns of the first row with a name or email column.

    Of the delimiters, the one that finds a header soonest wins (commas on a tie).
    """
    best: tuple[str, int, list[str], Columns] | None = None
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for index, row in zip(range(_HEADER_SEARCH), reader, strict=False):
                columns = find_columns(row)
                if columns.usable:
                    if best is None or index < best[1]:
                        best = (delimiter, index, row, columns)
                    break
        except csv.Error:
            continue
    return best


def header_key(title: str) -> str:
    """A column's name without case, spaces or punctuation: 'E-mail 2 Address' -> 'email2address'.

    `FirstName`, `first_name` and `First Name` are all 'firstname'.
    """
    return re.sub(r"[\W_]+", "", title.casefold())


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


def _looks_like_emails(rows: Sequence[Sequence[str]], index: int) -> bool:
    """Whether at least half the column's filled cells are addresses.

    By its cells, not its name: `Email Opt Out` or `E-mail Type` hold no addresses.
    """
    cells = [row[index].strip() for row in rows if index < len(row) and row[index].strip()]
    return bool(cells) and sum(map(looks_like_address, cells)) * 2 >= len(cells)


def card_from_row(row: Sequence[str], columns: Columns, line: int) -> Card:
    def cell(index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""

    given = cell(columns.given)
    names = (
        " ".join(cell(columns.name).split()),
        join_name([given, cell(columns.middle), cell(columns.family)]),
        cell(columns.nickname),
    )
    # A display name that is only the address (Thunderbird's collected addresses) gives
    # way to the given and family names; where there are none, import warns about it.
    name = next((n for n in names if n and not looks_like_address(n)), "")
    name = name or next((n for n in names if n), "")
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
    return Card(
        line=line,
        name=name,
        given=given,
        emails=tuple(preferred + others),
        notes=cell(columns.notes),
        tags=tuple(labels),
        company=cell(columns.company),
    )
