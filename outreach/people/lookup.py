"""Finding the one person a command line names, by id, email or a unique part of the name."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from outreach.people.contact import Contact
from outreach.support.errors import PersonNotFound


def fold_name(text: str) -> str:
    """Lowercase without accents, so `jose` finds José Núñez."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def find_person(contacts: Sequence[Contact], query: str) -> Contact:
    """The one person a command line names: by id, by email, or by a unique part of the name."""
    wanted = query.strip().lower()
    for contact in contacts:
        if contact.id == wanted or (contact.email and contact.email.lower() == wanted):
            return contact
    folded = fold_name(wanted)
    matches = [c for c in contacts if folded and folded in fold_name(c.name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise PersonNotFound(
            f"nobody in contacts.yaml is called '{query}' (by id, email or name)", query=query
        )
    labels = [c.label for c in matches]
    raise PersonNotFound(
        f"'{query}' matches {len(matches)} people: {', '.join(labels)}; use an id",
        query=query,
        matches=labels,
    )
