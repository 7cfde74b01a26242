"""What a template may make: limits on the size of the values a render builds, checked where the
sandbox builds them, and which values have a text to print.

A template may come from someone else. Jinja's sandbox keeps it away from Python itself, not from
making a string of a billion characters (`'a'|center(10**9)`), so every way a template makes a
value is checked here: before the work, where the size follows from the arguments (a width, a
separator times the items), and after it, on the value made. Sizes count characters of text and
items of lists, with what a list holds (a list of 100 texts of 1,000 characters is 100,100).
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import date, time
from typing import Any

import jinja2
import jinja2.runtime
import jinja2.utils
from jinja2.exceptions import SecurityError

MAX_VALUE = 100_000  # characters or items in one value a template makes
MAX_MADE = 1_000_000  # characters and items one render makes in all
MAX_MESSAGE = 100_000  # characters of a rendered subject or body
MAX_DIGITS = 1_000  # digits of a number a template makes
_MAX_BITS = int(MAX_DIGITS * 3.33)


class TooLarge(SecurityError):
    """A template would make a value past a limit (a SecurityError: the sandbox refuses it)."""


class NotText(Exception):
    """A value without a text of its own (a method, a list ...) was to become text."""

    def __init__(self, description: str, hint: str, via: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.hint = hint
        self.via = via  # what made text of it ('~', join ...), or None where it was printed


def too_large(what: str) -> TooLarge:
    return TooLarge(f"{what} would make a value of more than {MAX_VALUE:,} characters or items")


def size(value: Any, limit: int = MAX_VALUE) -> int:
    """Characters and items in a value, counting what a list or mapping holds.

    Counting stops once past `limit`, so a huge value costs no more than a value at the limit.
    Other objects (numbers, dates) count as nothing beyond their place in a list.
    """
    kind = type(value)
    if kind is str or kind is bytes:
        return len(value)
    total = 0
    stack = [value]
    pop = stack.pop
    extend = stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is bytes or kind is bytearray:
            total += len(item)
        elif kind is list or kind is tuple or kind is set or kind is frozenset:
            total += len(item)
            if total > limit:
                return total
            extend(item)
        elif isinstance(item, dict):
            total += len(item)
            if total > limit:
                return total
            extend(item.keys())
            extend(item.values())
        elif isinstance(item, str):  # Markup
            total += len(item)
        elif isinstance(item, (list, tuple)):  # a named tuple, such as groupby's
            total += len(item)
            if total > limit:
                return total
            extend(item)
        if total > limit:
            return total
    return total


class Budget:
    """What one render has made so far; reset before each render."""

    def __init__(self) -> None:
        self.made = 0

    def expect(self, bound: int, what: str) -> None:
        """Refuse work that would make more than a render may make at all (`bound` is the most
        it could make), before any of it is done."""
        if bound > MAX_MADE:
            raise too_large(what)

    def arguments(self, args: Iterable[Any], what: str) -> None:
        for argument in args:
            if type(argument) is str and len(argument) <= MAX_VALUE:
                continue  # the common case, quickly
            if size(argument) > MAX_VALUE:
                raise TooLarge(
                    f"{what} is given a value of more than {MAX_VALUE:,} characters or items"
                )

    def expect_digits(self, bits: int, what: str) -> None:
        """Refuse a number past MAX_DIGITS (`bits`: at most its length in bits)."""
        if bits > _MAX_BITS:
            raise TooLarge(f"{what} would make a number of more than {MAX_DIGITS:,} digits")

    def made_value(self, value: Any, what: str) -> Any:
        """Count a value made, and refuse it past the limits."""
        made = size(value)
        if made > MAX_VALUE:
            raise TooLarge(f"{what} makes a value of more than {MAX_VALUE:,} characters or items")
        if isinstance(value, int) and not isinstance(value, bool):
            self.expect_digits(value.bit_length(), what)
        self.made += made
        if self.made > MAX_MADE:
            raise TooLarge(f"the template makes more than {MAX_MADE:,} characters or items in all")
        return value


# --- which values have a text of their own ---------------------------------------------------


def _describe(value: Any) -> tuple[str, str]:
    """What a value is, for an error, and what to write instead."""
    if isinstance(value, bool):
        return "true or false", "test it with {% if %} instead of printing it"
    if isinstance(value, (list, tuple, set, frozenset, range)):
        return "a list", "print its items with join(', ') or join_or"
    if isinstance(value, Mapping):
        return "a set of fields", "print one of its fields"
    if isinstance(value, (bytes, bytearray)):
        return "bytes", "decode them with .decode()"
    if isinstance(value, jinja2.utils.Namespace):
        return "a namespace", "print one of its fields"
    if isinstance(value, jinja2.runtime.Macro):
        return "a macro", "call it with ()"
    if isinstance(value, type):
        return "a Python class", "print a value instead"
    if isinstance(value, types.ModuleType):
        return "a Python module", "print a value instead"
    if isinstance(value, (types.MethodType, types.BuiltinMethodType, types.MethodWrapperType)):
        return "a method", "call it with ()"
    if callable(value):
        return "a function", "call it with ()"
    if isinstance(value, Iterable):
        return "a sequence of values", "print its items with join(', ') or join_or"
    return f"a Python object ({type(value).__name__})", "print a value instead"


def is_text(value: Any) -> bool:
    """Text, a number or a date: what prints as itself."""
    return isinstance(value, (str, int, float, date, time)) and not isinstance(value, bool)


def as_text(value: Any, via: str | None = None) -> Any:
    """The value, if it is text, a number or a date; else NotText saying what it is."""
    if is_text(value) or isinstance(value, jinja2.Undefined):
        return value
    description, hint = _describe(value)
    raise NotText(description, hint, via)


def convertible(value: Any, via: str) -> Any:
    """The value, if nothing in it lacks a text of its own: lists and true or false turn into
    Python's spelling of them where a template asks (`string`, `%`, `format`), functions and
    other Python objects never."""
    stack = [value]
    while stack:
        item = stack.pop()
        if is_text(item) or item is None or isinstance(item, (bool, jinja2.Undefined)):
            continue
        if isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            description, hint = _describe(item)
            raise NotText(description, hint, via)
    return value


# --- how much work would make, from its arguments ---------------------------------------------


def _index(value: Any) -> int:
    return int(value.__index__())


def _text_size(value: Any) -> int:
    """At most how long str(value) is, near enough: a repr escapes a character to ten at most."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    if isinstance(value, float):
        return 25
    return 10 * size(value, MAX_MADE) + 4


