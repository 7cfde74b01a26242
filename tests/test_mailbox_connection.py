"""The IMAP connection against a real server: TLS checked, the login, IMAP4rev1, the folders."""

from __future__ import annotations

import pytest

from outreach.mailbox.connection import Mailbox, connect
from outreach.support.errors import MailboxError
from outreach.workspace.settings import Imap
from tests.imap_server import ImapServer, imap_server, old_server, which_server


def settings(server: ImapServer, security: str | None = None, **changes: object) -> Imap:
    chosen = security or server.security
    values: dict[str, object] = {
        "host": server.host,
        "port": server.ports[chosen],
        "security": chosen,
        "user": server.user,
    }
    return Imap(**(values | changes))  # type: ignore[arg-type]


def test_logs_in_over_each_kind_of_tls_the_server_has(imap_server: ImapServer) -> None:
    for security in imap_server.ports:
        with connect(settings(imap_server, security)) as mailbox:
            assert mailbox.has("IMAP4REV1")
            assert "INBOX" in {folder.name for folder in mailbox.folders()}


def test_a_wrong_password_is_one_clear_error_without_the_password(
    imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", "not the password")
    with pytest.raises(MailboxError) as raised, connect(settings(imap_server)):
        pass
    text = str(raised.value)
    assert "refused the IMAP login for sam@example.org" in text
    assert "OUTREACH_IMAP_PASSWORD" in text  # where the wrong one came from
    assert "not the password" not in text


def test_the_password_comes_from_the_keyring(
    imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outreach.delivery.credentials import store_password

    monkeypatch.delenv("OUTREACH_IMAP_PASSWORD")
    imap = settings(imap_server)
    store_password(imap, imap_server.password)
    with connect(imap) as mailbox:
        assert mailbox.has("IMAP4REV1")


def test_a_certificate_from_an_unknown_ca_is_refused(
    imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    for security in imap_server.ports:
        with pytest.raises(MailboxError) as raised, connect(settings(imap_server, security)):
            pass
        assert "certificate was refused" in str(raised.value)
        assert "SSL_CERT_FILE" in str(raised.value)


def test_security_none_is_refused_off_loopback_before_connecting() -> None:
    imap = Imap(host="imap.example.org", port=143, security="none", user="sam@example.org")
    with pytest.raises(MailboxError) as raised, connect(imap):
        pass
    assert 'security = "none"' in str(raised.value)
    assert "imap.example.org" in str(raised.value)


def test_a_server_without_imap4rev1_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", "secret")
    with old_server() as port:
        imap = Imap(host="127.0.0.1", port=port, security="none", user="sam@example.org")
        with pytest.raises(MailboxError) as raised, connect(imap):
            pass
    assert "IMAP4rev1" in str(raised.value)


def test_nothing_listening_is_a_clear_error() -> None:
    from tests.smtp_server import free_port

    imap = Imap(host="127.0.0.1", port=free_port(), security="ssl", user="sam@example.org")
    with pytest.raises(MailboxError) as raised, connect(imap):
        pass
    assert "cannot reach 127.0.0.1" in str(raised.value)


def test_the_usual_folders_are_found(imap_server: ImapServer) -> None:
    with connect(settings(imap_server)) as mailbox:
        assert mailbox.drafts_folder() == "Drafts"
        assert mailbox.sent_folder() == "Sent"


def test_special_use_folders_are_found_by_their_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    if which_server() != "dovecot":
        pytest.skip("needs SPECIAL-USE (RFC 6154), which pymap lacks: install dovecot-imapd")
    with imap_server({"Brouillons": "\\Drafts", "Envoyés": "\\Sent"}) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca.bundle))
        monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", server.password)
        with connect(settings(server)) as mailbox:
            assert mailbox.drafts_folder() == "Brouillons"
            assert mailbox.sent_folder() == "Envoyés"


def test_gmail_folders_are_found_by_their_names(monkeypatch: pytest.MonkeyPatch) -> None:
    with imap_server({"[Gmail]/Drafts": None, "[Gmail]/Sent Mail": None}) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca.bundle))
        monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", server.password)
        with connect(settings(server)) as mailbox:
            assert mailbox.drafts_folder() == "[Gmail]/Drafts"
            assert mailbox.sent_folder() == "[Gmail]/Sent Mail"


def test_an_account_without_drafts_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    with imap_server({"Archive": None}) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca.bundle))
        monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", server.password)
        with connect(settings(server)) as mailbox:
            assert mailbox.sent_folder() is None
            with pytest.raises(MailboxError) as raised:
                mailbox.drafts_folder()
    assert "no Drafts folder" in str(raised.value)


def test_a_missing_folder_in_imap_folders_is_named(imap_server: ImapServer) -> None:
    with connect(settings(imap_server)) as mailbox:
        mailbox.check_folders(["INBOX", "inbox", "Sent"])
        with pytest.raises(MailboxError) as raised:
            mailbox.check_folders(["INBOX", "Replies", "Sent"])
    assert len(raised.value.problems) == 1
    assert "imap.folders names 'Replies'" in str(raised.value)


def test_the_fixture_puts_messages_where_the_server_sees_them(imap_server: ImapServer) -> None:
    message = (
        b"From: ada@example.org\r\nSubject: hello\r\nMessage-ID: <1@example.org>\r\n\r\nHi\r\n"
    )
    imap_server.put("INBOX", message)
    imap_server.put("Drafts", message, ["\\Draft"], seen=True)
    [(_, inbox_flags, inbox_bytes)] = imap_server.messages("INBOX")
    [(_, draft_flags, _)] = imap_server.messages("Drafts")
    assert inbox_bytes == message and inbox_flags == set()
    assert draft_flags == {"\\Draft", "\\Seen"}


def test_a_mailbox_is_logged_out_at_the_end(imap_server: ImapServer) -> None:
    with connect(settings(imap_server)) as mailbox:
        pass
    assert isinstance(mailbox, Mailbox)
    with pytest.raises(Exception):  # noqa: B017 - any error: the connection is gone
        mailbox.client.noop()
