"""The whole import: read an export, check its people, plan who is new, append them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from outreach.people.addressbook import vcard
from outreach.people.addressbook.append import contacts_text
from outreach.people.addressbook.cards import Card, Person, Skipped, to_person
from outreach.people.addressbook.csv_cards import parse_csv
from outreach.people.addressbook.encodings import decode_export
from outreach.people.addressbook.merge import Added, plan_import
from outreach.people.reading import parse_contacts
from outreach.support.errors import OutreachError, Problem, at
from outreach.support.files import atomic_write, read_bytes, read_text


@dataclass(frozen=True)
class ImportReport:
    added: tuple[Added, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[Problem, ...] = ()  # warnings: addresses left out, columns not read ...
    encoding_notice: str | None = None  # how a file that is not UTF-8 was read


def import_people(
    contacts_file: Path, source: Path, *, dry_run: bool = False, encoding: str | None = None
) -> ImportReport:
    """Append the people of SOURCE to contacts_file; nothing is written on any error.

    ENCODING names the file's encoding; by default it is found (see `encodings`).
    """
    text, encoding_notice = decode_export(read_bytes(source), source.name, encoding)
    cards, notices = read_cards(text, source.name)
    original = read_text(contacts_file)
    existing, problems = parse_contacts(original, contacts_file.name)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise OutreachError(
            *errors,
            Problem(at(contacts_file), "fix these first (`outreach check`); nothing was imported"),
        )
    people: list[Person] = []
    skipped: list[Skipped] = []
    for card in cards:
        person, found = to_person(card, source.name)
        notices.extend(found)
        if isinstance(person, Person):
            people.append(person)
        else:
            skipped.append(person)
    added, duplicates = plan_import(people, existing, source.name)
    if added:
        text = contacts_text(original, existing, added, contacts_file.name)
        if not dry_run:
            atomic_write(contacts_file, text)
    return ImportReport(tuple(added), tuple(skipped + duplicates), tuple(notices), encoding_notice)


def read_cards(text: str, filename: str) -> tuple[list[Card], list[Problem]]:
    """The people of a vCard or CSV file's text, and warnings about the file itself.

    A malformed file is an error naming its line.
    """
    if is_vcard(filename, text):
        return vcard.parse_vcards(text, filename), []
    return parse_csv(text, filename)


def is_vcard(filename: str, text: str) -> bool:
    """A .vcf/.vcard file, a .csv file, or else whatever the first line says."""
    suffix = Path(filename).suffix.lower()
    if suffix in vcard.SUFFIXES:
        return True
    if suffix == ".csv":
        return False
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first.strip().upper().startswith("BEGIN:VCARD")
