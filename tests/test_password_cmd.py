"""password_cmd for real: small scripts in a temporary folder give the secret to a send."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.helpers import approve_requests, configure, statuses
from tests.smtp_server import USER, smtp_server

SECRET = "pässwörd with spaces ✓"


def script(folder: Path, name: str, body: str) -> Path:
    """An executable Python script named `name` in `folder`."""
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def use_command(workspace: Path, command: str, *, oauth2: bool = False) -> None:
    settings = workspace / "outreach.toml"
    quoted = command.replace("\\", "\\\\").replace('"', '\\"')
    auth = '\nauth = "oauth2"' if oauth2 else ""
    settings.write_text(
        re.sub(
            r"(?m)^(user = .*)$",
            lambda found: f'{found.group(1)}{auth}\npassword_cmd = "{quoted}"',
            settings.read_text(),
            count=1,
        )
    )


def send_with(
    run: Invoke, workspace: Path, command: str, password: str = SECRET
) -> tuple[int, str, int]:
    """Send Ada's request with `command` as smtp.password_cmd: exit code, output, messages."""
    use_command(workspace, command)
    with smtp_server(password=password) as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        result = run("send", "--yes")
    return result.exit_code, result.output, len(server.messages)


def test_the_first_line_of_the_output_is_the_password(
    run: Invoke, workspace: Path, tmp_path: Path
) -> None:
    give = script(
        tmp_path,
        "give-secret",
        f"sys.stdout.buffer.write({SECRET!r}.encode() + b'\\nsecond line\\n')\n"
        f"print({SECRET!r}, file=sys.stderr)",
    )
    code, output, sent = send_with(run, workspace, f"{give} --account {USER}")
    assert code == 0, output
    assert sent == 1
    assert SECRET not in output
    status = run("auth", "status").stdout
    assert "from smtp.password_cmd ('" in status and "without a shell" in status
    assert SECRET not in status


def test_a_failing_command_names_its_program_and_status_never_its_output(
    run: Invoke, workspace: Path, tmp_path: Path
) -> None:
    fail = script(
        tmp_path,
        "broken-vault",
        f"print({SECRET!r}); print({SECRET!r}, file=sys.stderr); sys.exit(3)",
    )
    code, output, sent = send_with(run, workspace, str(fail))
    assert code == 1 and sent == 0
    assert f"Error: smtp.password_cmd: '{fail}' failed with exit status 3" in output
    assert SECRET not in output
    assert set(statuses(run).values()) == {"approved"}


def test_a_command_that_takes_too_long_is_stopped(
    run: Invoke, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTREACH_PASSWORD_CMD_TIMEOUT", "0.5")
    slow = script(tmp_path, "slow-vault", "time.sleep(60)")
    code, output, sent = send_with(run, workspace, f"{slow} | cat")  # a shell, and its child
    assert code == 1 and sent == 0
    assert f"smtp.password_cmd: '{slow}' did not finish within 0.5 s" in output


def test_an_empty_first_line_is_an_error(run: Invoke, workspace: Path, tmp_path: Path) -> None:
    empty = script(tmp_path, "empty-vault", f"print(); print({SECRET!r})")
    code, output, sent = send_with(run, workspace, str(empty))
    assert code == 1 and sent == 0
    assert "printed an empty first line (exit status 0)" in output
    assert SECRET not in output


def test_a_missing_program_is_named(run: Invoke, workspace: Path, tmp_path: Path) -> None:
    code, output, _ = send_with(run, workspace, str(tmp_path / "no-such-vault"))
    assert code == 1
    assert "'" + str(tmp_path / "no-such-vault") + "' could not be run" in output


def test_a_command_that_needs_a_shell_runs_in_one(
    run: Invoke, workspace: Path, tmp_path: Path
) -> None:
    (tmp_path / "vault.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    code, output, sent = send_with(run, workspace, f"cat {tmp_path}/vault.txt | head -n 1")
    assert code == 0, output
    assert sent == 1
    assert "through /bin/sh" in run("auth", "status").stdout


def test_with_oauth2_the_command_gives_the_access_token_and_runs_again_when_refused(
    run: Invoke, workspace: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "runs"
    broker = script(
        tmp_path,
        "token-broker",
        f"from pathlib import Path\np = Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\np.write_text(str(n))\n"
        "print(f'broker-token-{n}')",
    )
    use_command(workspace, str(broker), oauth2=True)
    with smtp_server(bearer=lambda user, token: token == "broker-token-2", methods=()) as (
        server,
        port,
    ):
        configure(workspace, port)
        approve_requests(run, "ada")
        result = run("send", "--yes")
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 1
    assert server.xoauth2_refusals == 1 and counter.read_text() == "2"
    assert "broker-token" not in result.output
    assert "an OAuth2 access token from smtp.password_cmd" in run("auth", "status").stdout
