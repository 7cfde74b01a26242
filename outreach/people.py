"""The people at a glance: their lists, what was asked and given, when next to reach out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from outreach.contacts import Contact
from outreach.keeping import NOTHING, due_items, journal_summaries, last_contact, next_due
from outreach.workspace import Workspace


@dataclass(frozen=True)
class PersonRow:
    contact: Contact
    asks: int
    gives: int
    last_contact: date | None
    next_due: date | None


def people_overview(workspace: Workspace, as_of: date | None = None) -> list[PersonRow]:
    contacts = workspace.load_contacts()
    summaries = journal_summaries(workspace)
    first_due = next_due(due_items(contacts, summaries, as_of or date.today()))
    rows = []
    for contact in contacts:
        summary = summaries.get(contact.id, NOTHING)
        rows.append(
            PersonRow(
                contact,
                summary.asks,
                summary.gives,
                last_contact(contact, summary),
                first_due.get(contact.id),
            )
        )
    return rows
