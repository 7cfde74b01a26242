"""OAuth2 for real: the flows against an authorization server on 127.0.0.1, then sending over
SMTP with XOAUTH2 to aiosmtpd, which checks each bearer token with that server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outreach.delivery import oauth2
from tests.conftest import Installed, Invoke
from tests.helpers import (
    approve_requests,
    configure,
    in_fresh_python,
    outreach_command,
    statuses,
)
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET, AuthServer, oauth_server
from tests.smtp_server import USER, Behaviour, Recorder, smtp_server

BROWSER = """\
import sys, urllib.request
# A browser that is signed in: it follows the authorization address and its redirect back.
with urllib.request.urlopen(sys.argv[1], timeout=30) as page:
    open(sys.argv[2], "w").write(page.read().decode())
"""


def use_oauth2(workspace: Path, auth: AuthServer, provider: str = "google") -> None:
    """smtp.auth = oauth2, and [oauth2] pointed at the test server by its endpoint settings."""
    settings = workspace / "outreach.toml"
    text = settings.read_text()
    text = re.sub(r"(?m)^(user = .*)$", r'\1\nauth = "oauth2"', text, count=1)
    flow = (
        f'device_url = "{auth.url}/devicecode"'
        if provider == "microsoft"
        else f'authorize_url = "{auth.url}/authorize"'
    )
    text += (
        f'\n[oauth2]\nprovider = "{provider}"\nclient_id = "{CLIENT_ID}"\n'
        f'token_url = "{auth.url}/token"\n{flow}\n'
    )
    settings.write_text(text)


def browser_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    script = tmp_path / "browser.py"
    script.write_text(BROWSER)
    page = tmp_path / "page.html"
    return {"BROWSER": f"{sys.executable} {script} %s {page}"}, page


def google_login(run_installed: Installed, workspace: Path, tmp_path: Path) -> str:
    env, page = browser_env(tmp_path)
    result = run_installed(
        "--workspace",
        str(workspace),
        "auth",
        "login",
        "--oauth2",
        input=f"{CLIENT_SECRET}\n",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Signed in" in page.read_text()
    return result.stdout + result.stderr


@contextmanager
def xoauth2_server(
    auth: AuthServer, behaviour: Behaviour | None = None
) -> Iterator[tuple[Recorder, int]]:
    def bearer(user: str, token: str) -> bool:
        return user == USER and auth.valid(token)

    with smtp_server(behaviour, bearer=bearer, methods=()) as served:
        yield served


def approve_device(auth: AuthServer) -> threading.Thread:
    """The person, on another device, opens the address and enters the code shown."""

    def enter_code() -> None:
        assert auth.device_requested.wait(30)
        with auth.lock:
            user_code = next(iter(auth.devices.values()))["user_code"]
        urllib.request.urlopen(f"{auth.url}/device?user_code={user_code}", timeout=30).close()

    thread = threading.Thread(target=enter_code)
    thread.start()
    return thread


def microsoft_login(run: Invoke, workspace: Path, auth: AuthServer) -> str:
    use_oauth2(workspace, auth, "microsoft")
    person = approve_device(auth)
    result = run("auth", "login", "--oauth2", input="\n")
    person.join()
    assert result.exit_code == 0, result.output
    return result.output


def test_google_first_login_follows_the_loopback_redirect_with_pkce_then_sends(
    run: Invoke, run_installed: Installed, workspace: Path, tmp_path: Path
) -> None:
    with oauth_server() as auth:
        use_oauth2(workspace, auth)
        said = google_login(run_installed, workspace, tmp_path)
        assert f"{auth.url}/authorize?" in said and "code_challenge_method=S256" in said
        assert "Signed in as sam@example.org (google)" in said
        grant = oauth2.stored_grant(USER)
        assert grant is not None and grant.scopes == ("https://mail.google.com/",)
        assert oauth2.client_secret(CLIENT_ID) == CLIENT_SECRET
        with xoauth2_server(auth) as (server, port):
            configure(workspace, port)
            approve_requests(run, "ada", "jose")
            result = run("send", "--yes")
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.stdout
    assert server.logins == 1 and server.xoauth2_refusals == 0
    assert auth.refreshes == 1  # the access token of the login was not kept


def test_without_a_browser_the_address_is_printed_to_open(workspace: Path) -> None:
    with oauth_server() as auth:
        use_oauth2(workspace, auth)
        env = {"BROWSER": "false %s", "OUTREACH_OAUTH2_WAIT": "60"}
        process = subprocess.Popen(
            [*outreach_command(), "--workspace", str(workspace), "auth", "login", "--oauth2"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{CLIENT_SECRET}\n")
        process.stdin.close()
        address = ""
        for line in process.stdout:
            if line.startswith(f"{auth.url}/authorize?"):
                address = line.strip()
                break
        assert address
        with urllib.request.urlopen(address, timeout=30) as page:  # the person, by hand
            assert "Signed in" in page.read().decode()
        rest, errors = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
        process.wait(timeout=60)
        process.stdout.close()
        process.stderr.close()  # type: ignore[union-attr]
    assert process.returncode == 0, errors
    assert "Signed in as" in rest
    assert oauth2.stored_grant(USER) is not None


def test_microsoft_device_code_login_then_send(run: Invoke, workspace: Path) -> None:
    with oauth_server(clients={CLIENT_ID: None}) as auth:
        said = microsoft_login(run, workspace, auth)
        assert f"To sign in, open {auth.url}/device and enter the code" in said
        grant = oauth2.stored_grant(USER)
        assert grant is not None and grant.provider == "microsoft"
        assert "offline_access" in grant.scopes
        assert oauth2.client_secret(CLIENT_ID) is None  # a public client
        with xoauth2_server(auth) as (server, port):
            configure(workspace, port)
            approve_requests(run, "ada")
            result = run("send", "--yes")
    assert result.exit_code == 0, result.output
    assert server.logins == 1 and len(server.messages) == 1


def drop_after_first(behaviour: Behaviour, then: Callable[[], None] = lambda: None) -> None:
    """After the first message arrives, `then`, and the connection closes at the next RCPT
    (421), so that the run logs in again."""

    def arrived(count: int) -> None:
        if count == 1:
            then()
            for address in ("jose@example.org", "grace.hopper@example.org", "mei@example.org"):
                behaviour.rcpt[address] = ["421 4.3.2 closing for maintenance"]

    behaviour.on_message = arrived


@pytest.mark.parametrize(("expires_in", "refreshes"), [(30, 2), (3600, 1)])
def test_an_access_token_that_expires_is_refreshed_before_the_next_login(
    run: Invoke, workspace: Path, expires_in: int, refreshes: int
) -> None:
    with oauth_server(clients={CLIENT_ID: None}, expires_in=expires_in) as auth:
        microsoft_login(run, workspace, auth)
        behaviour = Behaviour()
        drop_after_first(behaviour)
        with xoauth2_server(auth, behaviour) as (server, port):
            configure(workspace, port)
            approve_requests(run, "ada", "jose")
            result = run("send", "--yes")
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 2 and server.logins == 2
    assert server.xoauth2_refusals == 0
    assert auth.refreshes == refreshes  # 30 s is within the margin: refreshed at each login


def test_a_refused_access_token_is_refreshed_once_and_the_login_tried_again(
    run: Invoke, workspace: Path
) -> None:
    with oauth_server(clients={CLIENT_ID: None}) as auth:
        microsoft_login(run, workspace, auth)
        behaviour = Behaviour()
        drop_after_first(behaviour, auth.expire_access_tokens)
        with xoauth2_server(auth, behaviour) as (server, port):
            configure(workspace, port)
            approve_requests(run, "ada", "jose")
            result = run("send", "--yes")
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 2
    assert server.xoauth2_refusals == 1 and auth.refreshes == 2
    assert "refused the access token (535)" in result.output


def test_a_revoked_refresh_token_sends_nothing_and_says_to_log_in_again(
    run: Invoke, workspace: Path
) -> None:
    with oauth_server(clients={CLIENT_ID: None}) as auth:
        microsoft_login(run, workspace, auth)
        auth.revoke()
        with xoauth2_server(auth) as (server, port):
            configure(workspace, port)
            approve_requests(run, "ada", "jose")
            result = run("send", "--yes")
    assert result.exit_code == 1
    assert "invalid_grant" in result.output
    assert "run 'outreach auth login --oauth2' again; nothing was sent" in result.output
    assert server.messages == [] and server.connections == 0
    assert set(statuses(run).values()) == {"approved"}


def test_a_token_revoked_mid_run_stops_it_with_every_outcome_logged(
    run: Invoke, workspace: Path
) -> None:
    with oauth_server(clients={CLIENT_ID: None}) as auth:
        microsoft_login(run, workspace, auth)
        behaviour = Behaviour()
        drop_after_first(behaviour, auth.revoke)
        with xoauth2_server(auth, behaviour) as (server, port):
            configure(workspace, port)
            approve_requests(run, "ada", "jose", "grace")
            result = run("send", "--yes")
    assert result.exit_code == 1
    assert len(server.messages) == 1  # nothing after the refusal
    assert server.xoauth2_refusals == 1 and auth.refused_refreshes == 1
    assert "outreach auth login --oauth2" in result.output
    assert "1 sent" in result.stdout
    sent = server.messages[0]["To"].addresses[0].addr_spec
    log = run("log", "--json").stdout
    assert sent in {"ada@example.org", "jose@example.org", "grace.hopper@example.org"}
    assert log.count('"kind":"sent"') == 1
    assert sorted(statuses(run).values()) == ["approved", "approved"]


def test_an_old_google_refresh_token_earns_a_warning_at_status_check_and_send(
    run: Invoke, run_installed: Installed, workspace: Path, tmp_path: Path
) -> None:
    with oauth_server() as auth:
        use_oauth2(workspace, auth)
        google_login(run_installed, workspace, tmp_path)
        fresh = run("auth", "status")
        assert "older" not in fresh.output and "days ago; an app" not in fresh.output
        grant = oauth2.stored_grant(USER)
        assert grant is not None
        oauth2.store_grant(replace(grant, issued=datetime.now(UTC) - timedelta(days=6, hours=1)))
        status = run("auth", "status")
        check = run("check")
        with xoauth2_server(auth) as (server, port):
            configure(workspace, port)
            approve_requests(run, "ada")
            sent = run("send", "--yes")
    warning = "Warning: the Google refresh token for sam@example.org was issued 6 days ago"
    for result in (status, check, sent):
        assert warning in result.output, result.output
    assert sent.exit_code == 0 and len(server.messages) == 1


def test_status_shows_account_scopes_and_age_and_logout_removes_the_login(
    run: Invoke, run_installed: Installed, workspace: Path, tmp_path: Path
) -> None:
    with oauth_server() as auth:
        use_oauth2(workspace, auth)
        assert "no OAuth2 login is stored for sam@example.org" in run("auth", "status").output
        google_login(run_installed, workspace, tmp_path)
        status = run("auth", "status")
        assert status.exit_code == 0
        assert "SMTP (sam@example.org at smtp.example.org): XOAUTH2" in status.stdout
        assert "account sam@example.org; scopes granted: https://mail.google.com/" in status.stdout
        assert "(0 days ago)" in status.stdout
        logout = run("auth", "logout")
    assert "Removed the OAuth2 refresh token for sam@example.org and the client secret" in (
        logout.stdout
    )
    assert oauth2.stored_grant(USER) is None and oauth2.client_secret(CLIENT_ID) is None
    assert "no OAuth2 login is stored" in run("auth", "status").output


def test_no_keyring_backend_names_the_ways_out_before_any_sign_in(
    run: Invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    with oauth_server(clients={CLIENT_ID: None}) as auth:
        use_oauth2(workspace, auth, "microsoft")
        login = run("auth", "login", "--oauth2", input="\n")
        approve_requests(run, "ada")
        send = run("send", "--yes")
    for result in (login, send):
        assert result.exit_code == 1
        assert "no system keyring" in result.output
        assert "keyrings.alt" in result.output and "password_cmd" in result.output
    assert auth.issued == []  # nothing was asked of the provider


def test_check_says_what_an_oauth2_login_lacks(run: Invoke, workspace: Path) -> None:
    settings = workspace / "outreach.toml"
    settings.write_text(re.sub(r"(?m)^(user = .*)$", r'\1\nauth = "oauth2"', settings.read_text()))
    missing = run("check")
    assert missing.exit_code == 1
    assert "smtp.auth is oauth2, but there is no [oauth2] section" in missing.output
    settings.write_text(
        settings.read_text()
        + '\n[oauth2]\nprovider = "custom"\ntoken_url = "http://auth.example.org/token"\n'
    )
    custom = run("check")
    assert custom.exit_code == 1
    assert "oauth2.client_id is missing" in custom.output
    assert "provider custom needs oauth2.authorize_url" in custom.output
    assert "oauth2.token_url must be an https:// address" in custom.output
    assert "SMTP (sam@example.org at smtp.example.org): XOAUTH2" in custom.output


def test_no_token_or_secret_is_in_any_file_the_journal_or_any_output(
    run: Invoke, run_installed: Installed, workspace: Path, tmp_path: Path, isolated_home: Path
) -> None:
    outputs: list[str] = []
    with oauth_server() as auth:
        use_oauth2(workspace, auth)
        outputs.append(google_login(run_installed, workspace, tmp_path))
        behaviour = Behaviour()
        drop_after_first(behaviour, auth.expire_access_tokens)
        with xoauth2_server(auth, behaviour) as (server, port):
            configure(workspace, port)
            approve_requests(run, "ada", "jose")
            for args in (("send", "--yes"), ("auth", "status"), ("check",), ("log", "--json")):
                result = run(*args)
                outputs.append(result.output)
        secrets = [*auth.issued, CLIENT_SECRET]
    assert len(server.messages) == 2 and len(secrets) > 4
    keyring_files = set((isolated_home / "data").rglob("*keyring*"))
    assert keyring_files  # where the file-backed keyring keeps them: the only place allowed
    files = [
        path
        for root in (workspace, isolated_home, tmp_path)
        for path in root.rglob("*")
        if path.is_file() and path not in keyring_files
    ]
    assert any(path.suffix in (".db", ".sqlite", ".sqlite3") for path in files)  # the journal
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, path
    for output in outputs:
        for secret in secrets:
            assert secret not in output


def test_the_oauth2_library_is_loaded_only_by_the_commands_that_talk_to_a_provider() -> None:
    in_fresh_python(
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from outreach.cli import cli\n"
        "for args in (['--help'], ['auth', '--help'], ['auth', 'login', '--help']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
        "import outreach.delivery.oauth2\n"
        "assert 'authlib' not in sys.modules and 'requests' not in sys.modules\n"
    )
