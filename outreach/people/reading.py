"""contacts.yaml: the people you know, loaded into checked, typed values.

Every command reads the contacts, so the validated list is cached in
`.outreach/` keyed on the file's bytes: only a changed file is parsed again.
"""

from __future__ import annotations

import gc
import re
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from outreach.people.contact import BOOLEAN_FIELDS, Contact, slug
from outreach.support.errors import OutreachError, Problem, at, raise_if_errors
from outreach.support.fields import given_twice
from outreach.support.text import (
    ID_PATTERN,
    LINE_BREAKS,
    MAX_NAME_LENGTH,
    escaped,
    has_line_break,
    header_unsafe,
)

CHANNELS = ("phone", "video", "coffee", "meal", "email")
TEXT_FIELDS = ("name", "email", "first_name", "id", "how_we_know", "channel", "notes")
KNOWN_FIELDS = frozenset((*TEXT_FIELDS, *BOOLEAN_FIELDS, "keep_in_touch", "last_contact", "tags"))
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
FIRST_YEAR, LAST_YEAR = 1900, 2999  # room for any real date, and for dates due after it

try:  # the built-in module: hashlib would load OpenSSL's first (3 ms of every command)
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b as _blake2b


def first_word(name: str) -> str:
    return name.split()[0] if name.split() else name


def _header_problem(text: str) -> str | None:
    """Why a field that can reach a mail header cannot hold text, or None: a line break or a
    control character inside it (the set the draft reader refuses, so what this accepts
    drafts). Blanks around it are fine: they are stripped."""
    char = header_unsafe(text.strip())
    if char is None:
        return None
    if char in LINE_BREAKS:
        return "must be one line: it can reach mail headers"
    return f"holds the control character {escaped(char)}: it can reach mail headers"


# --- loading -----------------------------------------------------------------


def load_contacts(path: Path, cache_dir: Path | None = None) -> list[Contact]:
    """The people of contacts.yaml, checked; raises with every error at once."""
    contacts, problems = read_contacts(path, cache_dir)
    raise_if_errors(problems)
    return contacts


def read_contacts(path: Path, cache_dir: Path | None = None) -> tuple[list[Contact], list[Problem]]:
    """The people and the problems found in them (nothing is cached while there are errors)."""
    from outreach.people.cache import read_cache, write_cache
    from outreach.support.files import check_utf8

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise OutreachError(Problem(at(path), "file not found")) from None
    key = _blake2b(data, digest_size=16).hexdigest()
    cache_file = cache_dir / "contacts.json" if cache_dir else None
    if cache_file is not None:
        cached = read_cache(cache_file, key)
        if cached is not None:
            return cached, []
    check_utf8(path, data)
    # The bytes go to the parser as they are: their text, and libyaml's UTF-8 copy of it,
    # would take three times their memory beside the people while the file is parsed.
    contacts, problems = parse_contacts(data, path.name)
    del data
    if cache_file is not None and not any(p.is_error for p in problems):
        write_cache(cache_file, key, contacts)
    return contacts, problems


def parse_contacts(
    text: str | bytes, filename: str = "contacts.yaml"
) -> tuple[list[Contact], list[Problem]]:
    """Turn the text of contacts.yaml (or its bytes, UTF-8) into people, collecting every
    problem."""
    import outreach.support.yamlnodes as yn

    # Hundreds of thousands of small objects and no cycles among them: the cycle collector
    # would walk them again and again for nothing (half the time of a big file).
    collecting = gc.isenabled()
    gc.disable()
    try:
        root, entries = yn.compose_list(text, filename)
        if root is None:
            return [], []
        if not isinstance(root, yn.SequenceNode):
            return [], [
                Problem(
                    at(filename, yn.line_of(root)),
                    f"contacts must be a list of people (each starting with '- name:'), "
                    f"not {yn.kind_of(root)}",
                )
            ]
        problems: list[Problem] = []
        seen = _Seen(filename)
        shared: dict[Any, Any] = {}
        contacts = [
            contact
            for node in entries
            if (contact := _parse_person(node, filename, problems, seen, shared)) is not None
        ]
        return contacts, problems
    finally:
        if collecting:
            gc.enable()


