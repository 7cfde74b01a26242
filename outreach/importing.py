"""`outreach import`: people from a vCard or CSV export, appended to contacts.yaml.

Reading and deciding are plain functions of values: an export's text becomes `Entry`
values (as exported), then `Person` values (checked), then a plan of who is added and
who is skipped, then the new text of contacts.yaml. Only `import_people` touches files.

vCards are read by vobject (versions 2.1, 3.0 and 4.0); a first pass of our own finds
the cards and names the line of anything malformed, since vobject's line numbers are
not reliable. CSV files are read by the csv module, by their header's column names
(Google Contacts, Outlook, Thunderbird, or a plain `name,email`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from outreach.contacts import Contact, parse_contacts, slug
from outreach.errors import OutreachError, Problem, at

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

VCARD_SUFFIXES = (".vcf", ".vcard")
WANTED = frozenset(("VERSION", "FN", "N", "NICKNAME", "EMAIL", "NOTE", "CATEGORIES", "ORG"))
OTHER_EMAILS = "other_emails"
COMPANY = "company"


@dataclass(frozen=True)
class Entry:
    """One person as the export has them, before anything is checked."""

    line: int
    name: str = ""  # the best personal name the export gives ("" when none)
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

    @property
    def email(self) -> str | None:
        return self.emails[0] if self.emails else None


@dataclass(frozen=True)
class Added:
    person: Person
    id: str
    explicit_id: bool = False  # the slug of the name was taken: `id:` is written


@dataclass(frozen=True)
class Skipped:
    where: str  # "iphone.vcf:30"
    name: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    added: tuple[Added, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[Problem, ...] = ()  # warnings: the addresses left out


# --- the whole command -----------------------------------------------------------------


def import_people(contacts_file: Path, source: Path, *, dry_run: bool = False) -> ImportReport:
    """Append the people of SOURCE to contacts_file; nothing is written on any error."""
    from outreach.files import atomic_write, read_text

    entries = read_entries(source)
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
    notices: list[Problem] = []
    for entry in entries:
        person, found = to_person(entry, source.name)
        notices.extend(found)
        if isinstance(person, Person):
            people.append(person)
        else:
            skipped.append(person)
    added, duplicates = plan_import(people, existing, source.name)
    report = ImportReport(tuple(added), tuple(skipped + duplicates), tuple(notices))
    if added:
        text = contacts_text(original, existing, added, contacts_file.name)
        if not dry_run:
            atomic_write(contacts_file, text)
    return report


# --- reading an export -------------------------------------------------------------------


def read_entries(source: Path) -> list[Entry]:
    """The people of a vCard or CSV file; a malformed file is an error naming its line."""
    from outreach.files import read_text

    text = read_text(source)
    if is_vcard(source.name, text):
        return parse_vcards(text, source.name)
    return parse_csv(text, source.name)


def is_vcard(filename: str, text: str) -> bool:
    """A .vcf/.vcard file, a .csv file, or else whatever the first line says."""
    suffix = Path(filename).suffix.lower()
    if suffix in VCARD_SUFFIXES or suffix == ".csv":
        return suffix in VCARD_SUFFIXES
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first.strip().upper().startswith("BEGIN:VCARD")


# --- vCard ---------------------------------------------------------------------------------


def parse_vcards(text: str, filename: str) -> list[Entry]:
    """Every card of a vCard file as an Entry, or an error for each malformed line."""
    cards = split_cards(text, filename)
    entries: list[Entry] = []
    problems: list[Problem] = []
    for line, card_text in cards:
        try:
            entries.append(vcard_entry(card_text, line))
        except Exception as error:  # vobject raises many kinds on odd values
            reason = str(error).strip() or type(error).__name__
            problems.append(Problem(at(filename, line), f"this vCard cannot be read: {reason}"))
    if problems:
        raise OutreachError(*problems)
    return entries


def physical_lines(text: str) -> list[str]:
    """The file's lines as an editor numbers them (CRLF, LF or CR)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def logical_lines(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first line, last line, text) of each content line, unfolded as vobject does.

    A line starting with a space or tab continues the one before; a quoted-printable
    value ending in `=` (a soft line break) continues on the next line.
    """
    result: list[tuple[int, int, str]] = []
    quoted_printable = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            quoted_printable = False
            continue
        if result and (quoted_printable or line[0] in " \t"):
            first, _, so_far = result[-1]
            joined = f"{so_far}\n{line}" if quoted_printable else so_far + line[1:]
            result[-1] = (first, number, joined)
        else:
            result.append((number, number, line))
        content = result[-1][2]
        quoted_printable = content.endswith("=") and "quoted-printable" in content.lower()
    return result


def split_cards(text: str, filename: str) -> list[tuple[int, str]]:
    """(line of BEGIN:VCARD, the card's text) for each card; malformed lines are errors.

    A card's text keeps only the properties import reads (`WANTED`): a photo is never
    decoded, and an odd value in a field that is not imported does not stop the import.
    """
    from vobject.base import ParseError, parseLine

    lines = physical_lines(text)
    cards: list[tuple[int, str]] = []
    problems: list[Problem] = []
    stack: list[tuple[str, int]] = []  # open components: (name, line)
    kept: list[str] = []  # the current card's wanted lines
    for first, last, content in logical_lines(lines):
        try:
            name, _params, value, _group = parseLine(content)
        except ParseError:
            problems.append(
                Problem(at(filename, first), f"not a vCard line (NAME:value): {_shorten(content)}")
            )
            continue
        name, value = name.upper(), value.strip().upper()
        if name == "BEGIN":
            if not stack:
                kept = []
                if value != "VCARD":
                    problems.append(
                        Problem(at(filename, first), f"BEGIN:VCARD expected, not BEGIN:{value}")
                    )
            stack.append((value, first))
        elif name == "END":
            if not stack:
                problems.append(Problem(at(filename, first), f"END:{value} without a BEGIN"))
            elif stack[-1][0] != value:
                open_name, open_line = stack[-1]
                problems.append(
                    Problem(
                        at(filename, first),
                        f"END:{value} where BEGIN:{open_name} (line {open_line}) is still open",
                    )
                )
            else:
                _, begin = stack.pop()
                if not stack:
                    cards.append((begin, "\n".join(["BEGIN:VCARD", *kept, "END:VCARD"])))
        elif not stack:
            problems.append(
                Problem(
                    at(filename, first),
                    f"outside any BEGIN:VCARD ... END:VCARD: {_shorten(content)}",
                )
            )
        elif len(stack) == 1 and name in WANTED:
            kept.extend(lines[first - 1 : last])
    if stack:
        open_name, open_line = stack[0]
        problems.append(Problem(at(filename, open_line), f"BEGIN:{open_name} is never ended"))
    if problems:
        more = (
            [Problem(at(filename), f"and {len(problems) - 20} more")] if len(problems) > 20 else []
        )
        raise OutreachError(*problems[:20], *more)
    if not cards:
        raise OutreachError(Problem(at(filename, 1), "no vCard in this file (no BEGIN:VCARD)"))
    return cards


def vcard_entry(card_text: str, line: int) -> Entry:
    """One card read by vobject (quoted-printable allowed, as vCard 2.1 writes it)."""
    import vobject

    card = vobject.readOne(card_text, allowQP=True)
    contents: dict[str, list[Any]] = card.contents
    name = _text(_values(contents, "fn"))
    given = ""
    for n in contents.get("n", []):
        parts = [_text(getattr(n.value, key, "")) for key in ("given", "additional", "family")]
        given = given or parts[0]
        name = name or join_name(parts)
    name = name or _text(_values(contents, "nickname"))
    emails = sorted(contents.get("email", []), key=email_rank)  # stable: file order kept
    notes = "\n\n".join(text for text in (_text(v) for v in _values(contents, "note")) if text)
    tags = [tag for value in _values(contents, "categories") for tag in _items(value)]
    orgs = _values(contents, "org")
    return Entry(
        line=line,
        name=name,
        given=given,
        emails=tuple(_strip_mailto(_text(e.value)) for e in emails if _text(e.value)),
        notes=notes,
        tags=tuple(tags),
        company=_text(_items(orgs[0])[:1]) if orgs else "",
    )


def email_rank(line: Any) -> int:
    """1 for a preferred address (PREF=1, TYPE=pref, bare PREF), up to 100; 101 for none."""
    params = {str(key).upper(): value for key, value in line.params.items()}
    for value in params.get("PREF", []):
        try:
            return min(max(int(value), 1), 100)
        except ValueError:
            return 1
    types = {t.strip().lower() for value in params.get("TYPE", []) for t in str(value).split(",")}
    singles = {str(value).lower() for value in getattr(line, "singletonparams", [])}
    return 1 if "pref" in types | singles else 101


def _values(contents: dict[str, list[Any]], key: str) -> list[Any]:
    return [line.value for line in contents.get(key, [])]


def _items(value: Any) -> list[str]:
    """A list value (CATEGORIES, ORG) as its texts."""
    if isinstance(value, list | tuple):
        return [text for item in value if (text := _text(item))]
    return [text for part in str(value).split(",") if (text := part.strip())]


def _text(value: Any) -> str:
    """A value as text: lists joined by spaces, binary values (photos) dropped."""
    if isinstance(value, list | tuple):
        return " ".join(text for item in value if (text := _text(item)))
    if isinstance(value, bytes):
        return ""
    return str(value).strip()


def _strip_mailto(address: str) -> str:
    return address[7:] if address.lower().startswith("mailto:") else address


def _shorten(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# --- CSV ------------------------------------------------------------------------------------

_NAME = {"name", "full name", "display name", "formatted name", "fn"}
_GIVEN = {"first name", "given name"}
_MIDDLE = {"middle name", "additional name"}
_FAMILY = {"last name", "family name", "surname"}
_NICKNAME = {"nickname"}
_NOTES = {"notes", "note"}
_LABELS = {"labels", "group membership", "categories", "tags", "groups"}
_COMPANY = {"organization name", "organization 1 - name", "company", "organization"}
_EMAIL = re.compile(r"(?:email(?: \d+)?(?: address| - value)?|(?:primary|secondary) email)")
_EMAIL_LABEL = re.compile(r"email (\d+) - (?:label|type)")
_EMAIL_NUMBER = re.compile(r"email (\d+)")
_SEPARATOR = re.compile(r"\s*:::\s*")


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


def header_key(title: str) -> str:
    """'E-mail 2 Address ' -> 'email 2 address'."""
    return re.sub(r"\s+", " ", title.strip().lower()).replace("e-mail", "email")


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


def parse_csv(text: str, filename: str) -> list[Entry]:
    """Every row of a CSV export with a header row; separated by commas, semicolons or tabs."""
    import csv
    import io

    if not text.strip():
        raise OutreachError(Problem(at(filename, 1), "the file is empty"))
    delimiter, columns = _sniff_header(text)
    if columns is None:
        raise OutreachError(
            Problem(
                at(filename, 1),
                "no name or email column in the first line; name the columns, as in "
                "'name,email' (Google Contacts and Outlook exports do)",
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    entries: list[Entry] = []
    try:
        next(reader)
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                entries.append(csv_entry(row, columns, start))
            start = reader.line_num + 1
    except csv.Error as error:
        raise OutreachError(
            Problem(at(filename, reader.line_num), f"not valid CSV: {error}")
        ) from None
    return entries


def _sniff_header(text: str) -> tuple[str, Columns | None]:
    import csv
    import io

    for delimiter in (",", ";", "\t"):
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        columns = find_columns(header)
        if columns.usable:
            return delimiter, columns
    return ",", None


def csv_entry(row: Sequence[str], columns: Columns, line: int) -> Entry:
    def cell(index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""

    given = cell(columns.given)
    name = " ".join(cell(columns.name).split()) or join_name(
        [given, cell(columns.middle), cell(columns.family)]
    )
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
    return Entry(
        line=line,
        name=name or cell(columns.nickname),
        given=given,
        emails=tuple(preferred + others),
        notes=cell(columns.notes),
        tags=tuple(labels),
        company=cell(columns.company),
    )


# --- from an entry to a person ------------------------------------------------------------


def join_name(parts: Iterable[str]) -> str:
    """Name parts joined by spaces, or without them where every part is CJK ('陈静')."""
    words = [" ".join(part.split()) for part in parts if part and part.strip()]
    if len(words) > 1 and all(_is_cjk(word) for word in words):
        return "".join(words)
    return " ".join(words)


def _is_cjk(text: str) -> bool:
    scripts = ("CJK", "HANGUL", "HIRAGANA", "KATAKANA")
    return all(unicodedata.name(ch, "").startswith(scripts) for ch in text)


def to_person(entry: Entry, filename: str) -> tuple[Person | Skipped, list[Problem]]:
    """A checked person (invalid addresses left out, with a notice), or why they are skipped."""
    from outreach.addresses import check_address

    where = at(filename, entry.line)
    notices: list[Problem] = []
    emails: list[str] = []
    for raw in entry.emails:
        address, reason = check_address(raw.strip())
        if reason:
            notices.append(Problem(where, f"{reason}; the address is left out", "warning"))
        elif address.lower() not in (e.lower() for e in emails):
            emails.append(address)
    name = _one_line(entry.name) or _one_line(entry.company) or (emails[0] if emails else "")
    if not _one_line(entry.name) and not emails:
        label = _one_line(entry.company) or "(no name)"
        return Skipped(where, label, "no name and no email address"), notices
    given = _one_line(entry.given)
    first_name = given if given in name.split()[1:] else None  # "Dr. John Doe" -> John
    notes = _clean_text(entry.notes)
    return (
        Person(
            name=name,
            line=entry.line,
            emails=tuple(emails),
            first_name=first_name,
            notes=notes or None,
            tags=tuple(dict.fromkeys(tag for tag in map(tag_word, entry.tags) if tag)),
            company=_one_line(entry.company) or None,
        ),
        notices,
    )


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


# --- who is new -------------------------------------------------------------------------


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
    for contact in existing:
        who = f"already in contacts.yaml as {contact.label}"
        for address in _contact_emails(contact):
            by_email.setdefault(address.lower(), who)
        by_name.setdefault(name_key(contact.name), (who, bool(contact.email)))
    taken = {contact.id for contact in existing}
    added: list[Added] = []
    skipped: list[Skipped] = []
    for person in people:
        reason = _duplicate_reason(person, by_email, by_name)
        if reason:
            skipped.append(Skipped(at(filename, person.line), person.name, reason))
            continue
        who = f"the same person as {person.name} on line {person.line}"
        for address in person.emails:
            by_email.setdefault(address.lower(), who)
        by_name.setdefault(name_key(person.name), (who, bool(person.emails)))
        base = slug(person.name)
        new_id, number = base, 1
        while new_id in taken:
            number += 1
            new_id = f"{base}-{number}"
        taken.add(new_id)
        added.append(Added(person, new_id, explicit_id=new_id != base))
    return added, skipped


def _duplicate_reason(
    person: Person, by_email: dict[str, str], by_name: dict[str, tuple[str, bool]]
) -> str | None:
    for address in person.emails:
        if address.lower() in by_email:
            return f"{by_email[address.lower()]}, with the same email {address}"
    if name_key(person.name) in by_name:
        who, has_email = by_name[name_key(person.name)]
        if not person.emails:
            return f"{who}, with the same name and no email to tell them apart"
        if not has_email:
            return f"{who}, who has no email there: add {person.emails[0]} by hand if it is them"
    return None


def _contact_emails(contact: Contact) -> list[str]:
    others = contact.custom.get(OTHER_EMAILS)
    if isinstance(others, str):
        others = [others]
    extra = [str(e) for e in others] if isinstance(others, list) else []
    return ([contact.email] if contact.email else []) + extra


# --- writing contacts.yaml ---------------------------------------------------------------


def contacts_text(
    original: str, existing: Sequence[Contact], added: Sequence[Added], filename: str
) -> str:
    """contacts.yaml's new text, which must read back with everyone as meant."""
    text = append_as_text(original, added, filename)
    if not reads_back(text, existing, added, filename):
        raise OutreachError(
            Problem(
                at(filename),
                "the people could not be appended so that the file reads back as written; "
                "nothing was imported (a bug in outreach: please report it with the file)",
            )
        )
    return text


def append_as_text(text: str, added: Sequence[Added], filename: str) -> str:
    """The file kept byte for byte, the new people written after everyone in it.

    Comments, order, quoting, indentation and line endings stay as the person wrote
    them; the new people are set apart by a blank line where the file's people are.
    An empty `[]` (as `outreach init` writes it) gives way to the people; a file of
    nothing but comments keeps them.
    """
    from outreach import yamlnodes as yn

    newline = "\r\n" if "\r\n" in text else "\n"
    root = yn.compose(text, filename)
    if root is None:
        head = text.rstrip() + newline if text.strip() else ""
        return head + people_yaml(added, 0, newline)
    if not isinstance(root, yn.SequenceNode):  # parse_contacts has refused it already
        raise OutreachError(Problem(at(filename, yn.line_of(root)), "contacts must be a list"))
    start, end, column = root.start_mark.index, root.end_mark.index, root.start_mark.column
    if root.flow_style:
        if root.value or text[start - column : start].strip():
            raise OutreachError(
                Problem(
                    at(filename, yn.line_of(root)),
                    "the people are written as one list in brackets; write each on its own "
                    "'- name: ...' line to import into the file",
                )
            )
        rest = re.sub(r"\A[ \t]*(?:\r\n|\n|\r)?", "", text[end:])  # `[]`'s line break
        return text[: start - column] + people_yaml(added, column, newline) + rest
    lines = text.splitlines()
    second = root.value[1].start_mark.line if len(root.value) > 1 else 0
    blank = "" if second and lines[second - 1].strip() else newline
    head = text[:end] if text[:end].endswith(("\n", "\r")) else text[:end] + newline
    return head + blank + people_yaml(added, column, newline, blank) + text[end:]


def people_yaml(
    added: Sequence[Added], column: int, newline: str = "\n", between: str | None = None
) -> str:
    """The new people as block YAML at `column`, set apart by `between` (a blank line)."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 1 << 30  # never fold a long line
    yaml.indent(mapping=2, sequence=2, offset=0)
    out = io.StringIO()
    yaml.dump([person_mapping(item) for item in added], out)
    margin = " " * column
    dumped = out.getvalue().removesuffix("\n").split("\n")
    text = newline.join(margin + line if line.strip() else line for line in dumped) + newline
    # Each person starts with "- " at the margin; nothing else does (values are indented).
    blocks = re.split(rf"(?m)^(?={re.escape(margin)}- )", text)[1:]
    return (newline if between is None else between).join(blocks)


def person_mapping(item: Added) -> CommentedMap:
    """The person as contacts.yaml writes them: name, email, id, first_name, tags, company..."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    person = item.person
    entry = CommentedMap()
    entry["name"] = yaml11_str(person.name)
    if person.email:
        entry["email"] = person.email
    if item.explicit_id:
        entry["id"] = item.id
    if person.first_name:
        entry["first_name"] = yaml11_str(person.first_name)
    if person.tags:
        tags = CommentedSeq(yaml11_str(tag) for tag in person.tags)
        tags.fa.set_flow_style()
        entry["tags"] = tags
    if person.company:
        entry[COMPANY] = yaml11_str(person.company)
    if len(person.emails) > 1:
        entry[OTHER_EMAILS] = CommentedSeq(person.emails[1:])
    if person.notes:
        entry["notes"] = (
            LiteralScalarString(person.notes)  # `|-`: read back without a final line break
            if "\n" in person.notes
            else yaml11_str(person.notes)
        )
    return entry


def yaml11_str(text: str) -> str:
    """Text that reads back as text under YAML 1.1 too (quoted `yes`, `no`, `1.5`, `~`)."""
    import yaml
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    resolver = yaml.resolver.Resolver()
    tag = resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return text if tag == "tag:yaml.org,2002:str" else SingleQuotedScalarString(text)


def reads_back(
    text: str, existing: Sequence[Contact], added: Sequence[Added], filename: str
) -> bool:
    """Whether the text loads cleanly, everyone before unchanged and the new as meant."""
    try:
        contacts, problems = parse_contacts(text, filename)
    except OutreachError:
        return False
    before = [replace(contact, line=0) for contact in existing]
    after = [replace(contact, line=0) for contact in contacts[: len(existing)]]
    meant = [(a.id, a.person.name, a.person.email, a.person.notes, a.person.tags) for a in added]
    read = [(c.id, c.name, c.email, c.notes, c.tags) for c in contacts[len(existing) :]]
    return not any(p.is_error for p in problems) and before == after and meant == read
