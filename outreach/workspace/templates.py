"""Templates: a Markdown file of YAML front matter and a Jinja body, read and checked.

The front matter says what the template is for (`kind`), its `subject` (a template too),
`follow_up_after`, `reply_to`, `html`, `thread` (whether it answers the latest message sent)
and `attachments` (paths, each a template too). Compiling and rendering live in outreach.composing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from outreach.support import durations
from outreach.support.errors import Problem, TemplateError, at
from outreach.support.fields import given_twice
from outreach.support.files import decode_text, read_bytes
from outreach.support.front_matter import split
from outreach.support.text import MAX_NAME_LENGTH, TEMPLATE_KINDS, TemplateKind, has_line_break

_FRONT_KEYS = frozenset(
    {"kind", "subject", "follow_up_after", "reply_to", "html", "thread", "attachments"}
)
_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    kind: TemplateKind
    subject: str
    body: str
    follow_up_after: int | None  # days; None when no follow-up is wanted
    reply_to: str | None
    html: bool
    subject_line: int
    body_line: int
    thread: bool = False  # answers the latest message sent to the person
    attachments: tuple[str, ...] = ()  # paths relative to the workspace, each a template
    attachments_line: int = 0

    @property
    def follow_up_text(self) -> str | None:
        return None if self.follow_up_after is None else durations.format_days(self.follow_up_after)


def valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME_LENGTH and bool(_NAME.fullmatch(name))


def name_problem(name: str) -> str | None:
    """Why NAME cannot name a template (it becomes part of draft file names), or None."""
    if len(name) > MAX_NAME_LENGTH:
        return (
            f"a template's name is at most {MAX_NAME_LENGTH} characters (this one has "
            f"{len(name)}): it becomes part of the draft files' names"
        )
    if not _NAME.fullmatch(name):
        return "a template's name is lowercase letters and digits, joined by - or _"
    return None


def template_path(templates_dir: Path, name: str) -> Path:
    return templates_dir / f"{name}.md"


def list_templates(templates_dir: Path) -> list[str]:
    return sorted(path.stem for path in templates_dir.glob("*.md"))


def load_template(templates_dir: Path, name: str, default_follow_up: int) -> Template:
    """Read one template by name; every problem in its front matter at once."""
    return load_template_source(templates_dir, name, default_follow_up)[0]


def load_template_source(
    templates_dir: Path, name: str, default_follow_up: int
) -> tuple[Template, bytes]:
    """load_template, and the file's bytes that were read (what drafting's record of drafts
    hashes: the bytes the template was made from, not a later read of the file)."""
    path = template_path(templates_dir, name)
    if not valid_name(name) or not path.is_file():
        names = list_templates(templates_dir)
        reason = name_problem(name)
        if reason is not None and name in names:  # a file of templates/ with a bad name
            raise TemplateError(Problem(f"templates/{path.name}", f"{reason}; rename the file"))
        known = ", ".join(names) or "none"
        raise TemplateError(f"no template '{name}' in templates/ (there are: {known})")
    source = read_bytes(path)
    return parse_template(decode_text(path, source), path, default_follow_up), source


def parse_template(text: str, path: Path, default_follow_up: int) -> Template:
    where = f"templates/{path.name}"
    parts = split(text)
    if parts.front is None:
        raise TemplateError(
            Problem(at(where, 1), "a template starts with front matter between '---' lines")
        )
    fields = _Fields(where, parts.front_line)
    fields.read(parts.front)
    kind = fields.kind()
    subject = fields.subject()
    follow_up = fields.follow_up(default_follow_up if kind == "request" else None)
    reply_to = fields.reply_to()
    html = fields.html()
    thread = fields.flag("thread", default=kind == "follow-up")
    attachments = fields.attachments
    if fields.problems:
        raise TemplateError(*fields.problems)
    assert kind is not None  # a missing or unknown kind is one of the problems above
    return Template(
        name=path.stem,
        path=path,
        kind=kind,
        subject=subject,
        body=parts.body,
        follow_up_after=follow_up,
        reply_to=reply_to,
        html=html,
        subject_line=fields.lines["subject"],
        body_line=parts.body_line,
        thread=thread,
        attachments=attachments,
        attachments_line=fields.lines.get("attachments", 0),
    )


class _Fields:
    """A template's front matter as text values with their lines, each checked in turn;
    what is wrong is collected, so that every problem is reported at once."""

    def __init__(self, where: str, front_line: int) -> None:
        self.where = where
        self.front_line = front_line
        self.values: dict[str, str] = {}
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self.attachments: tuple[str, ...] = ()

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(at(self.where, line), message))

    def read(self, front: str) -> None:
        from outreach.support import yamlnodes as yn

        root = yn.compose(front, self.where, first_line=self.front_line)
        if not isinstance(root, yn.MappingNode):
            raise TemplateError(
                Problem(
                    at(self.where, self.front_line), "the front matter must hold kind: and subject:"
                )
            )
        for key_node, value_node in root.value:
            key = str(key_node.value)
            line = yn.line_of(value_node, self.front_line)
            twice = given_twice(self.lines, key, line)
            if twice is not None:
                self.problem(line, f"'{key}' {twice}")
                continue
            if key not in _FRONT_KEYS:
                known = ", ".join(sorted(_FRONT_KEYS))
                self.problem(line, f"unknown field '{key}' (known: {known})")
                continue
            if key == "attachments":
                self._read_attachments(value_node, line)
                continue
            text_value = yn.scalar_text(value_node)
            if text_value is None:
                wrong = "is empty" if yn.is_null(value_node) else "must be text"
                self.problem(line, f"'{key}' {wrong}")
                continue
            self.values[key] = text_value

    def kind(self) -> TemplateKind | None:
        kind = self.values.get("kind")
        for known in TEMPLATE_KINDS:
            if kind == known:
                return known
        if kind is None and "kind" not in self.lines:
            self.problem(self.front_line, f"'kind' is missing ({_kinds()})")
        elif kind is not None:
            self.problem(self.lines["kind"], f"'kind' must be one of {_kinds()}")
        return None

    def subject(self) -> str:
        subject = self.values.get("subject", "").strip()
        if not subject and "subject" in self.values:
            self.problem(self.lines["subject"], "'subject' is empty")
        elif "subject" not in self.lines:
            self.problem(self.front_line, "'subject' is missing")
        elif has_line_break(subject):
            self.problem(self.lines["subject"], "'subject' must be one line")
        return subject

    def follow_up(self, default: int | None) -> int | None:
        """Days before a follow-up is due; None for none."""
        if "follow_up_after" not in self.values:
            return default
        written = self.values["follow_up_after"].strip()
        if written.lower() == "none":
            return None
        days = durations.parse_days(written)
        line = self.lines["follow_up_after"]
        if days is None:
            self.problem(line, f"'follow_up_after': {durations.HELP}, or none")
        elif days == 0:
            self.problem(
                line, "'follow_up_after' must be at least 1d; write none to turn follow-ups off"
            )
        return days

    def reply_to(self) -> str | None:
        from outreach.people.addresses import check_address

        written = self.values.get("reply_to")
        if written is None:
            return None
        reply_to, reason = check_address(written.strip())
        if reason:
            self.problem(self.lines["reply_to"], f"'reply_to': {reason}")
        return reply_to

    def _read_attachments(self, node: object, line: int) -> None:
        """A list of paths (or one path), each text."""
        from outreach.support import yamlnodes as yn

        assert isinstance(node, yn.Node)
        items = node.value if isinstance(node, yn.SequenceNode) else [node]
        paths = []
        for item in items:
            text_value = yn.scalar_text(item)
            if text_value is None or not text_value.strip():
                self.problem(
                    line, "'attachments' is a list of paths relative to the workspace: [cv.pdf]"
                )
                return
            if has_line_break(text_value):
                self.problem(line, "an attachment's path must be one line")
                return
            paths.append(text_value.strip())
        self.attachments = tuple(paths)

    def flag(self, key: str, default: bool) -> bool:
        value = self.values.get(key)
        if value is None:
            return default
        if value not in ("true", "false"):
            self.problem(self.lines[key], f"'{key}' must be true or false")
        return value == "true"

    def html(self) -> bool:
        html = self.values.get("html", "false")
        if html not in ("true", "false"):
            self.problem(self.lines["html"], "'html' must be true or false")
        return html == "true"


def _kinds() -> str:
    return " | ".join(TEMPLATE_KINDS)
