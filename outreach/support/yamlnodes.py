"""YAML read as nodes, so that every value keeps the line it came from.

PyYAML's C parser composes the node tree quickly; the loaders of this package
turn nodes into typed values themselves, which gives them line numbers and the
raw text of every scalar (so `yes` can be told apart from `true`).
Aliases are refused: nothing here needs them, and they are how a small file
expands into an enormous one. So is nesting deeper than anyone writes by hand:
libyaml's composer recurses, and a few thousand `[` crash the interpreter.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from outreach.support.errors import OutreachError, Problem, at
from outreach.support.text import escaped, printable

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

STR = "tag:yaml.org,2002:str"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
TIMESTAMP = "tag:yaml.org,2002:timestamp"

Node = yaml.Node
ScalarNode = yaml.ScalarNode
MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode


def line_of(node: yaml.Node, first_line: int = 1) -> int:
    """The 1-based line a node starts on; first_line shifts it for embedded YAML."""
    return int(node.start_mark.line) + first_line


MAX_DEPTH = 64
# A line starting with this many spaces, dashes or question marks could open that many
# block collections; anything shorter cannot nest that deep by indentation alone.
_DEEP_PREFIX = rf"[ \t?-]{{{MAX_DEPTH}}}"
_DEEP_TEXT = (_DEEP_PREFIX, "\n" + _DEEP_PREFIX, r"[\[\]{}]")  # first line, any line, brackets
# The same patterns for text and for its UTF-8 bytes.
_DEEP_PATTERNS: dict[type, tuple[re.Pattern[Any], ...]] = {
    str: tuple(re.compile(pattern) for pattern in _DEEP_TEXT),
    bytes: tuple(re.compile(pattern.encode("ascii")) for pattern in _DEEP_TEXT),
}
_BOM = codecs.BOM_UTF8


def compose(text: str, filename: str, first_line: int = 1) -> yaml.Node | None:
    """The node tree of one YAML document, or None for an empty one."""
    if _may_nest_deeply(text):
        _refuse_deep_nesting(text, filename, first_line)
    with _as_problems(text, filename, first_line):
        root = yaml.compose(text, Loader=Loader)
    if root is not None and "&" in text:  # no anchor, no alias: the walk can be skipped
        _refuse_aliases(root, filename, first_line)
    return root


def compose_list(
    source: str | bytes, filename: str
) -> tuple[yaml.Node | None, Iterator[yaml.Node]]:
    """A document that should be a list, composed one item at a time from the parser's events.

    Returns the root and the items: the root is None for an empty document, the whole node
    for anything but a list (and no items), and for a list a SequenceNode left empty, whose
    items come from the iterator, each composed only when it is reached. So only one item's
    nodes (with their marks) live at a time, not the tree of the whole file: reading 100,000
    people this way takes a tenth of the memory. The same rules as `compose`: no aliases
    (refused where they appear), no deep nesting, one document, PyYAML's safe tags.

    `source` may be the file's bytes (UTF-8, checked by the caller): libyaml reads them where
    they are, where text would be held beside its UTF-8 copy while the file is parsed.
    """
    if _may_nest_deeply(source):
        _refuse_deep_nesting(_text(source), filename, 1)
    composer = _Composer(source)
    with _as_problems(source, filename, 1):
        root = composer.first()
    if not isinstance(root, yaml.SequenceNode):
        with _as_problems(source, filename, 1):
            composer.finish(root)
        return root, iter(())
    return root, _items(composer, root, source, filename)


def _text(source: str | bytes) -> str:
    """The text of a source given as bytes (for the rare paths that need it: errors)."""
    if isinstance(source, str):
        return source
    return source.decode("utf-8-sig", "replace")


def _items(
    composer: _Composer, root: yaml.SequenceNode, source: str | bytes, filename: str
) -> Iterator[yaml.Node]:
    with _as_problems(source, filename, 1):
        yield from composer.items()
        composer.finish(root)


@contextlib.contextmanager
def _as_problems(text: str | bytes, filename: str, first_line: int) -> Iterator[None]:
    """PyYAML's errors as the one-line problems of this project, with their lines."""
    try:
        yield
    except yaml.MarkedYAMLError as error:
        raise OutreachError(Problem(*_yaml_problem(error, filename, first_line))) from None
    except yaml.reader.ReaderError as error:
        problem = _reader_problem(error, _text(text), filename, first_line)
        raise OutreachError(Problem(*problem)) from None
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())  # one line, whatever the library wrote
        raise OutreachError(Problem(at(filename), f"invalid YAML: {reason}")) from None
    except _Alias as alias:
        raise OutreachError(Problem(at(filename, alias.line + first_line), ALIASES)) from None


