"""IMAP logins beyond a plain password, against a real Dovecot: XOAUTH2 with tokens that its
oauth2 passdb checks at the local authorization server, and password_cmd."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from outreach.delivery import oauth2
from outreach.mailbox.connection import connect
from outreach.support.errors import CredentialsError, MailboxError
from outreach.workspace.settings import Imap, OAuth2
from tests.conftest import Invoke
from tests.imap_server import ImapServer, dovecot_server, which_server
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET, AuthServer, oauth_server

pytestmark = pytest.mark.skipif(
    which_server() != "dovecot", reason="XOAUTH2 is tested on Dovecot's oauth2 passdb"
)


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AuthServer, ImapServer]]:
    with oauth_server() as auth, dovecot_server(introspection_url=f"{auth.url}/introspect") as imap:
        monkeypatch.setenv("SSL_CERT_FILE", str(imap.ca.bundle))
        monkeypatch.delenv("OUTREACH_IMAP_PASSWORD", raising=False)
        yield auth, imap


def imap_settings(server: ImapServer, **changes: str) -> Imap:
    values = {
        "host": server.host,
        "port": server.ports["ssl"],
        "security": "ssl",
        "user": server.user,
        "auth": "oauth2",
    }
    return Imap(**(values | changes))  # type: ignore[arg-type]


def signed_in(auth: AuthServer) -> OAuth2:
    """[oauth2] pointed at the test server, and a login stored as `auth login --oauth2` does."""
    settings = OAuth2(
        "google", CLIENT_ID, token_url=f"{auth.url}/token", authorize_url=f"{auth.url}/authorize"
    )
    issued = auth.tokens("https://mail.google.com/")
    oauth2.store_client_secret(CLIENT_ID, CLIENT_SECRET)
    oauth2.store_grant(
        oauth2.Grant(
            auth.account,
            "google",
            CLIENT_ID,
            issued["refresh_token"],
            datetime.now(UTC),
            ("https://mail.google.com/",),
        )
    )
    return settings


def test_xoauth2_logs_in_with_a_token_from_the_stored_login(
    servers: tuple[AuthServer, ImapServer],
) -> None:
    auth, imap = servers
    with connect(imap_settings(imap), oauth2=signed_in(auth)) as mailbox:
        assert "INBOX" in {folder.name for folder in mailbox.folders()}
    assert auth.refreshes == 1


def test_a_token_the_server_refuses_is_refreshed_once(
    servers: tuple[AuthServer, ImapServer],
) -> None:
    auth, imap = servers
    settings = signed_in(auth)
    said: list[str] = []
    auth.refuse_introspections = 1
    with connect(imap_settings(imap), oauth2=settings, notify=said.append) as mailbox:
        assert mailbox.has("IMAP4REV1")
    assert auth.refreshes == 2
    assert any("refused the access token (IMAP NO)" in line for line in said)
    auth.refuse_introspections = 2  # refused again after the refresh: a clear error
    with pytest.raises(MailboxError) as raised, connect(imap_settings(imap), oauth2=settings):
        pass
    assert "refused the IMAP XOAUTH2 login for sam@example.org" in str(raised.value)
    assert not any(token in str(raised.value) for token in auth.issued)


def test_a_revoked_login_says_to_sign_in_again(servers: tuple[AuthServer, ImapServer]) -> None:
    auth, imap = servers
    settings = signed_in(auth)
    auth.revoke()
    with pytest.raises(CredentialsError) as raised, connect(imap_settings(imap), oauth2=settings):
        pass
    assert "run 'outreach auth login --oauth2' again" in str(raised.value)


def script(folder: Path, name: str, line: str) -> str:
    path = folder / name
    path.write_text(f"#!{sys.executable}\nprint({line!r})\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_password_cmd_gives_the_imap_password(
    servers: tuple[AuthServer, ImapServer], tmp_path: Path
) -> None:
    _, imap = servers
    command = script(tmp_path, "vault", imap.password)
    settings = imap_settings(imap, auth="password", password_cmd=command)
    with connect(settings) as mailbox:
        assert mailbox.has("IMAP4REV1")


def test_a_token_broker_in_password_cmd_gives_the_xoauth2_token(
    servers: tuple[AuthServer, ImapServer], tmp_path: Path
) -> None:
    auth, imap = servers
    token = auth.tokens("https://mail.google.com/")["access_token"]
    settings = imap_settings(imap, password_cmd=script(tmp_path, "broker", token))
    with connect(settings) as mailbox:  # no [oauth2]: the broker has the login
        assert mailbox.has("IMAP4REV1")


def test_sync_and_push_log_in_with_xoauth2_from_the_workspace_settings(
    servers: tuple[AuthServer, ImapServer], workspace: Path, run: Invoke
) -> None:
    auth, imap = servers
    signed_in(auth)
    settings = workspace / "outreach.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + "\n"
        + imap.settings(security="ssl")
        + 'auth = "oauth2"\n\n[oauth2]\nprovider = "google"\n'
        + f'client_id = "{CLIENT_ID}"\ntoken_url = "{auth.url}/token"\n'
        + f'authorize_url = "{auth.url}/authorize"\n',
        encoding="utf-8",
    )
    synced = run("sync")
    assert synced.exit_code == 0, synced.output
    assert "Nothing new to log." in synced.output
    assert run("draft", "request", "ada").exit_code == 0
    assert run("approve", "ada").exit_code == 0
    pushed = run("drafts", "push", "--all")
    assert pushed.exit_code == 0, pushed.output
    assert "1 pushed" in pushed.output
    assert auth.refreshes == 2  # one access token for each login, from the stored refresh token
    assert not any(token in synced.output + pushed.output for token in auth.issued)
