"""goal.md: the clarified goal, and the clarity check that guards every request."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from outreach.support.errors import OutreachError, Problem, at
from outreach.support.fields import given_twice
from outreach.support.files import read_text
from outreach.support.front_matter import split

TEXT_FIELDS = ("looking_for", "request", "time_needed", "offer")
MAX_REQUEST_WORDS = 60
VAGUE_PHRASES = ("any help", "anything", "pick your brain", "whatever")

_PLACEHOLDER_WORD = re.compile(r"\b(TODO|TBD|XXX|FIXME)\b", re.IGNORECASE)
_ANGLE_HINT = re.compile(r"<([^<>\n]+)>")
_SQUARE_HINT = re.compile(r"\[([^\[\]\n]+)\](?!\()")
_LINKISH = re.compile(r"@|://|^www\.|^mailto:", re.IGNORECASE)


@dataclass(frozen=True)
class Goal:
    looking_for: str = ""
    request: str = ""
    time_needed: str | None = None
    options: tuple[str, ...] = ()
    offer: str | None = None
    story: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # field -> line in goal.md

    def template_fields(self) -> dict[str, Any]:
        """What templates reach as `goal`; fields left out stay undefined."""
        fields: dict[str, Any] = dict(self.extra)
        for key in ("looking_for", "request", "time_needed", "offer"):
            value = getattr(self, key)
            if value:
                fields[key] = value
        if self.options:
            fields["options"] = list(self.options)
        if self.story:
            fields["story"] = self.story
        return fields


def load_goal(path: Path) -> tuple[Goal, list[Problem]]:
    """The goal and every clarity finding (errors and warnings), each with its line."""
    return parse_goal(read_text(path), path.name)


def parse_goal(text: str, filename: str = "goal.md") -> tuple[Goal, list[Problem]]:
    from outreach.support import yamlnodes as yn

    parts = split(text)
    if parts.front is None:
        return Goal(story=text.strip()), [Problem(at(filename, 1), _missing_front(text))]
    root = yn.compose(parts.front, filename, first_line=parts.front_line)
    problems: list[Problem] = []
    if root is not None and not isinstance(root, yn.MappingNode):
        problems.append(
            Problem(
                at(filename, yn.line_of(root, parts.front_line)),
                f"the front matter must be fields (looking_for: ...), not {yn.kind_of(root)}",
            )
        )
        root = None
    fields = _Fields(filename, lines={"story": parts.body_line})
    for key_node, value_node in root.value if root is not None else ():
        fields.read(str(key_node.value), value_node, yn.line_of(value_node, parts.front_line))
    values = fields.values
    goal = Goal(
        looking_for=values.get("looking_for", ""),
        request=values.get("request", ""),
        time_needed=values.get("time_needed"),
        options=values.get("options", ()),
        offer=values.get("offer"),
        story=parts.body.strip(),
        extra=fields.extra,
        lines=fields.lines,
    )
    return goal, problems + fields.problems + clarity(goal, filename)


def _missing_front(text: str) -> str:
    """Why a goal.md without front matter between '---' lines cannot be read."""
    if text.split("\n", 1)[0].rstrip() == "---":
        return "the front matter opened by '---' on line 1 is never closed by a '---' line"
    return (
        "goal.md must start with front matter between '---' lines "
        "(looking_for, request, time_needed, options, offer)"
    )


@dataclass
class _Fields:
    """The goal's fields as they are read, with their lines and what is wrong with them."""

    filename: str
    lines: dict[str, int]  # field -> line; "story" is the body's
    values: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # fields of your own, for templates
    problems: list[Problem] = field(default_factory=list)

    def read(self, key: str, node: Any, line: int) -> None:
        from outreach.support import yamlnodes as yn

        twice = given_twice(self.lines, key, line)
        if twice is not None:
            self.problem(line, f"{key} {twice}")
        elif yn.is_null(node):
            pass
        elif key == "options":
            options = _options(node)
            if options is None:
                self.problem(line, "options must be a list, such as [a call, coffee]")
            else:
                self.values["options"] = tuple(options)
        elif key in TEXT_FIELDS:
            value = yn.scalar_text(node)
            if value is None:
                self.problem(line, f"{key} must be text, not {yn.kind_of(node)}")
            else:
                self.values[key] = " ".join(value.split())
        elif isinstance(node, yn.ScalarNode):
            self.extra[key] = yn.plain_value(node)

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(at(self.filename, line), message))


