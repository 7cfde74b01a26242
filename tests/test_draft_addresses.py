"""A draft's `to` line is read exactly as the standard library's parseaddr reads it."""

from __future__ import annotations

import csv
from email.utils import parseaddr
from pathlib import Path

import pytest

from outreach.drafts.draft import Draft, format_address
from tests.helpers import FIXTURES

TRICKY = [
    "Ada Lovelace <ada@example.org>",
    "Ada  Lovelace <ada@example.org>",
    "Ada\tLovelace <ada@example.org>",
    "Ada <ada@example.org>",
    "José Núñez <josé@bücher.example>",
    "王芳 <wang.fang@example.org>",
    "Seán O'Brien <sean.o-brien+work@example.org>",
    "Ada\u00a0Lovelace <ada@example.org>",  # a no-break space is part of a word
    "Grace M. Hopper <grace@example.org>",
    '"Hopper, Grace" <grace@example.org>',
    "Ada Lovelace (the countess) <ada@example.org>",
    "Ada Lovelace <ada @ example.org>",
    "Ada Lovelace <ada(home)@example.org>",
    "Ada Lovelace <a..b@example.org>",
    "Ada Lovelace <ada@example.org> trailing",
    "Ada Lovelace<ada@example.org>",
    "ada@example.org",
    "<ada@example.org>",
    "Ada Lovelace <ada@[192.0.2.1]>",
    "Ada Lovelace <ada@example@org>",
    "Ada Lovelace <>",
]


def people_in_fixtures() -> list[str]:
    text = (FIXTURES / "google-contacts.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(keepends=True))
    names = [
        (" ".join(filter(None, (r["First Name"], r["Middle Name"], r["Last Name"]))), email)
        for r in rows
        for email in (r["E-mail 1 - Value"], r["E-mail 2 - Value"])
        if email
    ]
    return [format_address(name, email) for name, email in names]


@pytest.mark.parametrize("to", TRICKY + people_in_fixtures())
def test_the_to_line_is_read_as_parseaddr_reads_it(to: str) -> None:
    draft = Draft(Path("drafts/x--request.md"), {"to": to}, "")
    assert (draft.display_name, draft.address) == parseaddr(to)
