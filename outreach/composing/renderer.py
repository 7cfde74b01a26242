"""Rendering a template for a person, in Jinja's sandbox, strictly.

Printing a name that is not defined, or that is empty, is an error naming the template,
the line and the person: never a blank in a message.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Any

import jinja2
import jinja2.runtime
from jinja2 import nodes as jinja_nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from outreach.support.errors import Problem, TemplateError, at
from outreach.support.text import CONTROL, LINE_BREAKS
from outreach.workspace.templates import Template


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


_MAX_LENGTH = 100_000  # the longest string or list `*` may build in a template
_MAX_EXPONENT = 64
_INCLUDES = (jinja_nodes.Extends, jinja_nodes.Include, jinja_nodes.Import, jinja_nodes.FromImport)


class Fields(dict[str, Any]):
    """A mapping that knows its own name, so an error can say `contact.company`.

    Templates reach its items only: `contact.items` is the field `items`, never a method.
    """

    def __init__(self, label: str, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.label = label


class _EmptyValue(Exception):
    pass


def _owner(owner: Any) -> str:
    """How an error names the value a missing attribute was looked up on."""
    if isinstance(owner, Fields):
        return owner.label
    if owner is None:
        return "none"
    return f"a {type(owner).__name__}"


class _StrictUndefined(jinja2.Undefined):
    """Undefined names are false in tests and fail when printed or iterated."""

    __slots__ = ()

    def __str__(self) -> str:
        self._fail_with_undefined_error()

    __iter__ = jinja2.Undefined._fail_with_undefined_error
    __len__ = jinja2.Undefined._fail_with_undefined_error

    @property
    def _undefined_message(self) -> str:
        return self._undefined_hint or f"{self.describe()} is not defined"

    def describe(self) -> str:
        owner = self._undefined_obj
        name = self._undefined_name
        if owner is jinja2.utils.missing:
            return str(name)
        if isinstance(owner, Fields):
            return f"{owner.label}.{name}"
        return f"{name!r} of {_owner(owner)}"


def _refuse_empty(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()  # UndefinedError, or SecurityError for an unsafe name
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _EmptyValue
    return value


def join_or(items: Any, conjunction: str = "or") -> str:
    """'a phone call, a video call or coffee'."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with the person's fields reached as items only and no huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, jinja2.Undefined):
            return obj  # the error names the first missing name: contact.employer, not .name
        if isinstance(obj, Fields) and attribute in obj:
            return obj[attribute]
        if attribute.startswith("_"):
            return self.unsafe_undefined(obj, attribute)
        if isinstance(obj, Fields):
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, jinja2.Undefined):
            return obj
        if isinstance(obj, Fields):
            try:
                return obj[argument]
            except (TypeError, LookupError):
                pass
        if isinstance(argument, str) and argument.startswith("_"):
            return self.unsafe_undefined(obj, argument)
        if isinstance(obj, Fields):
            return self.undefined(obj=obj, name=argument)
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        if isinstance(obj, Fields):
            reached = f"{obj.label}.{attribute}"
        else:
            reached = f"'{attribute}' of {_owner(obj)}"
        return self.undefined(
            f"{reached} reaches into Python itself", name=attribute, obj=obj, exc=SecurityError
        )

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, (str, list, tuple))
                    and isinstance(times, int)
                    and len(sequence) * times > _MAX_LENGTH
                ):
                    raise SecurityError(f"a value longer than {_MAX_LENGTH:,} items is refused")
        elif (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right > _MAX_EXPONENT
        ):
            raise SecurityError(f"a power above {_MAX_EXPONENT} is refused")
        return super().call_binop(context, operator, left, right)


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=_StrictUndefined,
        finalize=_refuse_empty,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["join_or"] = join_or
    return env


RENDER_SECONDS = 5.0  # a message that takes longer comes from a template that loops too long


class _TooLong(BaseException):
    """Raised out of a render that ran past its time (a BaseException: Jinja re-raises it)."""


