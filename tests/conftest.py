"""Shared fixtures: every test runs in a temporary home, with a file-backed keyring.

The fixtures and the types of what they give live here; plain helpers are in tests/helpers.py.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from tests.helpers import outreach_command, snapshot
from tests.imap_server import ImapServer
from tests.imap_server import imap_server as start_imap_server


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Keep every test out of the real home folder, keyring and workspace."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        monkeypatch.setenv(name, str(home / sub))
    # A real keyring backend that keeps its file in the temporary home.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    import keyring.core

    # keyring picks its backend once per process: make it pick again from this environment.
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    for name in (
        "OUTREACH_WORKSPACE",
        "OUTREACH_SMTP_PASSWORD",
        "OUTREACH_IMAP_PASSWORD",
        "VISUAL",
        "EDITOR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTREACH_RETRY_DELAY", "0.01")
    monkeypatch.chdir(home)
    return home


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh `init --example` workspace."""
    root = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["init", "--example", str(root)])
    assert result.exit_code == 0, result.output
    return root


Invoke = Callable[..., Result]
Installed = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(workspace: Path) -> Invoke:
    """Run the CLI in the example workspace: run("draft", "request", "--all")."""

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(
            cli,
            ["--workspace", str(workspace), *args],
            input=input,
            env=env,
            catch_exceptions=False,
        )

    return invoke


@pytest.fixture
def run_installed() -> Installed:
    """Run the installed command as a subprocess, in the test's environment."""

    def execute(
        *args: str,
        cwd: Path | None = None,
        input: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*outreach_command(), *args],
            cwd=cwd,
            input=input,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return execute


@pytest.fixture
def no_writes(workspace: Path) -> Iterator[None]:
    before = snapshot(workspace)
    yield
    assert snapshot(workspace) == before


@pytest.fixture
def imap_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapServer]:
    """A real IMAP server on 127.0.0.1 for this test (Dovecot, else pymap: see
    tests/imap_server.py), stopped at its end. Its test CA is trusted through SSL_CERT_FILE and
    its password is in OUTREACH_IMAP_PASSWORD (a test of other sources or of a refused
    certificate unsets them); `server.settings()` is an [imap] section that points at it
    (tests/helpers.py's `configure_imap` adds it to a workspace)."""
    with start_imap_server() as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca.bundle))
        monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", server.password)
        yield server


@pytest.fixture
def special_use_server(imap_server: ImapServer) -> ImapServer:
    """The `imap_server`, for a test that needs SPECIAL-USE (RFC 6154): skipped on pymap."""
    if not imap_server.special_use:
        pytest.skip("needs SPECIAL-USE (RFC 6154), which pymap lacks: install dovecot-imapd")
    return imap_server
