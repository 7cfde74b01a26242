"""Templates: a Markdown file of YAML front matter and a Jinja body, read and checked.

The front matter says what the template is for (`kind`), its `subject` (a template too),
`follow_up_after`, `reply_to` and `html`. Compiling and rendering live in outreach.composing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from outreach.support import durations
from outreach.support.errors import Problem, TemplateError, at
from outreach.support.files import read_text
from outreach.support.frontmatter_split import split
from outreach.support.text import MAX_NAME_LENGTH, TEMPLATE_KINDS, has_line_break

_FRONT_KEYS = frozenset({"kind", "subject", "follow_up_after", "reply_to", "html"})
_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    kind: str
    subject: str
    body: str
    follow_up_after: int | None  # days; None when no follow-up is wanted
    reply_to: str | None
    html: bool
    subject_line: int
    body_line: int

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
    path = template_path(templates_dir, name)
    if not valid_name(name) or not path.is_file():
        names = list_templates(templates_dir)
        reason = name_problem(name)
        if reason is not None and name in names:  # a file of templates/ with a bad name
            raise TemplateError(Problem(f"templates/{path.name}", f"{reason}; rename the file"))
        known = ", ".join(names) or "none"
        raise TemplateError(f"no template '{name}' in templates/ (there are: {known})")
    return parse_template(read_text(path), path, default_follow_up)


def parse_template(text: str, path: Path, default_follow_up: int) -> Template:
    from outreach.people.addresses import check_address
    from outreach.support import yamlnodes as yn

    where = f"templates/{path.name}"
    parts = split(text)
    if parts.front is None:
        raise TemplateError(
            Problem(at(where, 1), "a template starts with front matter between '---' lines")
        )
    root = yn.compose(parts.front, where, first_line=parts.front_line)
    if not isinstance(root, yn.MappingNode):
        raise TemplateError(
            Problem(at(where, parts.front_line), "the front matter must hold kind: and subject:")
        )
    problems: list[Problem] = []
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        line = yn.line_of(value_node, parts.front_line)
        if key in lines:
            problems.append(
                Problem(at(where, line), f"'{key}' is given twice (also on line {lines[key]})")
            )
            continue
        lines[key] = line
        if key not in _FRONT_KEYS:
            known = ", ".join(sorted(_FRONT_KEYS))
            problems.append(Problem(at(where, line), f"unknown field '{key}' (known: {known})"))
            continue
        text_value = yn.scalar_text(value_node)
        if text_value is None:
            wrong = "is empty" if yn.is_null(value_node) else "must be text"
            problems.append(Problem(at(where, line), f"'{key}' {wrong}"))
            continue
        values[key] = text_value
    kind = values.get("kind")
    if kind is None and "kind" not in lines:
        problems.append(Problem(at(where, parts.front_line), f"'kind' is missing ({_kinds()})"))
    elif kind is not None and kind not in TEMPLATE_KINDS:
        problems.append(Problem(at(where, lines["kind"]), f"'kind' must be one of {_kinds()}"))
    subject = values.get("subject", "").strip()
    if not subject and "subject" in values:
        problems.append(Problem(at(where, lines["subject"]), "'subject' is empty"))
    elif "subject" not in lines:
        problems.append(Problem(at(where, parts.front_line), "'subject' is missing"))
    elif has_line_break(subject):
        problems.append(Problem(at(where, lines["subject"]), "'subject' must be one line"))
    follow_up: int | None = default_follow_up if kind == "request" else None
    if "follow_up_after" in values:
        written = values["follow_up_after"].strip()
        if written.lower() == "none":
            follow_up = None
        else:
            follow_up = durations.parse_days(written)
            if follow_up is None:
                problems.append(
                    Problem(
                        at(where, lines["follow_up_after"]),
                        f"'follow_up_after': {durations.HELP}, or none",
                    )
                )
            elif follow_up == 0:
                problems.append(
                    Problem(
                        at(where, lines["follow_up_after"]),
                        "'follow_up_after' must be at least 1d; write none to turn follow-ups off",
                    )
                )
    reply_to: str | None = values.get("reply_to")
    if reply_to is not None:
        reply_to, reason = check_address(reply_to.strip())
        if reason:
            problems.append(Problem(at(where, lines["reply_to"]), f"'reply_to': {reason}"))
    html = values.get("html", "false")
    if html not in ("true", "false"):
        problems.append(Problem(at(where, lines["html"]), "'html' must be true or false"))
    if problems:
        raise TemplateError(*problems)
    template = Template(
        name=path.stem,
        path=path,
        kind=str(kind),
        subject=subject,
        body=parts.body,
        follow_up_after=follow_up,
        reply_to=reply_to,
        html=html == "true",
        subject_line=lines["subject"],
        body_line=parts.body_line,
    )
    return template


def _kinds() -> str:
    return " | ".join(TEMPLATE_KINDS)