ALIASES = "YAML anchors and aliases (&name, *name) are not supported here"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"


class _Alias(Exception):
    """An alias met while composing: `line` is the 0-based line of the node it names."""

    def __init__(self, line: int) -> None:
        self.line = line


class _Composer:
    """PyYAML's composer, over the C parser's events, resolving tags as the safe loader does.

    libyaml's own composer calls the Python resolver for every scalar, which is most of its
    time; here the resolver's table is read directly, with the same rules: a plain scalar
    takes the tag of the first implicit resolver (chosen by its first character) whose
    pattern matches it, anything else is text; a tag written in the file is kept.
    """

    def __init__(self, source: str | bytes) -> None:
        self.loader = Loader(source)
        self.next_event: Callable[[], Any] = self.loader.get_event
        self.anchors: dict[str, yaml.Node] = {}
        self.resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = (
            Loader.yaml_implicit_resolvers
        )
        self.wildcard = self.resolvers.get(None, [])

    def first(self) -> yaml.Node | None:
        """The root: a list's node without its items; any other node whole; None if empty."""
        self.next_event()  # the stream's start
        event = self.next_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        event = self.next_event()  # past the document's start
        if isinstance(event, yaml.SequenceStartEvent):
            root: yaml.SequenceNode = self._start(event, yaml.SequenceNode, SEQ)
            return root
        return self.node(event)

    def items(self) -> Iterator[yaml.Node]:
        while not isinstance(event := self.next_event(), yaml.SequenceEndEvent):
            yield self.node(event)

    def finish(self, root: yaml.Node | None) -> None:
        """The end of the document, and no second one after it."""
        if root is None:
            return
        self.next_event()  # the document's end
        event = self.next_event()
        if not isinstance(event, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                root.start_mark,
                "but found another document",
                event.start_mark,
            )

    def node(self, event: Any) -> yaml.Node:
        kind = type(event)
        if kind is yaml.ScalarEvent:
            tag = event.tag
            value = event.value
            if tag is None or tag == "!":
                tag = STR
                if event.implicit[0]:
                    for candidate, pattern in self.resolvers.get(value[:1], self.wildcard):
                        if pattern.match(value):
                            tag = candidate
                            break
            node: yaml.Node = yaml.ScalarNode(tag, value, event.start_mark, None, event.style)
            if event.anchor is not None:
                self._anchor(event, node)
            return node
        if kind is yaml.SequenceStartEvent:
            sequence: yaml.SequenceNode = self._start(event, yaml.SequenceNode, SEQ)
            append = sequence.value.append
            while type(child := self.next_event()) is not yaml.SequenceEndEvent:
                append(self.node(child))
            return sequence
        if kind is yaml.MappingStartEvent:
            mapping: yaml.MappingNode = self._start(event, yaml.MappingNode, MAP)
            append = mapping.value.append
            while type(child := self.next_event()) is not yaml.MappingEndEvent:
                append((self.node(child), self.node(self.next_event())))
            return mapping
        # An alias: the node it names, met a second time.
        named = self.anchors.get(event.anchor)
        if named is None:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        raise _Alias(int(named.start_mark.line))

    def _start(self, event: Any, kind: type[Any], default_tag: str) -> Any:
        tag = event.tag
        node = kind(default_tag if tag is None or tag == "!" else tag, [], event.start_mark)
        node.flow_style = event.flow_style
        if event.anchor is not None:
            self._anchor(event, node)
        return node

    def _anchor(self, event: Any, node: yaml.Node) -> None:
        first = self.anchors.get(event.anchor)
        if first is not None:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {event.anchor!r}; first occurrence",
                first.start_mark,
                "second occurrence",
                event.start_mark,
            )
        self.anchors[event.anchor] = node