def _stop_render(signum: int, frame: Any) -> None:
    raise _TooLong


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Stop what runs inside after `seconds` (where the platform has interval timers).

    The sandbox keeps templates away from Python itself, but not from loops that would
    run for hours: a template may be written by someone else.
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    previous = signal.signal(signal.SIGALRM, _stop_render)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Renderer:
    """One template compiled once, rendered for many people."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self._where = f"templates/{template.path.name}"
        env = _environment()
        self._running: jinja2.Template | None = None  # for the line of a render stopped mid-way
        self._subject = self._compile(env, template.subject, template.subject_line)
        self._body = self._compile(env, template.body, template.body_line)

    def _compile(self, env: _Sandbox, source: str, line: int) -> jinja2.Template:
        # A comment holding line-1 line breaks makes Jinja count lines as the file does.
        padded = "{#" + "\n" * (line - 1) + "#}" + source
        try:
            tree = env.parse(padded, name=self._where, filename=self._where)
            for node in tree.find_all(_INCLUDES):
                raise TemplateError(
                    Problem(
                        at(self._where, node.lineno),
                        "a template cannot include, import or extend another file",
                    )
                )
            code = env.compile(tree, name=self._where, filename=self._where)
        except jinja2.TemplateSyntaxError as error:  # an unknown filter or test, too
            raise TemplateError(self._syntax_problem(env, padded, error)) from None
        # A plain dict of globals: Jinja's default ChainMap is slow to copy for each render.
        return env.template_class.from_code(env, code, dict(env.globals), None)

    def _syntax_problem(
        self, env: _Sandbox, source: str, error: jinja2.TemplateSyntaxError
    ) -> Problem:
        # Told apart by what the blocks do, not by Jinja's words, which may change.
        message = (error.message or "syntax error").strip()
        line: int | None = error.lineno
        still_open, _ = _walk_blocks(env, source)
        if still_open and _parses(env, source + "".join(f"{{% end{t} %}}" for t, _ in still_open)):
            tag, line = still_open[-1]
            message = f"'{{% {tag} %}}' is never closed: add '{{% end{tag} %}}'"
        elif line is not None:
            _, mismatched = _walk_blocks(env, "\n".join(source.splitlines()[:line]))
            if mismatched is not None:
                tag, opened = mismatched
                message = f"{message} ('{{% {tag} %}}' was opened on line {opened})"
        return Problem(at(self._where, line), message)

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
        try:
            with _time_limit(RENDER_SECONDS):
                return self._render(context, who)
        except _TooLong as error:
            # Jinja rewrites tracebacks of Exceptions only: map the generated code's line.
            raw = self._line(error.__traceback__)
            running = self._running
            line = running.get_corresponding_lineno(raw) if raw and running else None
            raise TemplateError(
                Problem(
                    at(self._where, line),
                    f"rendering for {who} took more than {RENDER_SECONDS:g} s and was stopped: "
                    "does a loop run for too long?",
                )
            ) from None

    def _render(self, context: dict[str, Any], who: str) -> Rendered:
        subject_line = self.template.subject_line
        raw_subject = self._run(self._subject, context, who)
        if not LINE_BREAKS.isdisjoint(raw_subject):
            what = "a line break"
        elif CONTROL.search(raw_subject):
            what = "a control character"
        else:
            what = None
        if what is not None:
            raise TemplateError(
                Problem(
                    at(self._where, subject_line),
                    f"{what} reaches the subject from {self._expression_on(subject_line)} "
                    f"for {who}: a subject is one line of text",
                )
            )
        subject = " ".join(raw_subject.split())
        if not subject:
            raise TemplateError(
                Problem(at(self._where, subject_line), f"the subject is empty for {who}")
            )
        body = self._run(self._body, context, who).strip("\n") + "\n"
        if not body.strip():
            raise TemplateError(
                Problem(at(self._where, self.template.body_line), f"the message is empty for {who}")
            )
        return Rendered(subject, body)

    def _run(self, compiled: jinja2.Template, context: dict[str, Any], who: str) -> str:
        self._running = compiled
        try:
            return compiled.render(context)
        except SecurityError as error:
            line = self._line(error.__traceback__)
            reason = str(error.message or error).rstrip(".")
            raise TemplateError(
                Problem(at(self._where, line), f"not allowed in a template: {reason}")
            ) from None
        except jinja2.UndefinedError as error:
            line = self._line(error.__traceback__)
            message = str(error.message)
            if "has no attribute" in message or "is undefined" in message:
                message = _plain_undefined(message) + " is not defined"
            if message.endswith(" is not defined"):
                message += f" for {who}: test it with 'is defined' or give a default(...)"
            else:
                message += f" (for {who})"
            raise TemplateError(Problem(at(self._where, line), message)) from None
        except _EmptyValue as error:
            line = self._line(error.__traceback__)
            expression = self._expression_on(line)
            raise TemplateError(
                Problem(at(self._where, line), f"{expression} is empty for {who}")
            ) from None
        except jinja2.TemplateError as error:
            line = self._line(error.__traceback__)
            raise TemplateError(Problem(at(self._where, line), f"{error} (for {who})")) from None
        except RecursionError as error:
            line = self._line(error.__traceback__)
            raise TemplateError(
                Problem(at(self._where, line), f"the template calls itself without end (for {who})")
            ) from None
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
        if line == self.template.subject_line:
            source = self.template.subject
        else:
            body_lines = self.template.body.splitlines()
            index = -1 if line is None else line - self.template.body_line
            source = body_lines[index] if 0 <= index < len(body_lines) else ""

        expressions = re.findall(r"\{\{-?\s*(.*?)\s*-?\}\}", source)
        return " or ".join(expressions) if expressions else "a printed value"


_BLOCK_TAGS = frozenset({"for", "if", "macro", "call", "filter", "with", "autoescape", "block"})


def _walk_blocks(
    env: jinja2.Environment, source: str
) -> tuple[list[tuple[str, int]], tuple[str, int] | None]:
    """The block tags still open where the source ends, each with its line; and the block that
    was open where an end tag closed another kind, if one did (there the walk stops)."""
    try:
        tokens = [(t.lineno, t.type, t.value) for t in env.lexer.tokenize(source)]
    except jinja2.TemplateSyntaxError:
        return [], None
    open_blocks: list[tuple[str, int]] = []
    for index, (line, kind, _) in enumerate(tokens[:-1]):
        if kind != "block_begin" or tokens[index + 1][1] != "name":
            continue
        tag = str(tokens[index + 1][2])
        if tag == "set":  # a block only without '=': {% set x %}...{% endset %}
            statement = []
            for token in tokens[index + 2 :]:
                if token[1] == "block_end":
                    break
                statement.append(token)
            if not any(t[1] == "assign" or t[2] == "=" for t in statement):
                open_blocks.append((tag, line))
        elif tag in _BLOCK_TAGS:
            open_blocks.append((tag, line))
        elif tag.startswith("end") and open_blocks:
            if open_blocks[-1][0] != tag[3:]:
                return open_blocks, open_blocks[-1]
            open_blocks.pop()
    return open_blocks, None


def _parses(env: jinja2.Environment, source: str) -> bool:
    try:
        env.parse(source)
    except jinja2.TemplateSyntaxError:
        return False
    return True


def _plain_undefined(message: str) -> str:
    match = re.search(r"'(\w+)' is undefined", message)
    if match:
        return match.group(1)
    match = re.search(r"has no attribute '([^']+)'", message)
    return match.group(1) if match else message