def _options(node: Any) -> list[str] | None:
    from outreach.support import yamlnodes as yn

    if isinstance(node, yn.ScalarNode):
        text = yn.scalar_text(node)
        return [text] if text else None
    if not isinstance(node, yn.SequenceNode):
        return None
    items = [yn.scalar_text(item) for item in node.value]
    if any(item is None for item in items):
        return None
    return [str(item).strip() for item in items]


def clarity(goal: Goal, filename: str = "goal.md") -> list[Problem]:
    """The clarity rules: errors block request drafts, warnings only advise."""
    findings: list[Problem] = []

    # A field that is missing is reported on the first line, where the front matter opens.
    def error(key: str, message: str) -> None:
        findings.append(Problem(at(filename, goal.lines.get(key, 1)), f"{key}: {message}"))

    def warning(key: str, message: str) -> None:
        findings.append(
            Problem(at(filename, goal.lines.get(key, 1)), f"{key}: {message}", "warning")
        )

    if not goal.looking_for:
        error("looking_for", "missing: say in a phrase what you are looking for")
    if not goal.request:
        error("request", "missing: write the one question you will ask each person")
    texts: dict[str, str] = {key: getattr(goal, key) or "" for key in TEXT_FIELDS}
    texts["options"] = ", ".join(goal.options)
    texts["story"] = goal.story
    for key, text in texts.items():
        hint = placeholder(text)
        if hint:
            if len(hint) > 40:
                hint = hint[:36].rstrip() + "…" + hint[-1]
            error(key, f"still holds the placeholder '{hint}': replace it with your own words")
    if goal.request:
        questions = goal.request.count("?")
        if questions > 1:
            error("request", f"asks {questions} questions: make one clear request")
        words = len(goal.request.split())
        if words > MAX_REQUEST_WORDS:
            error(
                "request",
                f"is {words} words long: keep it under {MAX_REQUEST_WORDS} to respect their time",
            )
    if not goal.offer:
        warning("offer", "missing: offer something back; networking is more giving than taking")
    if not goal.time_needed:
        warning("time_needed", "missing: say how much of their time you ask for")
    if not goal.options:
        warning("options", "missing: offer ways to meet, such as a call, a video call or coffee")
    for key in ("looking_for", "request"):
        lowered = texts[key].lower()
        for phrase in VAGUE_PHRASES:
            if re.search(rf"\b{re.escape(phrase)}\b", lowered):
                warning(key, f"'{phrase}' is vague: say exactly what you would like")
    return findings


def placeholder(text: str) -> str | None:
    """The first placeholder left in a text, or None: TODO and friends, <hints>, [hints]."""
    match = _PLACEHOLDER_WORD.search(text)
    if match:
        return match.group(0)
    for pattern, wrap in ((_ANGLE_HINT, "<{}>"), (_SQUARE_HINT, "[{}]")):
        for match in pattern.finditer(text):
            inner = match.group(1).strip()
            if not _LINKISH.search(inner):
                return wrap.format(match.group(1))
    return None


def require_clear(goal: Goal, problems: list[Problem]) -> None:
    """Refuse to go on with a request while the goal has errors."""
    errors = [p for p in problems if p.is_error]
    if errors:
        raise OutreachError(
            *errors,
            Problem("goal.md", "requests are not drafted until the goal is clear"),
        )
