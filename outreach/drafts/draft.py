"""Draft files: one Markdown file per message, front matter read back as plain text.

A draft's front matter is `field: value` lines, read without YAML guessing: a
subject `no` stays "no". Every header is checked again whenever a draft is read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, cast, get_args

from outreach.support.errors import DraftError, Problem
from outreach.support.fields import given_twice
from outreach.support.files import atomic_write
from outreach.support.front_matter import split_plain
from outreach.support.text import (
    ID_PATTERN,
    MAX_NAME_LENGTH,
    TEMPLATE_KINDS,
    escaped,
    header_unsafe,
    printable,
)

# What a draft's status line says; a draft that no longer parses is shown as `broken`.
# `pushed`: put into the account's Drafts folder (drafts push), where `pushed_uid` is its copy.
DraftStatus = Literal["draft", "approved", "failed", "unknown", "pushed"]
DRAFT_STATUSES: tuple[DraftStatus, ...] = get_args(DraftStatus)
ShownStatus = Literal[DraftStatus, "broken"]
REQUIRED = ("to", "subject", "template", "kind", "contact", "status", "message_id")
OPTIONAL = (
    "follow_up_after",
    "reply_to",
    "html",
    "drafted",
    "error",
    "in_reply_to",  # a thread: the Message-ID this message answers
    "references",  # a thread: the earlier References and that Message-ID, space-separated
    "attachments",  # paths relative to the workspace (drafts/attachments.py)
)
PUSHED = ("pushed_folder", "pushed_uid")  # drafts push: the copy's folder, UIDVALIDITY:UID
KNOWN = REQUIRED + OPTIONAL + PUSHED
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
_WORD = r'[^ \t\r\n()<>\[\]:;@\\,."]+'  # an atom as parseaddr reads it: no specials, no space
_PLAIN_NAME_ADDR = re.compile(
    rf"((?:{_WORD}[ \t]+)+)<({_WORD}(?:\.{_WORD})*@{_WORD}(?:\.{_WORD})*)>"
)
_WORDS = re.compile(_WORD)


@dataclass(frozen=True)
class Draft:
    path: Path
    headers: Mapping[str, str]
    body: str
    broken: str | None = None  # why the file no longer parses
    # The file's bytes as they were read: send reads the file again right before a message
    # goes and compares, so that what goes (and what is filed in sent/) is the file as it is.
    data: bytes = field(default=b"", repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.path.name

    def get(self, key: str) -> str:
        return self.headers.get(key, "")

    @property
    def person(self) -> str:
        return self.get("contact") or self.path.name.split("--")[0]

    @property
    def template(self) -> str:
        return self.get("template") or self.path.stem.split("--")[-1]

    @property
    def status(self) -> ShownStatus:
        # A draft that parses has a status of DRAFT_STATUSES: the reader checks it.
        return "broken" if self.broken else cast(DraftStatus, self.get("status"))

    @property
    def message_id(self) -> str:
        return self.get("message_id")

    @property
    def in_reply_to(self) -> str:
        return self.get("in_reply_to")

    @property
    def references(self) -> list[str]:
        return self.get("references").split()

    @property
    def attachments(self) -> list[str]:
        """The paths of the files it carries; none where the field does not read."""
        from outreach.drafts.attachments import parse_list

        try:
            return parse_list(self.get("attachments"))
        except ValueError:
            return []

    @property
    def address(self) -> str:
        return _parse_address(self.get("to"))[1]

    @property
    def display_name(self) -> str:
        return _parse_address(self.get("to"))[0]


@functools.lru_cache(maxsize=4096)
def _parse_address(text: str) -> tuple[str, str]:
    """(display name, address) of a `to` line; parsed once however often it is asked for.

    The form drafts are written in, a name of plain words and then the address in angle
    brackets, is read with one regular expression: parseaddr gives the same answer for it
    at several times the cost, which shows when a send re-checks hundreds of drafts.
    Anything else (quotes, comments, a bare address) goes to parseaddr.
    """
    plain = _PLAIN_NAME_ADDR.fullmatch(text)
    if plain:
        return " ".join(_WORDS.findall(plain[1])), plain[2]
    from email.utils import parseaddr  # 18 ms of import: only where the plain form is not

    return parseaddr(text)


def draft_file_name(person_id: str, template: str) -> str:
    return f"{person_id}--{template}.md"


def format_address(name: str, address: str) -> str:
    """'Ada Lovelace <ada@example.org>', quoting a name that holds special characters."""
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>" if name else address


def render_draft(headers: Mapping[str, str], body: str) -> str:
    lines = [f"{key}: {value}" for key, value in headers.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def front_fields(text: str) -> dict[str, str]:
    """A draft's front matter as written, read in one pass without checking it: each
    `field: value` line up to the first line that starts with `---` after the first (the
    first of a field given twice), each value without the blanks around it."""
    fields: dict[str, str] = {}
    for line in text.split("\n---", 1)[0].split("\n"):
        key, colon, value = line.partition(":")
        if colon and key not in fields:
            fields[key] = value.strip(" \t")
    return fields


def parse_draft(path: Path, text: str, data: bytes = b"") -> Draft:
    """Read a draft back; a file that no longer parses comes back `broken`, with the reason.

    `data`: the file's bytes, kept with the draft."""
    draft = _parsed(path, text)
    return Draft(draft.path, draft.headers, draft.body, draft.broken, data) if data else draft


