"""Placeholders left in the settings, and servers set up wrong: clear errors, no silent wait.

Every server here is real and on 127.0.0.1: aiosmtpd with TLS from the start or by STARTTLS
(certificates from a test CA made in the test), and a plain socket server that says nothing.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from outreach.cli import cli
from tests.conftest import Invoke
from tests.smtp_server import (
    smtp_server,
)
from tests.test_sending import PASSWORD_ENV, approve_requests, configure, statuses

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
