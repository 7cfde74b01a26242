"""Rendering a template for a person, in Jinja's sandbox, strictly.

Printing a name that is not defined, or that is empty, or a value with no text of its own (a
method, a list), is an error naming the template, the line and the person: never a blank or a
Python repr in a message. What a render may make, and the time and memory it may take, are
bounded (outreach.sandbox_limits, and the watch below).
"""

from __future__ import annotations

import functools
import itertools
import re
import signal
import sys
import threading
import time
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Any

import jinja2
import jinja2.runtime
import jinja2.utils
from jinja2 import nodes as jinja_nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from markupsafe import EscapeFormatter, Markup

from outreach.composing import words
from outreach.composing.sandbox_limits import (
    MAX_MESSAGE,
    MAX_VALUE,
    Budget,
    NotText,
    TooLarge,
    as_text,
    call_bound,
    checked_filter,
    checked_lipsum,
    checked_range,
    convertible,
    format_spec_bound,
    printf_bound,
    size,
    too_large,
)
from outreach.support.errors import Problem, TemplateError, at
from outreach.support.text import CONTROL, has_line_break
from outreach.workspace.templates import Template


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    attachments: tuple[str, ...] = ()  # the template's attachment paths, rendered


_CHUNK = 32  # pieces of a render's text read before its length is measured again
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


def _printed(value: Any) -> Any:
    """What `{{ ... }}` prints: text, a number or a date, never empty."""
    if type(value) is str:
        if not value.strip():
            raise _EmptyValue
        return value
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()  # UndefinedError, or SecurityError for an unsafe name
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _EmptyValue
    return as_text(value)


