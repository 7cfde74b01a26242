"""The people at a glance: their lists, what was asked and given, when next to reach out."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from outreach.journal.summary import NOTHING
from outreach.keeping.readers import journal_summaries
from outreach.keeping.rules import bounced_on, last_contact, person_dues
from outreach.people.contact import Contact
from outreach.workspace.folder import Workspace


class PersonRow(NamedTuple):
    contact: Contact
    asks: int
    gives: int
    last_contact: date | None
    next_due: date | None
    bounced: date | None = None  # the day their address bounced (see rules.bounced_on)


def people_overview(workspace: Workspace, as_of: date | None = None) -> list[PersonRow]:
    """Every person with asks, gives, last contact and the earliest due date (past or future)."""
    from outreach.journal.database import existing_journal

    today = as_of or date.today()
    with existing_journal(workspace.journal_file) as journal:
        summaries = journal_summaries(journal)
    rows = []
    for contact in workspace.load_contacts():
        summary = summaries.get(contact.id, NOTHING)
        dues = person_dues(contact, summary, today)
        rows.append(
            PersonRow(
                contact,
                summary.asks,
                summary.gives,
                last_contact(contact, summary),
                min(due for _, due in dues) if dues else None,
                bounced_on(summary),
            )
        )
    return rows
