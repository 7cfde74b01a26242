"""The house: the package's folders are the layers docs/architecture.md lists, every import
(at module level, inside a function, under TYPE_CHECKING) goes down that order, and no module
imports itself through others."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "outreach"
DOC = ROOT / "docs" / "architecture.md"
_LAYERS_BLOCK = re.compile(r"^```layers[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


class Import(NamedTuple):
    importer: str
    imported: str
    importer_room: str | None  # None: a module of the package's own folder
    imported_room: str | None
    file: str  # the importer's, from the folder that holds the package
    line: int


def layer_order(doc: str) -> dict[str, int]:
    """Each room's level, from the doc's ```layers block: one line per level, bottom first."""
    found = _LAYERS_BLOCK.search(doc)
    assert found, "docs/architecture.md has no ```layers block"
    lines = [line.split() for line in found.group(1).splitlines() if line.strip()]
    return {room: level for level, rooms in enumerate(lines) for room in rooms}


def modules(package: Path) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def room(package: Path, path: Path) -> str | None:
    """The room (the package's folder) a module is in; None for the package's own modules."""
    parts = path.relative_to(package).parts
    return parts[0] if len(parts) > 1 else None


def imports(package: Path) -> list[Import]:
    """Every import of one of the package's modules by another, wherever it is written.

    `from a import b` imports the module a.b where there is one, else the module a."""
    known = modules(package)
    found = []
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _targets(node, name, is_package, known):
                if target in known and target != name:
                    file = path.relative_to(package.parent).as_posix()
                    rooms = room(package, path), room(package, known[target])
                    found.append(Import(name, target, *rooms, file, node.lineno))
    return list(dict.fromkeys(found))  # `from a import b, c` names a once


def _targets(
    node: ast.AST, name: str, is_package: bool, known: Mapping[str, Path]
) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            here = name.split(".") if is_package else name.split(".")[:-1]
            here = here[: len(here) - (node.level - 1)]
            base = ".".join([*here, *([node.module] if node.module else [])])
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            yield submodule if submodule in known else base


def misplaced(package: Path, order: Mapping[str, int]) -> list[str]:
    """Rooms the doc lists that are not folders, and modules in no room the doc lists.

    Only the package's __init__ (the version) and __main__ (`python -m`) are in no room."""
    folders = {p.parent.name for p in package.glob("*/__init__.py")}
    problems = [f"the layers list {r}, and there is no {r}/" for r in order if r not in folders]
    for name, path in modules(package).items():
        where = room(package, path)
        if where is None and path.name not in ("__init__.py", "__main__.py"):
            problems.append(f"{name} is in no room: move it into one the layers list")
        elif where is not None and where not in order:
            problems.append(f"{name} is in {where}/, which the layers do not list")
    return problems


def against_the_order(found: Sequence[Import], order: Mapping[str, int]) -> list[str]:
    """Imports of a room above, or of a sibling on the same line."""
    problems = []
    for imp in found:
        low, high = imp.imported_room, imp.importer_room
        if low is None or high is None or low not in order or high not in order or low == high:
            continue  # the version, `python -m`, or a module misplaced() reports
        if order[low] > order[high]:
            why = f"{low}/ is above {high}/"
        elif order[low] == order[high]:
            why = f"{low}/ and {high}/ are siblings"
        else:
            continue
        problems.append(f"{imp.file}:{imp.line} imports {imp.imported}: {why}")
    return problems


def circles(found: Sequence[Import]) -> list[str]:
    """Each group of modules that import each other, directly or through others (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        graph.setdefault(imp.importer, set()).add(imp.imported)
        graph.setdefault(imp.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle(graph, group) for group in groups]


def _circle(graph: Mapping[str, set[str]], group: Sequence[str]) -> str:
    way = _cycle(graph, group)
    others = [member for member in group if member not in way]
    return " -> ".join(way) + (f" (and through {', '.join(others)})" if others else "")


def _cycle(graph: Mapping[str, set[str]], group: Sequence[str]) -> list[str]:
    """One way round the group, from its first module back to it."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no way round {group}")  # a strongly connected group always has one


def init_imports(found: Sequence[Import]) -> list[str]:
    """A package's __init__ imports nothing, but the CLI's its command modules."""
    return [
        f"{imp.file}:{imp.line} imports {imp.imported}"
        for imp in found
        if imp.file.endswith("/__init__.py")
        and not (imp.importer_room == imp.imported_room == "cli")
    ]


def _layers() -> dict[str, int]:
    return layer_order(DOC.read_text(encoding="utf-8"))


def test_the_rooms_in_the_doc_are_the_package_folders() -> None:
    problems = misplaced(PACKAGE, _layers())
    assert not problems, "\n".join(problems)


def test_every_import_follows_the_layer_order() -> None:
    problems = against_the_order(imports(PACKAGE), _layers())
    assert not problems, "\n".join(problems)


def test_no_module_imports_itself_through_others() -> None:
    problems = circles(imports(PACKAGE))
    assert not problems, "\n".join(problems)


def test_package_init_files_import_nothing() -> None:
    problems = init_imports(imports(PACKAGE))
    assert not problems, "\n".join(problems)


def test_the_checks_find_a_misplaced_module_an_upward_import_and_a_circle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    files = {
        "__init__.py": "",
        "flat.py": "",
        "low/__init__.py": "from pkg.low import a\n",
        "low/a.py": "def f():\n    from pkg.high import b\n",
        "high/__init__.py": "",
        "high/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import c\n",
        "high/c.py": "import pkg.high.b\nfrom pkg.low import a\n",
        "high/e.py": "from pkg.high import c\n",
        "side/__init__.py": "",
        "side/d.py": "from pkg.high.c import x\n",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    order = layer_order("```layers\nlow\nhigh side\ngone\n```\n")
    found = imports(package)

    assert misplaced(package, order) == [
        "the layers list gone, and there is no gone/",
        "pkg.flat is in no room: move it into one the layers list",
    ]
    assert against_the_order(found, order) == [
        "pkg/low/a.py:2 imports pkg.high.b: high/ is above low/",
        "pkg/side/d.py:1 imports pkg.high.c: high/ and side/ are siblings",
    ]
    assert circles(found) == ["pkg.high.b -> pkg.high.c -> pkg.high.b (and through pkg.low.a)"]
    assert init_imports(found) == ["pkg/low/__init__.py:1 imports pkg.low.a"]


# What a test file may import of the tests folder (see tests/helpers.py): never another test file.
SHARED_TEST_MODULES = (
    "helpers",
    "conftest",
    "smtp_server",
    "imap_server",
    "terminal",
    "readme_help",
)


def imports_between_test_files(files: Sequence[Path]) -> list[str]:
    """Where a file of the tests folder imports a test file rather than a shared module."""
    problems = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests."):
                name = (node.module or "").removeprefix("tests.")
                if name not in SHARED_TEST_MODULES:
                    problems.append(f"{path.name}:{node.lineno} imports tests.{name}")
    return problems


def test_test_files_share_helpers_and_never_import_each_other(tmp_path: Path) -> None:
    problems = imports_between_test_files(sorted((ROOT / "tests").glob("*.py")))
    assert not problems, "\n".join(problems)
    borrowing = tmp_path / "test_b.py"
    borrowing.write_text("def f():\n    from tests.test_a import helper\n")
    assert imports_between_test_files([borrowing]) == ["test_b.py:2 imports tests.test_a"]