def join_or(items: Any, conjunction: str = "or") -> str:
    """'a phone call, a video call or coffee'."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with the person's fields reached as items only and no huge values."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.budget = Budget()
        self.filters = {
            name: checked_filter(name, function, self.budget)
            for name, function in self.filters.items()
        }
        self.globals["range"] = checked_range
        self.globals["lipsum"] = checked_lipsum(self.budget)
        self.globals["namespace"] = _Namespace

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is Fields and attribute in obj:  # the usual case first: contact.name
            return obj[attribute]
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

    def call(
        __self,  # Jinja's spelling: no keyword of a template's call can take its place
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        what = _called(__obj)
        budget = __self.budget
        budget.arguments(args, what)
        budget.arguments(kwargs.values(), what)
        if (
            args
            and getattr(__obj, "__name__", None) == "join"
            and isinstance(getattr(__obj, "__self__", None), (str, bytes))
        ):
            args = (list(args[0]), *args[1:])  # a sequence from map or select, read once here
        bound = call_bound(__obj, args)
        if bound is not None:
            budget.expect(bound, what)
        return budget.made_value(super().call(__context, __obj, *args, **kwargs), what)

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        what = f"'{operator}'"
        budget = self.budget
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, bytes, list, tuple)) and isinstance(times, int):
                    budget.expect(size(sequence, MAX_VALUE) * times, what)
            if _whole(left) and _whole(right):
                budget.expect_digits(left.bit_length() + right.bit_length(), what)
        elif operator == "**" and _whole(left) and _whole(right) and abs(left) > 1:
            budget.expect_digits(left.bit_length() * right, what)
        elif operator == "+":
            if isinstance(left, (str, bytes, list, tuple)):
                budget.expect(size(left) + size(right), what)
        elif operator == "%" and isinstance(left, (str, bytes)):
            convertible(right, what)
            budget.arguments([right], what)
            form = left if isinstance(left, str) else left.decode("latin-1")
            try:
                bound = printf_bound(form, right)
            except (TypeError, ValueError, IndexError, AttributeError):
                bound = 0  # the operator itself says what is wrong
            budget.expect(bound, what)
        return budget.made_value(super().call_binop(context, operator, left, right), what)

    def concat(self, parts: Any) -> str:
        """The text of a {% set %} or {% filter %} block, or of a macro's body."""
        pieces = list(parts)
        if sum(map(len, pieces)) > MAX_VALUE:
            raise too_large("a block or a macro")
        text = "".join(pieces)
        self.budget.made_value(text, "a block or a macro")
        return text

    def joined(self, items: Any, join: Any) -> str:
        """`a ~ b`: text, numbers and dates only, as printing takes."""
        pieces = [as_text(item, "'~'") for item in items]
        length = sum(len(piece) if isinstance(piece, str) else 40 for piece in pieces)
        if length > MAX_VALUE:
            raise too_large("'~'")
        text: str = join(pieces)
        self.budget.made_value(text, "'~'")
        return text

    def wrap_str_format(self, value: Any) -> Any:
        """A text's format and format_map, through a formatter that checks each field's width
        and what the fields make (Jinja's own wrapper, with that formatter)."""
        if not isinstance(
            value, (types.MethodType, types.BuiltinMethodType)
        ) or value.__name__ not in ("format", "format_map"):
            return None
        owner = value.__self__
        if not isinstance(owner, str):
            return None
        is_map = value.__name__ == "format_map"
        env = self

        def formatted(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            formatter: _Formatter
            if isinstance(owner, Markup):
                formatter = _EscapeFormatter(env, escape=owner.escape)
            else:
                formatter = _Formatter(env)
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return functools.update_wrapper(formatted, value)


class _Namespace(jinja2.utils.Namespace):
    """namespace(): what a loop carries from one pass to the next is held to MAX_VALUE too."""

    def __setitem__(self, name: str, value: Any) -> None:
        if size(value) > MAX_VALUE:
            raise too_large("{% set %} of a namespace")
        super().__setitem__(name, value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _called(function: Any) -> str:
    if isinstance(function, jinja2.runtime.Macro):
        return f"the macro {function.name}"
    return f"{getattr(function, '__name__', type(function).__name__)}()"


class _Formatter(SandboxedFormatter):
    """The sandbox's formatter for str.format, with the size of each field checked."""

    _env: _Sandbox

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._made = 0
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        convertible(value, "format()")
        self._env.budget.expect(format_spec_bound(format_spec), "format()")
        text = super().format_field(value, format_spec)
        self._made += len(text)
        if self._made > MAX_VALUE:
            raise too_large("format()")
        return text

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return super().convert_field(convertible(value, "format()"), conversion)


class _EscapeFormatter(_Formatter, EscapeFormatter):
    pass


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=_StrictUndefined,
        finalize=_printed,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["join_or"] = checked_filter("join_or", join_or, env.budget)
    env.filters["long_date"] = checked_filter("long_date", words.long_date, env.budget)
    env.filters["quote"] = checked_filter("quote", words.quote, env.budget)
    return env


RENDER_SECONDS = 5.0  # a message that takes longer comes from a template that loops too long
SECONDS_PER_PERSON = 0.01  # the renders of one template in one command: RENDER_SECONDS and this
MAX_MEMORY = 32 * 2**20  # bytes a render may add to the program (a loop filling a block)
_LOOK_EVERY = 0.02  # seconds between looks at a render's time and memory


class _TooLong(BaseException):
    """Raised out of a render that ran past its time (a BaseException: Jinja re-raises it)."""


class _TooMuchMemory(BaseException):
    """Raised out of a render that grew the program past MAX_MEMORY."""


def _resident_bytes() -> int:
    import resource

    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the peak, where no /proc
        return peak if sys.platform == "darwin" else peak * 1024


class _Watch:
    """Stop what runs inside after `seconds`, or once it grows the program by MAX_MEMORY
    (where the platform has interval timers): SIGALRM looks every 20 ms, so a render of a
    millisecond is never looked at.

    The sandbox keeps templates away from Python itself, and the limits on values keep them
    from making huge values at once, but not from loops that would run for hours or fill a
    block with millions of pieces: a template may be written by someone else. The handler
    stays installed between renders (setting it for each one cost a fifth of a render), and
    does nothing while no render is watched.
    """

    current: _Watch | None = None  # the render under way

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = 0.0
        self.baseline: int | None = None  # the program's memory when first looked at

    def __enter__(self) -> None:
        if (
            not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()
        ):
            return
        if _raw_handler(signal.SIGALRM) is not _look:
            signal.signal(signal.SIGALRM, _look)
        self.deadline = time.monotonic() + self.seconds
        _Watch.current = self
        signal.setitimer(signal.ITIMER_REAL, min(self.seconds, _LOOK_EVERY), _LOOK_EVERY)

    def __exit__(self, *exception: object) -> None:
        if _Watch.current is self:
            signal.setitimer(signal.ITIMER_REAL, 0)
            _Watch.current = None


def _handler_getter() -> Any:
    """The handler of a signal as installed: CPython's `_signal.getsignal` gives it as it is,
    where `signal.getsignal` first tries it as an enum member (a ValueError caught: 10 µs, a
    tenth of a short render)."""
    import importlib

    try:
        raw = importlib.import_module("_signal")
    except ImportError:  # another Python
        return signal.getsignal
    return getattr(raw, "getsignal", signal.getsignal)


_raw_handler = _handler_getter()


def _look(signum: int, frame: Any) -> None:
    watch = _Watch.current
    if watch is None:
        return
    if time.monotonic() >= watch.deadline:
        raise _TooLong
    resident = _resident_bytes()
    if watch.baseline is None:
        watch.baseline = resident
    elif resident - watch.baseline > MAX_MEMORY:
        raise _TooMuchMemory


class Renderer:
    """One template compiled once, rendered for many people."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self._where = f"templates/{template.path.name}"
        self._env = env = _environment()
        self._running: jinja2.Template | None = None  # for the line of a render stopped mid-way
        self._unfixed = False  # set by _compile where a template's output is not fixed
        self._shared_fields: dict[str, tuple[Mapping[str, Any], Fields]] = {}
        # What compiling may fold into constants counts against one render's limits too.
        self._subject = self._compile(env, template.subject, template.subject_line)
        self._body = self._compile(env, template.body, template.body_line)
        self._attachments = tuple(
            self._compile(env, path, template.attachments_line) for path in template.attachments
        )
        # Whether the same inputs always give the same text (no `random` filter, no lipsum):
        # drafting may then keep a draft whose inputs have not changed (composing/drafted.py).
        self.deterministic = not self._unfixed
        self._seconds_left = RENDER_SECONDS  # for all the renders of this template, see render()
        self._spent_at: int | None = None  # the line where that time ran out, once it has

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
            self._unfixed = self._unfixed or _unfixed(tree)
            code = env.compile(tree, name=self._where, filename=self._where)
        except jinja2.TemplateSyntaxError as error:  # an unknown filter or test, too
            raise TemplateError(self._syntax_problem(env, padded, error)) from None
        # A plain dict of globals: Jinja's default ChainMap is slow to copy for each render.
        compiled = env.template_class.from_code(env, code, dict(env.globals), None)
        # `a ~ b` compiles to a call of the module's str_join (markup_join where autoescape
        # is on): the sandbox has no hook for it, so the compiled code gets checking ones.
        module = compiled.root_render_func.__globals__
        for name in ("str_join", "markup_join"):
            if name in module:
                module[name] = functools.partial(env.joined, join=module[name])
        return compiled

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
        given: Sequence[Mapping[str, Any]] = (),
        thread: Mapping[str, Any] | None = None,
    ) -> Rendered:
        """The subject and body for one person; a TemplateError names template, line and person."""
        context = {
            "contact": contact,
            "goal": self._fields("goal", goal),
            "me": self._fields("me", me),
            "today": today,
            "last": Fields("last", last) if last is not None else None,
            "note": note or None,
            "thread": Fields("thread", thread) if thread is not None else None,
            "given": [Fields("given", entry) for entry in given],
        }
        # One render may take RENDER_SECONDS; all the renders of the template in one command
        # together RENDER_SECONDS and SECONDS_PER_PERSON each, so that a template that runs
        # just under the limit costs that once, not once a person.
        self._seconds_left += SECONDS_PER_PERSON
        seconds = min(RENDER_SECONDS, self._seconds_left)
        if self._spent_at is not None or seconds <= 0:
            raise TemplateError(Problem(at(self._where, self._spent_at), self._spent(who)))
        self._env.budget.made = 0
        started = time.monotonic()
        try:
            with _Watch(seconds):
                return self._render(context, who)
        except _TooLong as error:
            line = self._stopped_line(error)
            if seconds < RENDER_SECONDS:
                self._spent_at = line
                message = self._spent(who)
            else:
                message = (
                    f"rendering for {who} took more than {RENDER_SECONDS:g} s and was stopped: "
                    "does a loop run for too long?"
                )
            raise TemplateError(Problem(at(self._where, line), message)) from None
        except _TooMuchMemory as error:
            raise TemplateError(
                Problem(
                    at(self._where, self._stopped_line(error)),
                    f"rendering for {who} took more than {MAX_MEMORY // 2**20} MB of memory and "
                    "was stopped: does a loop make too much?",
                )
            ) from None
        finally:
            self._seconds_left -= time.monotonic() - started

    def _fields(self, label: str, values: Mapping[str, Any]) -> Fields:
        """The Fields of a mapping every render of a command is given (the goal, `me`): made
        once, not for each person; templates cannot change them (the sandbox is immutable)."""
        made = self._shared_fields.get(label)
        if made is None or made[0] is not values:
            made = self._shared_fields[label] = (values, Fields(label, values))
        return made[1]

    def _spent(self, who: str) -> str:
        return (
            f"rendering for {who} was stopped: this template's renders took more than "
            f"{RENDER_SECONDS:g} s and {SECONDS_PER_PERSON * 1000:g} ms a person in all: "
            "does a loop run for too long?"
        )

    def _stopped_line(self, error: BaseException) -> int | None:
        # Jinja rewrites tracebacks of Exceptions only: map the generated code's line.
        raw = self._line(error.__traceback__)
        running = self._running
        return running.get_corresponding_lineno(raw) if raw and running else None

    def _render(self, context: dict[str, Any], who: str) -> Rendered:
        subject_line = self.template.subject_line
        raw_subject = self._run(self._subject, context, who)
        if has_line_break(raw_subject):
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
        body = words.wrap(self._run(self._body, context, who).strip("\n") + "\n")
        if not body.strip():
            raise TemplateError(
                Problem(at(self._where, self.template.body_line), f"the message is empty for {who}")
            )
        return Rendered(subject, body, self._render_attachments(context, who))

    def _render_attachments(self, context: dict[str, Any], who: str) -> tuple[str, ...]:
        paths = []
        line = self.template.attachments_line
        for compiled in self._attachments:
            path = self._run(compiled, context, who).strip()
            if not path or has_line_break(path) or CONTROL.search(path):
                raise TemplateError(
                    Problem(
                        at(self._where, line),
                        f"an attachment's path is empty or not one line for {who}",
                    )
                )
            paths.append(path)
        return tuple(paths)

    def _run(self, compiled: jinja2.Template, context: dict[str, Any], who: str) -> str:
        self._running = compiled
        try:
            return self._generate(compiled, context, who)
        except SecurityError as error:
            line = self._line(error.__traceback__)
            reason = str(error.message or error).rstrip(".")
            if isinstance(error, TooLarge):  # sizes may come from the person's own fields
                reason += f" (for {who})"
            raise TemplateError(
                Problem(at(self._where, line), f"not allowed in a template: {reason}")
            ) from None
        except NotText as error:
            line = self._line(error.__traceback__)
            if error.via is None:
                what = f"{self._expression_on(line)} is"
            else:
                what = f"{error.via} is given"
            raise TemplateError(
                Problem(
                    at(self._where, line),
                    f"{what} {error.description}, not text, for {who}: {error.hint}",
                )
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

    def _generate(self, compiled: jinja2.Template, context: dict[str, Any], who: str) -> str:
        """The rendered text, read in chunks and stopped where it passes MAX_MESSAGE characters
        (Template.render's own steps, with the text measured as it comes)."""
        pieces: list[str] = []
        length = 0
        try:
            stream = compiled.root_render_func(compiled.new_context(context))
            while chunk := list(itertools.islice(stream, _CHUNK)):
                length += sum(map(len, chunk))
                if length > MAX_MESSAGE:
                    raise TemplateError(self._too_long(compiled, stream, who))
                pieces += chunk
        except Exception:
            self._env.handle_exception()  # Jinja's traceback, with the template's own lines
        return "".join(pieces)

    def _too_long(self, compiled: jinja2.Template, stream: Any, who: str) -> Problem:
        frame = getattr(stream, "gi_frame", None)  # where the template's code stands
        line = compiled.get_corresponding_lineno(frame.f_lineno) if frame else None
        stream.close()
        what = "subject" if compiled is self._subject else "message"
        return Problem(
            at(self._where, line),
            f"the {what} is longer than {MAX_MESSAGE:,} characters for {who}: "
            "does a loop print too much?",
        )

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


def _unfixed(tree: jinja_nodes.Template) -> bool:
    """Whether the template's output may differ for the same inputs: Jinja's `random`
    filter, and `lipsum` (random words)."""
    return any(node.name == "random" for node in tree.find_all(jinja_nodes.Filter)) or any(
        node.name == "lipsum" for node in tree.find_all(jinja_nodes.Name)
    )


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
