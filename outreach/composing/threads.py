"""Threads: the earlier message a `thread: true` draft answers, as templates reach it.

The latest message sent to a person comes from the journal; its text and its own
References from its file in sent/. A reply carries In-Reply-To (that message's id) and
References (its References, then its id), which is what mail programs thread on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from outreach.journal.database import Journal

# Any run of reply prefixes ("Re: RE: Re[2]:"), which a reply's subject collapses into one.
_REPLY_PREFIXES = re.compile(r"^(?:\s*re(?:\[\d+\])?\s*:)+\s*", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"\bwrote:\s*$")


@dataclass(frozen=True)
class Thread:
    """The message a reply answers."""

    subject: str
    sent_on: date
    message_id: str
    quote: str  # its text as it went, without the quote it carried itself
    references: tuple[str, ...]  # its own References header, oldest first

    def template_fields(self) -> dict[str, object]:
        """What templates reach as `thread`."""
        return {
            "subject": self.subject,
            "sent_on": self.sent_on,
            "message_id": self.message_id,
            "quote": self.quote,
        }

    @property
    def reply_references(self) -> list[str]:
        """The References of a reply to it: its own, then its id."""
        chain = [ref for ref in self.references if ref != self.message_id]
        return [*chain, self.message_id]


def reply_subject(subject: str) -> str:
    """The subject with a stack of reply prefixes made one: 'Re: Re: Hello' is 'Re: Hello'."""
    match = _REPLY_PREFIXES.match(subject)
    if match is None or match.group().lower().count("re") < 2:
        return subject
    return "Re: " + subject[match.end() :]


def without_quote(body: str) -> str:
    """A message's own words: its quoted lines ('> ') and their 'On ... wrote:' line left out."""
    lines = body.splitlines()
    kept: list[str] = []
    for number, line in enumerate(lines):
        if line.startswith(">"):
            continue
        if _ATTRIBUTION.search(line) and _quote_follows(lines, number + 1):
            continue
        kept.append(line)
    text = "\n".join(kept).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text) + "\n" if text else ""


def _quote_follows(lines: list[str], start: int) -> bool:
    for line in lines[start:]:
        if line.strip():
            return line.startswith(">")
    return False


def earlier_messages(
    journal: Journal | None, sent_dir: Path, people: Iterable[str]
) -> dict[str, Thread]:
    """For each of PEOPLE (ids) sent a message before, the latest one, by person."""
    if journal is None:
        return {}
    wanted = set(people)
    latest: dict[str, tuple[str, str | None, date]] = {}
    for entry in journal.entries():  # in the order they happened: the last one wins
        if entry.kind == "sent" and entry.message_id and entry.person in wanted:
            latest[entry.person] = (entry.message_id, entry.subject, entry.day)
    if not latest:
        return {}
    files = _sent_files(sent_dir, set(latest))
    threads = {}
    for person, (message_id, subject, day) in latest.items():
        filed = _filed(files.get(person, ()), message_id)
        threads[person] = Thread(
            subject=(filed.get("subject") if filed else None) or subject or "",
            sent_on=day,
            message_id=message_id,
            quote=without_quote(filed.get("", "")) if filed else "",
            references=tuple(filed.get("references", "").split()) if filed else (),
        )
    return threads


def _sent_files(sent_dir: Path, people: set[str]) -> dict[str, list[Path]]:
    """The files of sent/ (YYYY-MM-DD--PERSON--TEMPLATE[--N].md) by person, newest first."""
    try:
        names = sorted((entry.name for entry in os.scandir(sent_dir)), reverse=True)
    except FileNotFoundError:
        return {}
    found: dict[str, list[Path]] = {}
    for name in names:
        parts = name.split("--")
        if len(parts) >= 3 and name.endswith(".md") and parts[1] in people:
            found.setdefault(parts[1], []).append(sent_dir / name)
    return found


def _filed(paths: Iterable[Path], message_id: str) -> Mapping[str, str] | None:
    """The front matter of the sent file of MESSAGE_ID, and its body under the key ''."""
    from outreach.drafts.draft import read_draft

    for path in paths:
        draft = read_draft(path)
        if draft.get("message_id") == message_id:
            return {**draft.headers, "": draft.body}
    return None
