"""contacts.yaml's new text: the file kept byte for byte, the new people after everyone in it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from outreach.people.addressbook.merge import OTHER_EMAILS, OTHER_NAMES, Added
from outreach.people.contact import Contact
from outreach.people.reading import parse_contacts
from outreach.support.errors import OutreachError, Problem, at

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap


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
    from outreach.support import yamlnodes as yn

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
    added: Sequence[Added], column: int, newline: str, between: str | None = None
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
        entry["company"] = yaml11_str(person.company)
    if len(person.emails) > 1:
        entry[OTHER_EMAILS] = CommentedSeq(person.emails[1:])
    if person.other_names:
        entry[OTHER_NAMES] = CommentedSeq(yaml11_str(other) for other in person.other_names)
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
    before = [contact._replace(line=0) for contact in existing]
    after = [contact._replace(line=0) for contact in contacts[: len(existing)]]
    meant = [(a.id, a.person.name, a.person.email, a.person.notes, a.person.tags) for a in added]
    read = [(c.id, c.name, c.email, c.notes, c.tags) for c in contacts[len(existing) :]]
    return not any(p.is_error for p in problems) and before == after and meant == read
