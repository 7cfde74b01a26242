"""An export's people: as the export has them (`Card`), then checked (`Person`) or `Skipped`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from outreach.support.errors import Problem, at


@dataclass(frozen=True)
class Card:
    """One person as the export has them, before anything is checked."""

    line: int
    name: str = ""  # the best personal name the export gives ("" when none)
    other_names: tuple[str, ...] = ()  # the card's other FN lines (language variants)
    given: str = ""  # the given name, where the export keeps it apart
    emails: tuple[str, ...] = ()  # preferred first
    notes: str = ""
    tags: tuple[str, ...] = ()
    company: str = ""


@dataclass(frozen=True)
class Person:
    """One person to add: a name, checked addresses (preferred first), and the rest."""

    name: str
    line: int
    emails: tuple[str, ...] = ()
    first_name: str | None = None  # only where it is not the first word of name
    notes: str | None = None
    tags: tuple[str, ...] = ()
    company: str | None = None
    other_names: tuple[str, ...] = ()

    @property
    def email(self) -> str | None:
        return self.emails[0] if self.emails else None


@dataclass(frozen=True)
class Skipped:
    where: str  # "iphone.vcf:30"
    name: str
    reason: str


def looks_like_address(text: str) -> bool:
    """'ada@example.org' (or 'mailto:ada@example.org'): one @, a dot after it, no spaces."""
    return _ADDRESS.fullmatch(text.strip()) is not None


_ADDRESS = re.compile(r"(?i:mailto:)?[^@\s<>(),;]+@[^@\s<>(),;]+\.[^@\s<>(),;]+")


def join_name(parts: Iterable[str]) -> str:
    """Name parts joined by spaces, or without them where every part is CJK ('陈静')."""
    words = [" ".join(part.split()) for part in parts if part and part.strip()]
    if len(words) > 1 and all(_is_cjk(word) for word in words):
        return "".join(words)
    return " ".join(words)


def _is_cjk(text: str) -> bool:
    scripts = ("CJK", "HANGUL", "HIRAGANA", "KATAKANA")
    return all(unicodedata.name(ch, "").startswith(scripts) for ch in text)


def to_person(card: Card, filename: str) -> tuple[Person | Skipped, list[Problem]]:
    """A checked person (invalid addresses left out, with a notice), or why they are skipped."""
    from outreach.people.addresses import check_address

    where = at(filename, card.line)
    notices: list[Problem] = []
    emails: list[str] = []
    for raw in card.emails:
        address, reason = check_address(raw.strip())
        if reason:
            notices.append(Problem(where, f"{reason}; the address is left out", "warning"))
        elif address.lower() not in (e.lower() for e in emails):
            emails.append(address)
    name, company = _one_line(card.name), _one_line(card.company)
    if not name and not emails:
        return Skipped(where, company or "(no name)", "no name and no email address"), notices
    if looks_like_address(name):
        notices.append(
            Problem(
                where,
                f"the name is an email address ({name}); write their name in contacts.yaml",
                "warning",
            )
        )
    elif not name and not company:
        notices.append(
            Problem(
                where,
                f"no name: the address {emails[0]} is used as the name; write "
                "their name in contacts.yaml",
                "warning",
            )
        )
    name = name or company or emails[0]
    given = _one_line(card.given)
    person = Person(
        name=name,
        line=card.line,
        emails=tuple(emails),
        first_name=given if given in name.split()[1:] else None,  # "Dr. John Doe" -> John
        notes=_clean_text(card.notes) or None,
        tags=tuple(dict.fromkeys(tag for tag in map(tag_word, card.tags) if tag)),
        company=company or None,
        other_names=tuple(dict.fromkeys(o for o in map(_one_line, card.other_names) if o)),
    )
    return person, notices


def tag_word(label: str) -> str:
    """A label as a tag: lowercase, words joined by hyphens ('Close Friends' -> close-friends)."""
    return "-".join(_one_line(label).lower().split())


def _one_line(text: str) -> str:
    return " ".join(_clean_text(text).split())


def _clean_text(text: str) -> str:
    """Line breaks as \\n, other control characters dropped, outer whitespace trimmed."""
    text = re.sub(r"\r\n|[\r\u2028\u2029]", "\n", text)
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf")
    ).strip()