def _yaml_problem(error: yaml.MarkedYAMLError, filename: str, first_line: int) -> tuple[str, str]:
    """Where and what: the line of the problem, and the line where what it was in began."""
    mark = error.problem_mark or error.context_mark
    line = int(mark.line) + first_line if mark is not None else None
    reason = error.problem or error.context or "not valid YAML"
    context = error.context_mark
    if error.problem and error.context and context is not None:
        started = int(context.line) + first_line
        if started != line:
            reason += f" ({error.context} that starts on line {started})"
    return at(filename, line), f"invalid YAML: {reason}"


def _reader_problem(
    error: yaml.reader.ReaderError, text: str, filename: str, first_line: int
) -> tuple[str, str]:
    """A character YAML does not allow (a raw control byte), with its line.

    The error's position counts characters in PyYAML's reader and UTF-8 bytes in libyaml's,
    so the line is found from the character itself: the reader stops at the first character
    it refuses, so no earlier copy of that character is in the text."""
    char = chr(error.character) if isinstance(error.character, int) else None
    found = text.find(char) if char else -1
    line = text.count("\n", 0, found) + first_line if found >= 0 else None
    if char is None:
        what = "a character"
    elif printable(char) != char:
        what = f"the control character {escaped(char)}"
    else:
        what = f"the character U+{ord(char):04X}"
    return at(filename, line), f"invalid YAML: {what} is not allowed in a YAML file; delete it"


def _may_nest_deeply(text: str | bytes) -> bool:
    """A cheap over-estimate: False means the text (or its UTF-8 bytes) cannot nest past
    MAX_DEPTH."""
    deep_first_line, deep_line, bracket = _DEEP_PATTERNS[type(text)]
    start = 0
    if isinstance(text, bytes):
        opening: str | bytes = b"[{"
        start = len(_BOM) if text.startswith(_BOM) else 0
    else:
        opening = "[{"
    if deep_first_line.match(text, start) or deep_line.search(text):
        return True
    if text.count(opening[:1]) + text.count(opening[1:]) <= MAX_DEPTH:  # type: ignore[arg-type]
        return False
    depth = 0
    for match in bracket.finditer(text):  # brackets inside quotes only over-count
        if match.group() in opening:
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif depth:
            depth -= 1
    return False


def _refuse_deep_nesting(text: str, filename: str, first_line: int) -> None:
    """Stop at the first level nested too deep, with its line, before the parser runs.

    Flow collections (`[[[…`) are counted by a small lexer of this module's own: libyaml
    looks far ahead inside them and, in its newer releases, refuses deep ones with words
    of its own before a single event comes back. Once flow nesting is known to be shallow,
    the parser's events (which do not recurse) count block and flow levels together."""
    line = _deep_flow_line(text)
    if line is None:
        line = _deep_event_line(text)
    if line is not None:
        raise OutreachError(
            Problem(
                at(filename, line + first_line),
                f"lists or mappings nested more than {MAX_DEPTH} levels deep "
                "are not supported here",
            )
        )