def _parse_person(
    node: Any, filename: str, problems: list[Problem], seen: _Seen, shared: dict[Any, Any]
) -> Contact | None:
    import outreach.support.yamlnodes as yn

    start = yn.line_of(node)
    if not isinstance(node, yn.MappingNode):
        problems.append(
            Problem(
                at(filename, start),
                f"each person must be a mapping of fields (name: ..., email: ...), "
                f"not {yn.kind_of(node)}",
            )
        )
        return None
    person = _Person(filename, start, _who(node))
    for key_node, value_node in node.value:
        person.read(key_node, value_node)
    # Every field is checked even where the name is missing: every problem at once.
    person.check_one_line()
    person.check_fields()
    keep_days = person.keep_in_touch_days()
    last_contact = person.last_contact()
    name = person.values.get("name")
    person_id = person.values.get("id") or (slug(name) if name else None)
    person.problems.extend(
        seen.clashes(
            name or f"the person on line {start}",
            start,
            person_id,
            person.values.get("email"),
            id_written="id" in person.values,
        )
    )
    problems.extend(person.problems)
    if person.problems or not name:
        return None
    return person.contact(name, person_id or slug(name), keep_days, last_contact, shared)


def _who(node: Any) -> str:
    """' (Ada Lovelace)', to name the person in each of their problems; empty without a name."""
    import outreach.support.yamlnodes as yn

    name_node = next((v for k, v in node.value if k.value == "name"), None)
    name_text = yn.scalar_text(name_node) if name_node is not None else None
    return f" ({name_text.strip()})" if name_text and not has_line_break(name_text.strip()) else ""


