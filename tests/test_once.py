"""Each command compiles each template once and opens the journal once: counted in-process,
by wrapping the constructors of the Renderer (one compile of a template's subject and body)
and of the Journal (one connection, its migrations checked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from outreach.composing.renderer import Renderer
from outreach.journal.database import Journal
from tests.conftest import Invoke

SHIPPED = ("check-in", "follow-up", "request", "thank-you")


@dataclass
class Counts:
    compiled: Counter[str] = field(default_factory=Counter)  # by template name
    journal_opened: int = 0

    def clear(self) -> None:
        self.compiled.clear()
        self.journal_opened = 0


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    found = Counts()
    compile_template: Callable[..., None] = Renderer.__init__
    open_journal: Callable[..., None] = Journal.__init__

    def counting_renderer(self: Renderer, template: Any) -> None:
        found.compiled[template.name] += 1
        compile_template(self, template)

    def counting_journal(self: Journal, path: Path) -> None:
        found.journal_opened += 1
        open_journal(self, path)

    monkeypatch.setattr(Renderer, "__init__", counting_renderer)
    monkeypatch.setattr(Journal, "__init__", counting_journal)
    yield found


@pytest.fixture
def logged(run: Invoke, counts: Counts) -> Counts:
    """A journal with a meeting and a reply in it, so that every command has one to read."""
    for person, kind in (("grace", "met"), ("mei", "replied")):
        result = run("log", "add", person, kind, "--on", "-10d", "--note", "portfolio reviews")
        assert result.exit_code == 0, result.output
    counts.clear()
    return counts


def test_check_compiles_each_template_once(run: Invoke, counts: Counts) -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    assert counts.compiled == Counter(SHIPPED)


def test_a_planned_request_compiles_once_and_opens_the_journal_once(
    run: Invoke, workspace: Path, logged: Counts
) -> None:
    result = run("draft", "request", "--plan")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (workspace / "drafts").glob("*.md")) == [
        "ada-lovelace--request.md",
        "jose-nunez--request.md",
    ]
    assert logged.compiled == Counter(["request"])
    assert logged.journal_opened == 1


@pytest.mark.parametrize(
    "command",
    [
        ("check",),
        ("templates", "check"),
        ("templates", "list"),
        ("templates", "preview", "thank-you", "--to", "grace"),
        ("draft", "request", "--plan"),
        ("draft", "request", "ada", "jose"),
        ("draft", "follow-up", "ada"),
        ("draft", "thank-you", "--due"),
        ("thank", "grace"),
        ("plan",),
        ("due",),
        ("contacts",),
        ("drafts",),
    ],
)
def test_each_command_compiles_each_template_once_and_opens_the_journal_once(
    run: Invoke, logged: Counts, command: tuple[str, ...]
) -> None:
    result = run(*command)
    assert result.exit_code == 0, result.output
    assert all(times == 1 for times in logged.compiled.values()), logged.compiled
    assert logged.journal_opened <= 1


def test_a_review_opens_the_journal_once(run: Invoke, logged: Counts) -> None:
    assert run("draft", "request", "ada", "jose").exit_code == 0
    logged.clear()
    result = run("review", input="a\ns\n")
    assert result.exit_code == 0, result.output
    assert "Next: outreach send --dry-run" in result.output
    assert logged.journal_opened == 1