def _parsed(path: Path, text: str) -> Draft:
    parts = split_plain(text)
    if parts.front is None:
        return Draft(path, {}, text, "the front matter between '---' lines is missing")
    headers: dict[str, str] = {}
    lines: dict[str, int] = {}
    reason: str | None = None  # the first line that is wrong; the fields after it are still read
    for offset, raw in enumerate(parts.front.split("\n")):  # not splitlines: \x0b, \u2028
        number = parts.front_line + offset
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or not key:
            reason = reason or f"line {number}: expected 'field: value', got {line!r}"
        elif key not in KNOWN:
            known = ", ".join(KNOWN)
            reason = reason or f"line {number}: unknown field '{printable(key)}' (known: {known})"
        elif (twice := given_twice(lines, key, number)) is not None:
            reason = reason or f"line {number}: '{key}' {twice}"
        else:
            headers[key] = value.strip()
    if reason is not None:  # the status line, say, is still known: send names such a draft
        return Draft(path, headers, parts.body, reason)
    problem = _header_problem(headers)
    if problem is not None:
        key, reason = problem
        reason = f"line {lines[key]}: {reason}" if key in lines else reason
        return Draft(path, headers, parts.body, reason)
    return Draft(path, headers, parts.body)


def _header_problem(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """The field that is wrong and why, or None."""
    from outreach.people.addresses import check_address
    from outreach.support import durations
    from outreach.workspace.templates import valid_name

    missing = [key for key in REQUIRED if not headers.get(key)]
    if missing:
        return missing[0], f"missing {', '.join(missing)} in the front matter"
    for key, value in headers.items():
        char = header_unsafe(value)
        if char is not None:
            return key, f"'{key}' holds a control character or line separator ({escaped(char)})"
    if len(headers["contact"]) > MAX_NAME_LENGTH or not ID_PATTERN.fullmatch(headers["contact"]):
        return "contact", f"contact must be a person's id, not {headers['contact']!r}"
    if not valid_name(headers["template"]):
        return "template", f"template must be a template's name, not {headers['template']!r}"
    if headers["status"] not in DRAFT_STATUSES:
        statuses = ", ".join(DRAFT_STATUSES)
        return "status", f"status must be one of {statuses}, not '{headers['status']}'"
    if headers["kind"] not in TEMPLATE_KINDS:
        kinds = ", ".join(TEMPLATE_KINDS)
        return "kind", f"kind must be one of {kinds}, not '{headers['kind']}'"
    if not _MESSAGE_ID.fullmatch(headers["message_id"]):
        return "message_id", "message_id must look like <unique@domain>"
    _, address = _parse_address(headers["to"])
    if not address or "@" not in address:
        return "to", f"'to' is not an address: {headers['to']!r}"
    _, reason = check_address(address)
    if reason:
        return "to", f"'to': {reason}"
    if headers.get("reply_to"):
        _, reason = check_address(headers["reply_to"])
        if reason:
            return "reply_to", f"'reply_to': {reason}"
    if headers.get("html", "false") not in ("true", "false"):
        return "html", "html must be true or false"
    follow_up = headers.get("follow_up_after")
    if follow_up and follow_up != "none" and not durations.parse_days(follow_up):
        return "follow_up_after", f"follow_up_after: {durations.HELP}, or none"
    return _thread_problem(headers) or _attachments_problem(headers)


def _thread_problem(headers: Mapping[str, str]) -> tuple[str, str] | None:
    answered = headers.get("in_reply_to")
    if answered and not _MESSAGE_ID.fullmatch(answered):
        return "in_reply_to", "in_reply_to must look like <unique@domain>"
    references = headers.get("references", "").split()
    if not all(_MESSAGE_ID.fullmatch(reference) for reference in references):
        return "references", "references must be message ids like <unique@domain>, space-separated"
    return None


def _attachments_problem(headers: Mapping[str, str]) -> tuple[str, str] | None:
    from outreach.drafts.attachments import parse_list, path_problem

    try:
        paths = parse_list(headers.get("attachments", ""))
    except ValueError as error:
        return "attachments", str(error)
    for path in paths:
        problem = path_problem(path)
        if problem is not None:
            return "attachments", f"attachment '{path}': {problem}"
    return None


def read_draft(path: Path) -> Draft:
    from outreach.support.files import read_bytes

    try:
        data = read_bytes(path)
    except Exception as error:  # an unreadable file is a broken draft
        return Draft(path, {}, "", str(error))
    return draft_from_bytes(path, data)


def draft_from_bytes(path: Path, data: bytes) -> Draft:
    """The draft a file's bytes hold; `broken` where they are not UTF-8 or do not parse."""
    from outreach.support.files import decode_text

    try:
        return parse_draft(path, decode_text(path, data), data)
    except DraftError:
        raise
    except Exception as error:
        return Draft(path, {}, "", str(error), data)


def list_drafts(drafts_dir: Path) -> list[Draft]:
    if not drafts_dir.is_dir():
        return []
    return [read_draft(path) for path in sorted(drafts_dir.glob("*.md"))]


def require_sound(draft: Draft) -> Draft:
    if draft.broken:
        raise DraftError(Problem(f"drafts/{draft.name}", draft.broken))
    return draft


def with_headers(draft: Draft, **changes: str | None) -> Draft:
    headers = dict(draft.headers)
    for key, value in changes.items():
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = " ".join(value.split())  # header values never carry line breaks
    return Draft(draft.path, headers, draft.body, draft.broken)


def save(draft: Draft) -> Draft:
    """Write the draft; the draft as written, its bytes with it."""
    data = render_draft(draft.headers, draft.body).encode("utf-8")
    atomic_write(draft.path, data)
    return Draft(draft.path, draft.headers, draft.body, draft.broken, data)


def set_status(draft: Draft, status: DraftStatus, error: str | None = None) -> Draft:
    """The draft with a new status line (and `error`, made one printable line), written."""
    if error is not None:
        error = printable(error)
    return save(with_headers(draft, status=status, error=error))


def select_drafts(drafts: Iterable[Draft], wanted: str, person_ids: set[str]) -> list[Draft]:
    """Drafts named by a path or file name, or all the drafts of a person."""
    drafts = list(drafts)
    name = Path(wanted).name
    for candidate in (name, f"{name}.md"):
        matched = [d for d in drafts if d.name == candidate]
        if matched:
            return matched
    if wanted in person_ids:
        return [d for d in drafts if d.person == wanted]
    return []


def sent_name(day: date, draft: Draft, taken: set[str]) -> str:
    """YYYY-MM-DD--PERSON--TEMPLATE.md, with --2, --3 ... where the name is taken."""
    stem = f"{day.isoformat()}--{draft.person}--{draft.template}"
    name = f"{stem}.md"
    number = 2
    while name in taken:
        name = f"{stem}--{number}.md"
        number += 1
    return name
