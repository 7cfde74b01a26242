"""Placeholders left in the settings, and servers set up wrong: clear errors, no silent wait.

Every server here is real and on 127.0.0.1: aiosmtpd with TLS from the start or by STARTTLS
(certificates from a test CA made in the test), and a plain socket server that says nothing.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from outreach.cli import cli
from tests.conftest import Invoke
from tests.helpers import PASSWORD_ENV, approve_requests, configure, outreach_command, statuses
from tests.smtp_server import (
    PASSWORD,
    Behaviour,
    free_port,
    local_ca,
    silent_server,
    smtp_server,
)

QUICK = {"OUTREACH_CONNECT_TIMEOUT": "0.5"}


def set_me(workspace: Path, name: str, email: str) -> None:
    settings = workspace / "outreach.toml"
    text = settings.read_text()
    text = text.replace('name = "Sam Rivera"', f'name = "{name}"')
    text = text.replace('email = "sam@example.org"', f'email = "{email}"')
    settings.write_text(text)


# --- placeholders left by a plain `init`


def test_the_placeholders_of_a_plain_init_are_errors_in_check(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    result = CliRunner().invoke(cli, ["--workspace", str(root), "check"])
    assert result.exit_code == 1
    lines = (root / "outreach.toml").read_text().splitlines()

    def line_of(start: str) -> int:
        return next(n for n, line in enumerate(lines, 1) if line.startswith(start))

    for key, start, placeholder in (
        ("me.name", "name =", "Your Name"),
        ("me.email", "email =", "you@example.org"),
        ("smtp.user", "user =", "you@example.org"),
    ):
        assert (
            f'Error: outreach.toml:{line_of(start)}: {key} is still "{placeholder}", '
            "the placeholder that init wrote"
        ) in result.stderr


def test_send_refuses_to_start_with_a_placeholder_name_or_address(
    run: Invoke, workspace: Path
) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        for name, email, key in (
            ("Your Name", "sam@example.org", "me.name"),
            ("Sam Rivera", "you@example.org", "me.email"),
        ):
            set_me(workspace, name, email)
            for args in (("send", "--yes"), ("send", "--dry-run")):
                result = run(*args, env=PASSWORD_ENV)
                assert result.exit_code == 1, result.output
                assert f"{key} is still" in result.stderr, result.stderr
                assert "Traceback" not in result.output
            set_me(workspace, "Sam Rivera", "sam@example.org")
            assert run("drafts").exit_code == 0  # the other commands still work
    assert server.connections == 0
    assert server.messages == []
    assert statuses(run) == {"ada-lovelace": "approved"}


# --- TLS: a test CA, a certificate that is not trusted, a port that does not speak TLS


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_with_a_test_ca_named_in_ssl_cert_file(
    run: Invoke, workspace: Path, tmp_path: Path, security: str
) -> None:
    ca = local_ca(tmp_path)
    with smtp_server(tls=security, ca=ca) as (server, port):
        configure(workspace, port, security=security)
        approve_requests(run, "ada", "grace")
        result = run("send", "--yes", env={**PASSWORD_ENV, "SSL_CERT_FILE": str(ca.bundle)})
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.stdout
    assert (server.logins, server.connections) == (1, 1)
    assert len(server.messages) == 2


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_an_untrusted_certificate_is_refused_at_once_and_says_what_to_do(
    run: Invoke, workspace: Path, tmp_path: Path, security: str
) -> None:
    (tmp_path / "theirs").mkdir()
    (tmp_path / "ours").mkdir()
    server_ca, trusted_ca = local_ca(tmp_path / "theirs"), local_ca(tmp_path / "ours")
    with smtp_server(tls=security, ca=server_ca) as (server, port):
        configure(workspace, port, security=security)
        approve_requests(run, "ada")
        result = run("send", "--yes", env={**PASSWORD_ENV, "SSL_CERT_FILE": str(trusted_ca.bundle)})
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: 127.0.0.1:{port}: the server's certificate was refused (")
    assert "SSL_CERT_FILE" in line and "SSL_CERT_DIR" in line and "always checked" in line
    assert server.connections == 1  # no retry
    assert server.messages == [] and server.login_attempts == 0
    assert statuses(run) == {"ada-lovelace": "approved"}


def test_a_certificate_for_another_name_says_to_check_the_host(
    run: Invoke, workspace: Path, tmp_path: Path
) -> None:
    ca = local_ca(tmp_path, names=("smtp.example.org",))
    with smtp_server(tls="ssl", ca=ca) as (server, port):
        configure(workspace, port, security="ssl")
        approve_requests(run, "ada")
        result = run("send", "--yes", env={**PASSWORD_ENV, "SSL_CERT_FILE": str(ca.bundle)})
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "the server's certificate was refused (" in line
    assert "check smtp.host: it must be a name the certificate is for" in line
    assert "SSL_CERT_FILE" not in line
    assert server.connections == 1


def test_ssl_against_a_port_that_starts_plain_says_use_starttls(
    run: Invoke, workspace: Path
) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port, security="ssl")
        approve_requests(run, "ada")
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: 127.0.0.1:{port} does not speak TLS from the start")
    assert 'set security = "starttls"' in line
    assert server.connections == 2  # the handshake, then one look at its greeting: no retry
    assert statuses(run) == {"ada-lovelace": "approved"}


# --- a server that says nothing


@pytest.mark.parametrize("security", ["starttls", "none"])
def test_a_server_that_says_nothing_is_a_clear_error_not_a_wait(
    run: Invoke, workspace: Path, security: str
) -> None:
    with silent_server() as (accepted, port):
        configure(workspace, port, security=security, user=security != "none")
        approve_requests(run, "ada")
        result = run("send", "--yes", env={**PASSWORD_ENV, **QUICK})
        tries = len(accepted)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert f"127.0.0.1:{port} took the connection but said nothing within 0.5 s" in line
    assert 'set security = "ssl"' in line and "465" in line
    assert tries == 1
    assert statuses(run) == {"ada-lovelace": "approved"}


def test_starttls_against_a_port_that_speaks_tls_from_the_start(
    run: Invoke, workspace: Path, tmp_path: Path
) -> None:
    # What `security = "starttls"` with port 465 meets: a server waiting for a TLS handshake.
    ca = local_ca(tmp_path)
    with smtp_server(tls="ssl", ca=ca) as (server, port):
        configure(workspace, port, security="starttls")
        approve_requests(run, "ada")
        result = run("send", "--yes", env={**PASSWORD_ENV, **QUICK})
    assert result.exit_code == 1
    assert "said nothing within 0.5 s" in result.stderr
    assert 'set security = "ssl"' in result.stderr
    assert server.connections == 1 and server.messages == []


def test_a_silent_tls_handshake_is_a_clear_error(run: Invoke, workspace: Path) -> None:
    with silent_server() as (accepted, port):
        configure(workspace, port, security="ssl")
        approve_requests(run, "ada")
        result = run("send", "--yes", env={**PASSWORD_ENV, **QUICK})
        tries = len(accepted)
    assert result.exit_code == 1
    assert "did not answer the TLS handshake within 0.5 s" in result.stderr
    assert tries == 1


def test_the_installed_command_reports_a_silent_server_without_a_traceback(
    workspace: Path,
) -> None:
    run_cli = CliRunner().invoke
    assert run_cli(cli, ["--workspace", str(workspace), "draft", "request", "ada"]).exit_code == 0
    assert run_cli(cli, ["--workspace", str(workspace), "approve", "--all"]).exit_code == 0
    with silent_server() as (_, port):
        configure(workspace, port, security="starttls")
        result = subprocess.run(
            [*outreach_command(), "--workspace", str(workspace), "send", "--yes"],
            env={**os.environ, **PASSWORD_ENV, **QUICK},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


def test_the_wait_for_a_greeting_is_a_few_seconds_by_default() -> None:
    from outreach.delivery.transport import CONNECT_TIMEOUT, connect_timeout

    assert connect_timeout() == CONNECT_TIMEOUT <= 10


# --- retries say what they wait for


def test_every_retry_says_what_it_waits_for(run: Invoke, workspace: Path) -> None:
    configure(workspace, free_port())  # nobody listens there
    approve_requests(run, "ada")
    result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1
    waits = [line for line in result.stderr.splitlines() if "trying again in" in line]
    assert len(waits) == 3  # four tries
    assert all(line.startswith("cannot reach 127.0.0.1:") for line in waits)
    assert [re.search(r"\(try (\d) of 4\)", line).group(1) for line in waits] == ["2", "3", "4"]  # type: ignore[union-attr]

    behaviour = Behaviour(data={"ada@example.org": ["451 4.3.0 Try again later"]})
    with smtp_server(behaviour) as (server, port):
        configure(workspace, port)
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    assert (
        "drafts/ada-lovelace--request.md: temporarily refused: 451 4.3.0 Try again later; "
        "trying again in 0.01 s (try 2 of 4)"
    ) in result.stderr
    assert len(server.messages) == 1


# --- logins


def test_a_wrong_password_from_the_environment_costs_one_login(
    run: Invoke, workspace: Path
) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        result = run("send", "--yes", env={"OUTREACH_SMTP_PASSWORD": "Wr0ng-Pa55"})
    assert result.exit_code == 1
    assert server.login_attempts == 1
    assert "refused the login for sam@example.org: 535" in result.stderr
    assert "OUTREACH_SMTP_PASSWORD in the environment" in result.stderr
    assert "Wr0ng-Pa55" not in result.output


def test_a_wrong_password_from_the_keyring_says_to_store_it_again(
    run: Invoke, workspace: Path
) -> None:
    assert run("auth", "login", input="Wr0ng-Pa55\n").exit_code == 0
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        result = run("send", "--yes")
    assert result.exit_code == 1
    assert server.login_attempts == 1
    assert "the password came from the system keyring" in result.stderr
    assert "'outreach auth login'" in result.stderr
    assert "OUTREACH_SMTP_PASSWORD" not in result.stderr


def _in_a_terminal(args: list[str], answer: str, timeout: float = 60) -> tuple[int, str]:
    """Run the installed command with a terminal of its own; type `answer` at the prompt."""
    main, side = os.openpty()
    # A new session whose first open of the terminal makes it the controlling one, so
    # that the password prompt reads from it as from a person's terminal.
    take_terminal = (
        "import os, sys; os.open(os.ttyname(0), os.O_RDWR); os.execvp(sys.argv[1], sys.argv[1:])"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", take_terminal, *args],
        stdin=side,
        stdout=side,
        stderr=side,
        start_new_session=True,
    )
    os.close(side)
    output = b""
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # the child has closed its terminal
                    break
                if not chunk:
                    break
                output += chunk
            if not answered and b"SMTP password for" in output:  # the prompt
                os.write(main, answer.encode() + b"\n")
                answered = True
    finally:
        os.close(main)
        if child.poll() is None:
            child.kill()
        code = child.wait()
    return code, output.decode(errors="replace")


def test_a_wrong_password_typed_at_the_prompt_says_so(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        code, output = _in_a_terminal(
            [*outreach_command(), "--workspace", str(workspace), "send", "--yes"], "Wr0ng-Pa55"
        )
    assert code == 1, output
    assert server.login_attempts == 1
    assert "the password typed was refused" in output
    assert "Wr0ng-Pa55" not in output


def test_the_right_password_typed_at_the_prompt_sends(run: Invoke, workspace: Path) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port)
        approve_requests(run, "ada")
        code, output = _in_a_terminal(
            [*outreach_command(), "--workspace", str(workspace), "send", "--yes"], PASSWORD
        )
    assert code == 0, output
    assert (server.login_attempts, server.logins, len(server.messages)) == (1, 1, 1)


def test_smtp_user_for_a_server_without_a_login_says_to_remove_it(
    run: Invoke, workspace: Path
) -> None:
    with smtp_server(login=False) as (server, port):
        configure(workspace, port)  # smtp.user is still set
        approve_requests(run, "ada")
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "offers no login (no AUTH), but smtp.user is set: remove smtp.user" in line
    assert server.connections == 1 and server.messages == []
    assert statuses(run) == {"ada-lovelace": "approved"}


# --- Date


def test_date_is_set_when_the_message_goes_after_the_per_minute_pause(
    run: Invoke, workspace: Path
) -> None:
    with smtp_server() as (server, port):
        configure(workspace, port, per_minute=20)  # 3 s between messages
        approve_requests(run, "ada", "grace")
        result = run("send", "--yes", env=PASSWORD_ENV)
    assert result.exit_code == 0, result.output
    first, second = (parsedate_to_datetime(str(m["Date"])) for m in server.messages)
    # Dates have whole seconds: 3 s apart when they went, so at least 2 apart as written
    assert (second - first).total_seconds() >= 2
