"""email-validator's verdicts on domains are kept, so later runs need not load it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Invoke

VERDICTS = Path(".outreach") / "email-validator.json"

# Runs one command in a fresh process and says whether email-validator was loaded.
PROBE = """
import sys
from outreach.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit as stop:
    assert not stop.code, stop.code
print("loaded" if "email_validator" in sys.modules else "not loaded")
"""


def probe(workspace: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--workspace", str(workspace), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_a_later_command_takes_up_the_verdicts_instead_of_loading_the_library(
    run: Invoke, workspace: Path
) -> None:
    assert run("draft", "request", "ada-lovelace").exit_code == 0
    kept = json.loads((workspace / VERDICTS).read_text())
    assert kept["domains"]["example.org"] == ["example.org", "example.org"]
    assert "postmaster" in kept["mailbox_names"]
    assert probe(workspace, "drafts") == "not loaded"


def test_a_new_domain_is_asked_and_kept(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "ada-lovelace").exit_code == 0
    draft = workspace / "drafts" / "ada-lovelace--request.md"
    draft.write_text(draft.read_text().replace("ada@example.org", "ada@bücher.example"))
    assert probe(workspace, "drafts") == "loaded"
    kept = json.loads((workspace / VERDICTS).read_text())
    assert kept["domains"]["bücher.example"] == ["bücher.example", "xn--bcher-kva.example"]
    assert probe(workspace, "drafts") == "not loaded"


def test_verdicts_from_another_version_of_the_library_are_not_trusted(
    run: Invoke, workspace: Path
) -> None:
    assert run("draft", "request", "ada-lovelace").exit_code == 0
    kept = json.loads((workspace / VERDICTS).read_text())
    library = kept["library"]
    kept["library"] = '__version__ = "0.1"'
    (workspace / VERDICTS).write_text(json.dumps(kept))
    assert probe(workspace, "drafts") == "loaded"
    assert json.loads((workspace / VERDICTS).read_text())["library"] == library


def test_a_damaged_verdicts_file_is_asked_again_and_replaced(run: Invoke, workspace: Path) -> None:
    assert run("draft", "request", "ada-lovelace").exit_code == 0
    for damage in ("not json", "[]", '{"library": 1}', '{"library": "x", "domains": {"a": 1}}'):
        (workspace / VERDICTS).write_text(damage)
        assert probe(workspace, "drafts") == "loaded"
        assert json.loads((workspace / VERDICTS).read_text())["domains"]


def test_a_verdicts_file_that_cannot_be_written_costs_only_time(
    run: Invoke, workspace: Path
) -> None:
    (workspace / VERDICTS).parent.mkdir(exist_ok=True)
    (workspace / VERDICTS).mkdir()  # in the way: neither read nor replaced
    assert run("draft", "request", "ada-lovelace").exit_code == 0
    result = run("drafts")
    assert result.exit_code == 0, result.output
    assert "ada-lovelace--request.md" in result.stdout
    assert (workspace / VERDICTS).is_dir()