_PRINTF = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)


def printf_bound(form: str, values: Any) -> int:
    """At most how long `form % values` is: its widths and precisions, and its values' texts."""
    positional = list(values) if isinstance(values, tuple) else [values]
    bound = len(form)
    for match in _PRINTF.finditer(form):
        _, width, precision, conversion = match.groups()
        if conversion == "%":
            continue
        for number in (width, precision):
            if number == "*":
                number = positional.pop(0) if positional else 0
            bound += _index(int(number)) if number else 0
        bound += 400  # a number's digits
    if isinstance(values, Mapping):
        bound += sum(_text_size(v) for v in values.values())
    else:
        bound += sum(_text_size(v) for v in (values if isinstance(values, tuple) else [values]))
    return bound


_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[a-zA-Z%]?", re.DOTALL)


def format_spec_bound(spec: str) -> int:
    """The width and precision a format spec asks for (`{:>100}`): what it adds at most."""
    match = _FORMAT_SPEC.fullmatch(spec)
    if match is None:
        return len(spec)
    width, precision = match.groups()
    return int(width or 0) + int(precision or 0) + len(spec)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _text_method_bound(owner: str | bytes, name: str, args: tuple[Any, ...]) -> int | None:
    """At most how much a method of a text would make, for the methods that can make more
    than a few times what they are given; None for the others."""
    length = len(owner)
    if name in ("center", "ljust", "rjust", "zfill"):
        return max(length, _index(args[0]))
    if name == "expandtabs":
        tab = _index(args[0]) if args else 8
        tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
        return length + tabs * max(tab, 0)
    if name == "replace":
        old, new = args[0], args[1]
        count = owner.count(old) if old else length + 1
        if len(args) > 2 and _index(args[2]) >= 0:
            count = min(count, _index(args[2]))
        return length + count * max(len(new) - len(old), 0)
    if name == "join":
        items = args[0]
        return sum(_text_size(item) for item in items) + length * max(len(items) - 1, 0)
    if name == "translate" and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, (str, bytes))), default=1)
        return length * max(longest, 1)
    return None


def call_bound(function: Any, args: tuple[Any, ...]) -> int | None:
    """At most how much calling a method a template reaches would make, where that can be far
    more than its arguments hold: a text's center, ljust, rjust, zfill, expandtabs, replace,
    join and translate, and an int's to_bytes."""
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", "")
    try:
        if isinstance(owner, (str, bytes)) and not isinstance(owner, type):
            return _text_method_bound(owner, name, args)
        if isinstance(owner, int) and name == "to_bytes":
            return _index(args[0]) if args else 1
    except (TypeError, ValueError, IndexError, AttributeError):
        return None  # the call itself says what is wrong with its arguments
    return None


