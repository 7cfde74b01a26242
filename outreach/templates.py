"""Templates: YAML front matter and a Jinja body, rendered in a sandbox, strictly.

Printing a name that is not defined, or that is empty, is an error naming the
template, the line and the person: never a blank in a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from outreach import durations
from outreach.errors import Problem, TemplateError, at
from outreach.files import read_text
from outreach.frontmatter_split import split

KINDS = ("request", "thank-you", "follow-up", "check-in")
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


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def valid_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name))


def template_path(templates_dir: Path, name: str) -> Path:
    return templates_dir / f"{name}.md"


def list_templates(templates_dir: Path) -> list[str]:
    return sorted(path.stem for path in templates_dir.glob("*.md"))


def load_template(templates_dir: Path, name: str, default_follow_up: int) -> Template:
    """Read one template by name; every problem in its front matter at once."""
    path = template_path(templates_dir, name)
    if not valid_name(name) or not path.is_file():
        known = ", ".join(list_templates(templates_dir)) or "none"
        raise TemplateError(f"no template '{name}' in templates/ (there are: {known})")
    return parse_template(read_text(path), path, default_follow_up)


def parse_template(text: str, path: Path, default_follow_up: int) -> Template:
    from outreach import yamlnodes as yn
    from outreach.addresses import check_address

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
        lines[key] = line
        if key not in _FRONT_KEYS:
            known = ", ".join(sorted(_FRONT_KEYS))
            problems.append(Problem(at(where, line), f"unknown field '{key}' (known: {known})"))
            continue
        text_value = yn.scalar_text(value_node)
        if text_value is None:
            problems.append(Problem(at(where, line), f"'{key}' must be text"))
            continue
        values[key] = text_value
    kind = values.get("kind")
    if kind is None:
        problems.append(Problem(at(where, parts.front_line), f"'kind' is missing ({_kinds()})"))
    elif kind not in KINDS:
        problems.append(Problem(at(where, lines["kind"]), f"'kind' must be one of {_kinds()}"))
    subject = values.get("subject", "").strip()
    if not subject and "subject" in values:
        problems.append(Problem(at(where, lines["subject"]), "'subject' is empty"))
    elif "subject" not in lines:
        problems.append(Problem(at(where, parts.front_line), "'subject' is missing"))
    elif "\n" in subject or "\r" in subject:
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
    reply_to = values.get("reply_to")
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
    Renderer(template)  # compiling finds syntax errors now, not at the first person
    return template


def _kinds() -> str:
    return " | ".join(KINDS)


# --- rendering -------------------------------------------------------------------


class Fields(dict[str, Any]):
    """A mapping that knows its own name, so an error can say `contact.company`."""

    def __init__(self, label: str, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.label = label


class _EmptyValue(Exception):
    pass


class _StrictUndefined(jinja2.Undefined):
    """Undefined names are false in tests and fail when printed or iterated."""

    __slots__ = ()

    def __str__(self) -> str:
        self._fail_with_undefined_error()

    __iter__ = jinja2.Undefined._fail_with_undefined_error  # type: ignore[assignment]
    __len__ = jinja2.Undefined._fail_with_undefined_error  # type: ignore[assignment]

    def describe(self) -> str:
        owner = self._undefined_obj
        if isinstance(owner, Fields):
            return f"{owner.label}.{self._undefined_name}"
        return str(self._undefined_name)


def _refuse_empty(value: Any) -> Any:
    if isinstance(value, _StrictUndefined):
        raise jinja2.UndefinedError(value.describe())
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _EmptyValue
    return value


def join_or(items: Any, conjunction: str = "or") -> str:
    """'a phone call, a video call or coffee'."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=_StrictUndefined,
        finalize=_refuse_empty,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["join_or"] = join_or
    return env


class Renderer:
    """One template compiled once, rendered for many people."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self._where = f"templates/{template.path.name}"
        env = _environment()
        self._subject = self._compile(env, template.subject, template.subject_line)
        self._body = self._compile(env, template.body, template.body_line)

    def _compile(self, env: ImmutableSandboxedEnvironment, source: str, line: int) -> jinja2.Template:
        # A comment holding line-1 line breaks makes Jinja count lines as the file does.
        padded = "{#" + "\n" * (line - 1) + "#}" + source
        try:
            code = env.compile(padded, name=self._where, filename=self._where)
        except jinja2.TemplateSyntaxError as error:
            raise TemplateError(Problem(at(self._where, error.lineno), error.message or "syntax error")) from None
        return env.template_class.from_code(env, code, env.make_globals(None), None)

    def render(
        self,
        *,
        contact: Fields,
        who: str,
        goal: Mapping[str, Any],
        me: Mapping[str, Any],
        today: date,
        last: Mapping[str, Any] | None = None,
        note: str | None = None,
    ) -> Rendered:
        """The subject and body for one person; a TemplateError names template, line and person."""
        context = {
            "contact": contact,
            "goal": Fields("goal", goal),
            "me": Fields("me", me),
            "today": today,
            "last": Fields("last", last) if last is not None else None,
            "note": note or None,
        }
        subject = " ".join(self._run(self._subject, context, who).split())
        if not subject:
            raise TemplateError(Problem(at(self._where, self.template.subject_line), f"the subject is empty for {who}"))
        body = self._run(self._body, context, who).strip("\n") + "\n"
        return Rendered(subject, body)

    def _run(self, compiled: jinja2.Template, context: dict[str, Any], who: str) -> str:
        try:
            return compiled.render(context)
        except jinja2.UndefinedError as error:
            line = self._line(error.__traceback__)
            message = str(error.message)
            if "has no attribute" in message or "is undefined" in message:
                message = _plain_undefined(message)
            raise TemplateError(
                Problem(
                    at(self._where, line),
                    f"{message} is not defined for {who}: test it with 'is defined' "
                    "or give a default(...)",
                )
            ) from None
        except _EmptyValue as error:
            line = self._line(error.__traceback__)
            expression = self._expression_on(line)
            raise TemplateError(
                Problem(at(self._where, line), f"{expression} is empty for {who}")
            ) from None
        except SecurityError as error:
            line = self._line(error.__traceback__)
            raise TemplateError(
                Problem(at(self._where, line), f"not allowed in a template: {error}")
            ) from None
        except jinja2.TemplateError as error:
            line = self._line(error.__traceback__)
            raise TemplateError(Problem(at(self._where, line), f"{error} (for {who})")) from None
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as error:
            line = self._line(error.__traceback__)
            raise TemplateError(
                Problem(at(self._where, line), f"{type(error).__name__}: {error} (for {who})")
            ) from None

    def _line(self, traceback: TracebackType | None) -> int | None:
        line = None
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == self._where:
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        return line

    def _expression_on(self, line: int | None) -> str:
        source = (self.template.subject if line == self.template.subject_line else None) or (
            self.template.body.splitlines()[line - self.template.body_line]
            if line is not None and 0 <= line - self.template.body_line < self.template.body.count("\n") + 1
            else ""
        )
        expressions = re.findall(r"\{\{-?\s*(.*?)\s*-?\}\}", source)
        return " or ".join(expressions) if expressions else "a printed value"


def _plain_undefined(message: str) -> str:
    match = re.search(r"'(\w+)' is undefined", message)
    if match:
        return match.group(1)
    match = re.search(r"has no attribute '([^']+)'", message)
    return match.group(1) if match else message
