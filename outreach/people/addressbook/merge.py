"""Who of an export is new to contacts.yaml, and the id each new person gets."""

from __future__ import annotations

import unicodedata
from collections.abc import Container, Sequence
from dataclasses import dataclass

from outreach.people.addressbook.cards import Person, Skipped
from outreach.people.contact import Contact, slug
from outreach.support.errors import at
from outreach.support.text import MAX_NAME_LENGTH

OTHER_EMAILS = "other_emails"
OTHER_NAMES = "other_names"  # a card's other FN lines


@dataclass(frozen=True)
class Added:
    person: Person
    id: str
    explicit_id: bool = False  # the slug of the name was taken: `id:` is written


def name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def plan_import(
    people: Sequence[Person], existing: Sequence[Contact], filename: str
) -> tuple[list[Added], list[Skipped]]:
    """Who is added (with a free id) and who is skipped as already present.

    The same person: any shared email (case-insensitive, other_emails too), or the same
    name where either of the two has no email.
    """
    by_email: dict[str, str] = {}  # address -> who has it, in words
    by_name: dict[str, tuple[str, bool]] = {}  # name -> (who, has an email)

    def remember(who: str, name: str, emails: Sequence[str], has_email: bool) -> None:
        for address in emails:
            by_email.setdefault(address.lower(), who)
        by_name.setdefault(name_key(name), (who, has_email))

    for contact in existing:
        who = f"already in contacts.yaml as {contact.label}"
        remember(who, contact.name, _contact_emails(contact), bool(contact.email))
    taken = {contact.id for contact in existing}
    added: list[Added] = []
    skipped: list[Skipped] = []
    for person in people:
        reason = _duplicate_reason(person, by_email, by_name)
        if reason:
            skipped.append(Skipped(at(filename, person.line), person.name, reason))
            continue
        who = f"the same person as {person.name} on line {person.line}"
        remember(who, person.name, person.emails, bool(person.email))
        base = slug(person.name)
        new_id = free_id(base, taken)
        taken.add(new_id)
        added.append(Added(person, new_id, explicit_id=new_id != base))
    return added, skipped


def free_id(base: str, taken: Container[str]) -> str:
    """BASE, or the first of BASE-2, BASE-3, ... that is not taken (BASE cut short where the
    number would make the id too long)."""
    new_id, number = base, 1
    while new_id in taken:
        number += 1
        suffix = f"-{number}"
        new_id = base[: MAX_NAME_LENGTH - len(suffix)].rstrip("-") + suffix
    return new_id


def _duplicate_reason(
    person: Person, by_email: dict[str, str], by_name: dict[str, tuple[str, bool]]
) -> str | None:
    for address in person.emails:
        if address.lower() in by_email:
            return f"{by_email[address.lower()]}, with the same email {address}"
    same_name = by_name.get(name_key(person.name))
    if same_name is None:
        return None
    who, has_email = same_name
    if not person.emails:
        return f"{who}, with the same name and no email to tell them apart"
    if not has_email:
        return f"{who}, who has no email there: add {person.emails[0]} by hand if it is them"
    return None


def _contact_emails(contact: Contact) -> list[str]:
    """The contact's email, then any other_emails (one address or a list of them)."""
    others = contact.custom.get(OTHER_EMAILS)
    if isinstance(others, str):
        others = [others]
    extra = [str(e) for e in others] if isinstance(others, list) else []
    return ([contact.email] if contact.email else []) + extra
