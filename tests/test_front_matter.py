r"""Front matter split by python-frontmatter's handler, with outreach's boundary and lines.

The library's own boundary (`^-{3,}\s*$`) runs over the blank lines after a `---`: the
tests marked so pin what it would get wrong, and why outreach gives the handler its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from outreach.drafts.draft import parse_draft
from outreach.support.errors import TemplateError
from outreach.support.files import read_text
from outreach.support.front_matter import split, split_plain
from outreach.workspace.goal import parse_goal
from outreach.workspace.templates import parse_template
from tests.conftest import Invoke
from tests.helpers import in_fresh_python


@pytest.mark.parametrize(
    ("text", "front", "body", "body_line"),
    [
        pytest.param("---\nkind: x\n---\nHi\n", "kind: x\n", "Hi\n", 4, id="plain"),
        pytest.param("---\r\nkind: x\r\n---\r\nHi\r\n", "kind: x\r\n", "Hi\r\n", 4, id="crlf"),
        pytest.param("---\n---\nHi\n", "", "Hi\n", 3, id="empty-front-matter"),
        pytest.param("---  \nkind: x\n---\t\nHi", "kind: x\n", "Hi", 4, id="blanks-after"),
        pytest.param("---\nkind: x\n---", "kind: x\n", "", 4, id="no-body"),
        pytest.param(
            "---\nkind: x\n---\nHi\n---\nnot: front matter\n---\n",
            "kind: x\n",
            "Hi\n---\nnot: front matter\n---\n",
            4,
            id="body-with-dashes",
        ),
        # The library's own boundary would take these blank lines with the `---` lines.
        pytest.param("---\n\nkind: x\n---\n\n\nHi\n", "\nkind: x\n", "\n\nHi\n", 5, id="blanks"),
    ],
)
def test_the_split(text: str, front: str, body: str, body_line: int) -> None:
    parts = split(text)
    assert (parts.front, parts.body, parts.front_line, parts.body_line) == (
        front,
        body,
        2,
        body_line,
    )
    assert split_plain(text) == parts  # drafts, split without PyYAML, the same way


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("kind: x\n---\nHi\n", id="none"),
        pytest.param("---\nkind: x\nHi\n", id="unclosed"),
        pytest.param("---", id="only-dashes"),
        pytest.param("\n---\nkind: x\n---\nHi\n", id="not-on-line-1"),
        pytest.param("\ufeff---\nkind: x\n---\nHi\n", id="bom-left-in"),
        # Neither a longer line of dashes: the library's own boundary takes it.
        pytest.param("-----\nkind: x\n-----\nHi\n", id="five-dashes"),
    ],
)
def test_no_front_matter(text: str) -> None:
    parts = split(text)
    assert (parts.front, parts.body, parts.body_line) == (None, text, 1)
    assert split_plain(text) == parts


def test_a_file_that_starts_with_a_byte_order_mark_has_its_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_bytes("\ufeff---\nkind: thank-you\nsubject: Hi\n---\nThanks\n".encode())
    template = parse_template(read_text(path), path, 7)
    assert (template.kind, template.subject, template.body) == ("thank-you", "Hi", "Thanks\n")


def test_blank_lines_after_the_opening_keep_every_line_number(tmp_path: Path) -> None:
    text = "---\n\n\nkind: thank-you\nsubject: Hi\nsubjet: Hello\n---\nHi\n"
    with pytest.raises(TemplateError) as raised:
        parse_template(text, tmp_path / "t.md", 7)
    assert [p.where for p in raised.value.problems] == ["templates/t.md:6"]
    _, problems = parse_goal("---\n\nlooking_for: a role\nrequest: TODO\n---\nStory\n")
    assert "goal.md:4" in [p.where for p in problems]


def test_a_draft_keeps_the_blank_lines_that_open_its_body(tmp_path: Path) -> None:
    text = "---\nsubject: Hi\n---\n\n\nHi Ada,\n"
    assert parse_draft(tmp_path / "ada--x.md", text).body == "\n\nHi Ada,\n"


def test_reading_drafts_loads_no_yaml(workspace: Path, run: Invoke) -> None:
    # Drafts hold no YAML: listing them must not pay for PyYAML (or python-frontmatter).
    assert run("draft", "request", "ada").exit_code == 0
    script = (
        "import sys\n"
        "from outreach.drafts.draft import list_drafts\n"
        "from pathlib import Path\n"
        f"drafts = list_drafts(Path({str(workspace / 'drafts')!r}))\n"
        "assert [d.status for d in drafts] == ['draft']\n"
        "assert 'yaml' not in sys.modules and 'frontmatter' not in sys.modules\n"
    )
    in_fresh_python(script)