class _Person:
    """One entry of contacts.yaml as it is read: its values with their lines, and what is
    wrong with them, each problem naming the person."""

    def __init__(self, filename: str, start: int, who: str) -> None:
        self.filename = filename
        self.start = start
        self.who = who
        self.values: dict[str, Any] = {}
        self.custom: dict[str, Any] = {}
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(at(self.filename, line), message + self.who))

    def read(self, key_node: Any, value_node: Any) -> None:
        """One field: its name checked, given once, its value read by its kind."""
        # `import a.b.c as x` rather than `from a.b import c`: the latter goes through
        # importlib's Python fromlist handling at every call (once a field: 4% of parsing).
        import outreach.support.yamlnodes as yn

        # yn.line_of, scalar_text, is_null and given_twice written out for the usual field
        # (a text key given once): four calls a field, 3% of parsing (92 M instructions for
        # 5,000 people).
        line = value_node.start_mark.line + 1
        if key_node.tag != yn.STR or not isinstance(key_node, yn.ScalarNode):
            self.problem(
                yn.line_of(key_node), f"field names must be text, not {yn.kind_of(key_node)}"
            )
            return
        key = str(key_node.value)
        lines = self.lines
        if key in lines:
            self.problem(yn.line_of(key_node), f"'{key}' {given_twice(lines, key, line)}")
            return
        lines[key] = line
        if value_node.tag == yn.NULL and isinstance(value_node, yn.ScalarNode):
            if key == "name":
                self.problem(line, "'name' is empty")
            # an empty optional field is as good as a missing one
        elif key in BOOLEAN_FIELDS:
            flag = yn.boolean(value_node)
            if isinstance(flag, str):
                self.problem(line, f"'{key}' {flag}")
            else:
                self.values[key] = flag
        elif key == "tags":
            tags = _tags(value_node)
            if tags is None:
                self.problem(line, "'tags' must be a list of words, such as [music, alumni]")
            else:
                self.values[key] = tags
        elif key in KNOWN_FIELDS:
            text = yn.scalar_text(value_node)
            if text is None or not isinstance(value_node, yn.ScalarNode):
                self.problem(line, f"'{key}' must be text, not {yn.kind_of(value_node)}")
            else:
                self.values[key] = text
        else:
            self.read_custom(key, value_node, line)

    def read_custom(self, key: str, node: Any, line: int) -> None:
        value = _custom_value(node)
        if isinstance(value, _Bad):
            self.problem(line, f"'{key}' {value.reason}")
            return
        self.custom[key] = value
        if _spans_lines(value):
            self.problem(line, f"'{key}' must be one line: custom fields can reach mail headers")

    def check_one_line(self) -> None:
        """Text that can reach a mail header is one line; every text is stripped."""
        for key, value in list(self.values.items()):
            if isinstance(value, str):
                if key != "notes":  # notes may run over lines, and reach no header
                    reason = _header_problem(value)
                    if reason is not None:
                        self.problem(self.lines[key], f"'{key}' {reason}")
                        del self.values[key]  # one problem per field is enough
                        continue
                self.values[key] = value.strip()

    def check_fields(self) -> None:
        """The name is there, the email is an address, the id and the channel are ones
        outreach can use."""
        from outreach.people.addresses import check_address

        values, lines = self.values, self.lines
        if "name" not in lines:
            self.problem(self.start, "a person needs a 'name' (name: ...)")
        elif values.get("name") == "":
            self.problem(lines["name"], "'name' is empty")
        if "email" in values:
            normalized, reason = check_address(values["email"])
            if reason:
                self.problem(lines["email"], reason)
            values["email"] = normalized
        if "id" in values and len(values["id"]) > MAX_NAME_LENGTH:
            self.problem(
                lines["id"],
                f"'id' is {len(values['id'])} characters long: an id is at most "
                f"{MAX_NAME_LENGTH}, since it names the person's draft files",
            )
        elif "id" in values and not ID_PATTERN.fullmatch(values["id"]):
            self.problem(
                lines["id"],
                f"id '{values['id']}' must be lowercase letters and digits in words joined "
                "by single hyphens, such as ada or jose-nunez",
            )
        if "channel" in values and values["channel"] not in CHANNELS:
            self.problem(
                lines["channel"],
                f"'channel' is '{values['channel']}': it must be one of {', '.join(CHANNELS)}",
            )

    def keep_in_touch_days(self) -> int | None:
        from outreach.support import durations

        written = self.values.get("keep_in_touch")
        if written is None:
            return None
        days = durations.parse_days(written)
        if days is None:
            self.problem(
                self.lines["keep_in_touch"], f"'keep_in_touch' is '{written}': {durations.HELP}"
            )
        elif days == 0:
            self.problem(self.lines["keep_in_touch"], "'keep_in_touch' must be at least 1d")
        return days

    def last_contact(self) -> date | None:
        written = self.values.get("last_contact")
        if written is None:
            return None
        try:
            if not DATE_PATTERN.fullmatch(written):
                raise ValueError(written)
            day = date.fromisoformat(written)
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise ValueError(written)
        except ValueError:
            self.problem(
                self.lines["last_contact"],
                f"'last_contact' is '{written}': it must be a real date written "
                f"YYYY-MM-DD, from {FIRST_YEAR} to {LAST_YEAR}",
            )
            return None
        return day

    def contact(
        self,
        name: str,
        person_id: str,
        keep_days: int | None,
        last_contact: date | None,
        shared: dict[Any, Any],
    ) -> Contact:
        """The Contact, its values that people share (how we know them, tags, which fields
        they wrote...) one object for all of them: a tenth of the memory of 100,000 people."""
        values = self.values
        return Contact(
            name=name,
            id=person_id,
            first_name=_one_of(shared, values.get("first_name") or first_word(name)),
            email=values.get("email"),
            how_we_know=_one_of(shared, values.get("how_we_know")),
            like=values.get("like", False),
            can_help=values.get("can_help", False),
            doubts=values.get("doubts", False),
            channel=_one_of(shared, values.get("channel")),
            keep_in_touch=_one_of(shared, values.get("keep_in_touch")),
            keep_in_touch_days=keep_days,
            last_contact=last_contact,
            tags=_one_of(shared, tuple(values.get("tags", ()))),
            notes=_one_of(shared, values.get("notes")),
            custom=_shared_custom(shared, self.custom),
            line=self.start,
            written=_one_of(shared, frozenset(self.lines)),
        )


