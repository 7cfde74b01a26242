from pathlib import Path

from tests.conftest import Invoke


def test_example_drafts_requests(run: Invoke, workspace: Path) -> None:
    result = run("draft", "request", "--all")
    assert result.exit_code == 0, result.output
    assert (workspace / "drafts" / "ada-lovelace--request.md").is_file()