# --- filters and globals that check what they make --------------------------------------------


def _center(value: Any, width: int = 80) -> int:
    return _text_size(value) + _index(width)


def _indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> int:
    text = str(s)
    step = len(width) if isinstance(width, str) else _index(width)
    return len(text) + _lines(text) * step


def _wordwrap(
    s: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> int:
    text = str(s)
    lines = _lines(text) + 2 * len(text) // max(_index(width), 1)
    return len(text) + lines * len(wrapstring or "\n")


def _format(value: Any, *args: Any, **kwargs: Any) -> int:
    return printf_bound(str(value), kwargs or args)


def _replace(s: Any, old: str, new: str, count: int | None = None) -> int:
    limit = -1 if count is None else count
    return _text_method_bound(str(s), "replace", (str(old), str(new), limit)) or 0


def _batch(value: Any, linecount: int, fill_with: Any = None) -> int:
    return _index(linecount) if fill_with is not None else 0


def _slice(value: Any, slices: int, fill_with: Any = None) -> int:
    return _index(slices)


def _urlize(
    value: Any,
    trim_url_limit: int | None = None,
    nofollow: bool = False,
    target: str | None = None,
    rel: str | None = None,
    extra_schemes: Iterable[str] | None = None,
) -> int:
    text = str(value)
    per_link = 60 + len(target or "") + len(rel or "")
    return 12 * len(text) + (len(text) // 2 + 1) * per_link


# The filters that can make far more than they are given: at most how much, from the same
# arguments as the filter (without the environment or context Jinja passes some of them).
_FILTER_BOUNDS: dict[str, Callable[..., int]] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "format": _format,
    "replace": _replace,
    "batch": _batch,
    "slice": _slice,
    "urlize": _urlize,
}

# The filters that make text of the value they are given: a function or a Python object never
# becomes text through them. join and join_or take text, numbers and dates only, as printing does.
_MAKES_TEXT = frozenset(
    {
        *("capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower"),
        *("pprint", "replace", "safe", "string", "striptags", "title", "trim", "truncate"),
        *("upper", "urlencode", "urlize", "wordcount", "wordwrap"),
    }
)
_JOINS = frozenset({"join", "join_or"})


def checked_filter(name: str, function: Callable[..., Any], budget: Budget) -> Callable[..., Any]:
    """A filter that refuses to make a value past the limits, and to make text of a Python
    object; it keeps the filter's way of being called (Jinja's pass_context and the like)."""
    import functools

    passes_first = getattr(function, "jinja_pass_arg", None) is not None
    bound = _FILTER_BOUNDS.get(name)
    what = f"the filter {name}"

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        given = args[1:] if passes_first else args
        budget.arguments(given, what)
        budget.arguments(kwargs.values(), what)
        if given:
            value = given[0]
            if name in _JOINS and not isinstance(value, (str, Mapping)):
                items = list(value)  # a sequence from map or select is read once, here
                if len(given) > 1 or kwargs.get("d") is not None:
                    separator = str(given[1] if len(given) > 1 else kwargs["d"])
                    budget.expect(len(separator) * len(items), what)
                budget.arguments([items], what)
                for item in items:
                    as_text(item, name)
                args = (*args[: len(args) - len(given)], items, *given[1:])
            elif name in _MAKES_TEXT:
                convertible(value, name)
            if name == "sum" and not isinstance(value, (str, Mapping)):
                items = list(value)
                budget.expect(sum(size(i) for i in items) + size(kwargs.get("start", 0)), what)
                args = (*args[: len(args) - len(given)], items, *given[1:])
            if bound is not None:
                try:
                    most = bound(*given, **kwargs)
                except (TypeError, ValueError, AttributeError):
                    most = 0  # the filter itself says what is wrong with its arguments
                budget.expect(most, what)
        return budget.made_value(function(*args, **kwargs), what)

    return checked


def checked_lipsum(budget: Budget) -> Callable[..., Any]:
    from jinja2.utils import generate_lorem_ipsum

    def lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Any:
        words = _index(n) * builtins_max(_index(min), _index(max))
        budget.expect(words * 13, "lipsum()")
        return budget.made_value(generate_lorem_ipsum(n, html, min, max), "lipsum()")

    return lipsum


builtins_max = max


def checked_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_VALUE:
        raise TooLarge(f"range() would make more than {MAX_VALUE:,} numbers")
    return numbers