_NO_CUSTOM: MappingProxyType[str, Any] = MappingProxyType({})


def _one_of(shared: dict[Any, Any], value: Any) -> Any:
    """The one object equal to value kept in `shared` (keyed with its type: 1 == True)."""
    return shared.setdefault((type(value), value), value)


def _shared_custom(shared: dict[Any, Any], custom: dict[str, Any]) -> MappingProxyType[str, Any]:
    """A read-only view of the custom fields, one for all who have the same plain ones."""
    if not custom:
        return _NO_CUSTOM
    try:
        key = (MappingProxyType, tuple((k, type(v), v) for k, v in custom.items()))
        return shared.setdefault(key, MappingProxyType(custom))  # type: ignore[no-any-return]
    except TypeError:  # a list or a mapping among them: not shared
        return MappingProxyType(custom)


class _Bad:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _tags(node: Any) -> list[str] | None:
    import outreach.support.yamlnodes as yn

    if not isinstance(node, yn.SequenceNode):
        return None
    tags = [yn.scalar_text(item) for item in node.value]
    if any(tag is None or _header_problem(tag) for tag in tags):
        return None
    return [str(tag).strip() for tag in tags]


def _custom_value(node: Any) -> Any:
    import outreach.support.yamlnodes as yn

    if isinstance(node, yn.ScalarNode):
        if node.tag == yn.BOOL:
            flag = yn.boolean(node)
            return _Bad(flag) if isinstance(flag, str) else flag
        return yn.plain_value(node)
    if isinstance(node, yn.SequenceNode):
        items = [_custom_value(item) for item in node.value]
        bad = next((item for item in items if isinstance(item, _Bad)), None)
        return bad or items
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        value = _custom_value(value_node)
        if isinstance(value, _Bad):
            return value
        result[str(key_node.value)] = value
    return result


def _spans_lines(value: Any) -> bool:
    """Whether a custom field runs over lines of the file (CR or LF). Not every one of
    LINE_BREAKS: the other separators are caught when rendering, where a value that reaches a
    header is refused and one that stays in the body is fine."""
    if isinstance(value, str):
        return "\n" in value.strip() or "\r" in value
    if isinstance(value, list):
        return any(_spans_lines(item) for item in value)
    if isinstance(value, dict):
        return any(_spans_lines(item) for item in value.values())
    return False


class _Seen:
    """The ids and emails of the people read so far, every entry's, so that a duplicate is
    reported with the entry's other problems."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.by_id: dict[str, tuple[str, int, int]] = {}  # id -> the first to have it
        self.by_email: dict[str, tuple[str, int, int]] = {}
        self.count = 0  # entries seen: two may start on one line (a flow-style list)

    def clashes(
        self, name: str, line: int, person_id: str | None, email: str | None, *, id_written: bool
    ) -> list[Problem]:
        problems = []
        where = at(self.filename, line)
        self.count += 1
        first = (name, line, self.count)
        if person_id is not None:
            other = self.by_id.setdefault(person_id, first)
            if other is not first:
                hint = "" if id_written else "; give one of them an 'id'"
                problems.append(
                    Problem(
                        where,
                        f"{name} has the id '{person_id}' that {other[0]} "
                        f"(line {other[1]}) already has{hint}",
                    )
                )
        if email:
            other = self.by_email.setdefault(email.lower(), first)
            if other is not first:
                problems.append(
                    Problem(
                        where,
                        f"{name} has the email {email} that {other[0]} "
                        f"(line {other[1]}) already has",
                    )
                )
        return problems
