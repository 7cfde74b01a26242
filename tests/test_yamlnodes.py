"""The nesting guard: its own count of flow levels, whatever the YAML library refuses itself."""

from __future__ import annotations

import random

import pytest
import yaml

from outreach.support import yamlnodes
from outreach.support.errors import OutreachError

DEEP = "nested more than 64 levels deep"


def parser_depth(text: str) -> int:
    """The deepest nesting of collections, counted from the pure-Python parser's events."""
    depth = deepest = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return deepest


def refusal(text: str) -> str | None:
    try:
        yamlnodes.compose(text, "contacts.yaml")
    except OutreachError as error:
        return str(error)
    return None


# Brackets that are text, not collections: more than 64 of them, so the guard looks closely.
TEXT_BRACKETS = [
    pytest.param("- name: Ada\n  notes: '" + "[" * 100 + "'\n", id="single-quoted"),
    pytest.param('- name: Ada\n  notes: "' + "{" * 100 + '\\" ["\n', id="double-quoted"),
    pytest.param("- name: Ada  # " + "[" * 100 + "\n", id="comment"),
    pytest.param("- name: Ada\n  notes: |\n    " + "[" * 100 + "\n    [[\n", id="literal-block"),
    pytest.param("- name: Ada\n  notes: >-\n\n    " + "{[" * 50 + "\n", id="folded-block"),
    pytest.param("- name: Ada\n  notes: a " + "[" * 100 + "\n", id="plain-text"),
    pytest.param("- name: Ada\n  notes: it's " + "[" * 100 + "\n", id="apostrophe"),
    pytest.param("- name: Ada\n  tags: ['" + "[" * 100 + '\', "]]"]\n', id="quoted-in-flow"),
]


@pytest.mark.parametrize("text", TEXT_BRACKETS)
def test_brackets_that_are_text_are_not_counted(text: str) -> None:
    assert parser_depth(text) < 64
    assert refusal(text) is None


DEEP_NESTING = [
    pytest.param("- deep: " + "[" * 65 + "]" * 65 + "\n", 1, id="lists"),
    pytest.param("- deep: " + "{a: " * 65 + "}" * 65 + "\n", 1, id="mappings"),
    pytest.param("- deep: !!seq &x " + "[" * 65 + "]" * 65 + "\n", 1, id="tag-and-anchor"),
    pytest.param("- a: 'x'\n  b: \"y\" # [\n  deep:\n    " + "[\n" * 65 + "]" * 65, 68, id="lines"),
    pytest.param("- deep: [" + "'[', " * 3 + "[" * 64 + "]" * 65 + "\n", 1, id="after-quotes"),
    pytest.param("- deep: " + '["a":' * 65 + "]" * 65 + "\n", 1, id="json-keys"),
    pytest.param("- deep: " + "[" * 100_000, 1, id="unclosed"),
]


@pytest.mark.parametrize(("text", "line"), DEEP_NESTING)
def test_deep_flow_nesting_is_refused_in_the_projects_own_words(text: str, line: int) -> None:
    message = refusal(text)
    assert message is not None
    assert message.startswith(f"contacts.yaml:{line}: ")
    assert DEEP in message


def flow_document(rng: random.Random, depth: int) -> str:
    """Flow collections nested `depth` deep, with quotes, comments and brackets inside strings."""
    if depth == 0:
        return rng.choice(["a", "'[x'", '"{y\\""', "'it''s ['", "b c", "1", "[]", "{}"])
    items = [flow_document(rng, min(depth - 1, 1)) for _ in range(rng.randint(0, 2))]
    items.insert(rng.randint(0, len(items)), flow_document(rng, depth - 1))
    if rng.random() < 0.5:
        return "[" + ", ".join(items) + "]"
    separator = ", # a [ comment\n " if rng.random() < 0.2 else ", "
    return "{" + separator.join(f"k{n}: {item}" for n, item in enumerate(items)) + "}"


def test_the_flow_count_agrees_with_the_parser() -> None:
    rng = random.Random(9)
    for _ in range(300):
        text = "- name: Ada\n  deep: " + flow_document(rng, rng.randint(55, 70)) + "\n"
        assert (yamlnodes._deep_flow_line(text) is not None) == (parser_depth(text) - 2 > 64), text


# --- compose_list: a list composed one item at a time, as libyaml's composer would ---------

LIST = """\
- name: Ada
  like: yes
  tags: [python, 3, 2.5, 2026-01-02, ~, '7', !!str 8, true]
  notes: |
    two
    lines
  nested: {a: [1, {b: null}]}
  "": empty key
- plain text
- [1, 2]
"""


def shape(node: yaml.Node) -> object:
    """A node's tag, line, style and children, to compare two composers."""
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.start_mark.line, node.value, node.style)
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, node.start_mark.line, [shape(item) for item in node.value])
    return (node.tag, node.start_mark.line, [(shape(k), shape(v)) for k, v in node.value])


def test_a_list_is_composed_item_by_item_into_the_nodes_libyaml_makes() -> None:
    whole = yamlnodes.compose(LIST, "contacts.yaml")
    root, items = yamlnodes.compose_list(LIST, "contacts.yaml")
    assert isinstance(whole, yaml.SequenceNode) and isinstance(root, yaml.SequenceNode)
    assert [shape(item) for item in items] == [shape(item) for item in whole.value]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "name: Ada\n", "just text\n"])
def test_anything_but_a_list_is_the_root_alone(text: str) -> None:
    whole = yamlnodes.compose(text, "contacts.yaml")
    root, items = yamlnodes.compose_list(text, "contacts.yaml")
    assert list(items) == []
    assert (root is None and whole is None) or shape(root) == shape(whole)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("- a: &x [1]\n- b: *x\n", 1, "anchors and aliases"),
        ("- a: 1\n- b: *nowhere\n", 2, "undefined alias"),
        ("- a: 1\n---\n- b: 2\n", 2, "another document"),
        ("- a: 1\n- b: [2\n", 3, "invalid YAML"),
    ],
)
def test_compose_list_refuses_what_compose_refuses(text: str, line: int, words: str) -> None:
    with pytest.raises(OutreachError) as raised:
        _, items = yamlnodes.compose_list(text, "contacts.yaml")
        list(items)
    assert f"contacts.yaml:{line}" in str(raised.value) and words in str(raised.value)