def _deep_event_line(text: str) -> int | None:
    depth = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            if isinstance(event, yaml.events.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return int(event.start_mark.line) if event.start_mark is not None else 0
            elif isinstance(event, yaml.events.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass  # compose reports it, with its line
    return None


_BLANKS = " \t\r\n"


def _deep_flow_line(text: str) -> int | None:
    """The 0-based line where `[` and `{` first nest past MAX_DEPTH, or None.

    It knows where a bracket is text rather than a collection: inside quotes, comments and
    block scalars, and in block context anywhere but where a value starts. An unclosed
    quote ends the count: the parser reports it."""
    depth = 0
    line = 0
    at_value = True  # a value may start here
    after_blank = True  # a '#' here starts a comment
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        following = text[i + 1] if i + 1 < end else "\n"
        if char == "\n":
            line += 1
            after_blank = True
            at_value = at_value or depth == 0
            i += 1
            continue
        if char in " \t\r":
            after_blank = True
            i += 1
            continue
        if char == "#" and after_blank:
            newline = text.find("\n", i)
            i = end if newline < 0 else newline
            continue
        after_blank = False
        if char in "\"'" and at_value:
            close = _quote_end(text, i)
            if close < 0:
                return None
            line += text.count("\n", i, close)
            i = close + 1
            at_value = False
            continue
        if char in "[{" and (depth or at_value):
            depth += 1
            if depth > MAX_DEPTH:
                return line
            at_value = True
        elif char in "]}" and depth:
            depth -= 1
            at_value = False
        elif _opens_value(char, following, depth):
            at_value = True
        elif char in "|>" and at_value and not depth:
            skipped = _block_scalar_end(text, i)
            line += text.count("\n", i, skipped)
            i = skipped
            continue
        elif char in "!&" and at_value:
            i = _token_end(text, i, depth)
            continue
        else:
            at_value = False
        i += 1
    return None


def _opens_value(char: str, following: str, depth: int) -> bool:
    """An indicator after which a value starts: a comma in flow context, `- `, `? `, `: `."""
    if char == ",":
        return depth > 0
    return char in "-?:" and (following in _BLANKS or (depth > 0 and following in ",[]{}"))


def _quote_end(text: str, start: int) -> int:
    """The index of the quote that closes the one at start, or -1."""
    quote = text[start]
    i = start + 1
    while True:
        i = text.find(quote, i)
        if i < 0:
            return -1
        if quote == "'":
            if text.startswith("''", i):  # '' is a quote inside single quotes
                i += 2
                continue
            return i
        backslashes = 0
        while text[i - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return i
        i += 1


def _block_scalar_end(text: str, start: int) -> int:
    """Where the block scalar (`|` or `>`) starting at start ends: the newline before the
    first non-blank line indented no deeper than the line that opened it."""
    line_start = text.rfind("\n", 0, start) + 1
    opener = text[line_start:start]
    indent = len(opener) - len(opener.lstrip(" "))
    i = text.find("\n", start)
    while i >= 0:
        next_start = i + 1
        next_end = text.find("\n", next_start)
        content = text[next_start : len(text) if next_end < 0 else next_end]
        if content.strip() and len(content) - len(content.lstrip(" ")) <= indent:
            return i
        i = next_end
    return len(text)


def _token_end(text: str, start: int, depth: int) -> int:
    """The end of a tag or an anchor: the next blank, or in flow context a flow indicator."""
    stops = _BLANKS + (",[]{}" if depth else "")
    i = start
    while i < len(text) and text[i] not in stops:
        i += 1
    return i


def _refuse_aliases(root: yaml.Node, filename: str, first_line: int) -> None:
    # An alias is the same node object met twice in the tree.
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise OutreachError(
                Problem(
                    at(filename, line_of(node, first_line)),
                    ALIASES,
                )
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def kind_of(node: yaml.Node) -> str:
    """A word for what a node holds, for messages: 'a list', 'a mapping', 'text'..."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return {
        BOOL: "true/false",
        NULL: "nothing",
        INT: "a number",
        FLOAT: "a number",
        TIMESTAMP: "a date",
    }.get(node.tag, "text")


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL


def scalar_text(node: yaml.Node) -> str | None:
    """The raw text of a scalar, or None for a list, a mapping or a null."""
    if isinstance(node, yaml.ScalarNode) and node.tag != NULL:
        return str(node.value)
    return None


TRUE_WORDS = frozenset({"true", "True", "TRUE"})
FALSE_WORDS = frozenset({"false", "False", "FALSE"})


def boolean(node: yaml.Node) -> bool | str:
    """True or False, or the reason the value is not a boolean."""
    text = scalar_text(node)
    if text is not None and node.tag in (BOOL, STR, INT):
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        if node.tag == BOOL:
            return f"'{text}' is not a boolean here: write true or false"
    return f"must be true or false, not {kind_of(node)}"


def plain_value(node: yaml.Node) -> object:
    """A scalar's value as a template would want it: str, int, float or bool."""
    text = str(node.value)
    if node.tag == INT:
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    if node.tag == FLOAT:
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    if node.tag == BOOL:
        return text in TRUE_WORDS or text.lower() in ("yes", "on", "y")
    return text
