"""The server sections of version 2: [imap], [oauth2], smtp.auth and password_cmd."""

from __future__ import annotations

from pathlib import Path

from outreach.workspace.settings import Imap, OAuth2, load_settings, read_settings

ME = '[me]\nname = "Sam Rivera"\nemail = "sam@example.org"\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "outreach.toml"
    path.write_text(ME + text, encoding="utf-8")
    return path


def test_without_imap_or_oauth2_sections_they_are_none(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, '[smtp]\nhost = "smtp.example.org"\n'))
    assert settings.imap is None
    assert settings.oauth2 is None
    assert settings.smtp.auth == "none"  # no user: no login
    assert settings.limits.max_message_mb == 20


def test_smtp_auth_defaults_to_password_where_a_user_is_set(tmp_path: Path) -> None:
    text = '[smtp]\nhost = "smtp.example.org"\nuser = "sam@example.org"\n'
    text += 'password_cmd = "pass show mail"\n'
    settings = load_settings(_write(tmp_path, text))
    assert settings.smtp.auth == "password"
    assert settings.smtp.password_cmd == "pass show mail"


def test_imap_section_reads_with_its_own_default_ports(tmp_path: Path) -> None:
    text = '[imap]\nhost = "imap.example.org"\nuser = "sam@example.org"\n'
    text += 'folders = ["INBOX", "Archive"]\n'
    text += '[oauth2]\nprovider = "microsoft"\nclient_id = "abc"\n'
    settings = load_settings(_write(tmp_path, text))
    assert settings.imap == Imap(
        host="imap.example.org",
        port=993,
        security="ssl",
        user="sam@example.org",
        auth="password",
        folders=("INBOX", "Archive"),
    )
    assert settings.oauth2 == OAuth2(provider="microsoft", client_id="abc")
    starttls = load_settings(_write(tmp_path, '[imap]\nhost = "h"\nsecurity = "starttls"\n'))
    assert starttls.imap is not None and starttls.imap.port == 143


def test_bad_imap_values_are_problems_on_their_lines(tmp_path: Path) -> None:
    text = '[imap]\nuser = "sam@example.org"\nfolders = "INBOX"\nauth = "token"\n'
    _, problems = read_settings(_write(tmp_path, text))
    messages = [(problem.where, problem.message) for problem in problems]
    assert any("imap.folders must be a list" in message for _, message in messages), messages
    assert any("imap.auth must be one of" in message for _, message in messages), messages
    assert any("imap.host is missing" in message for _, message in messages), messages
    assert any(where.endswith(":6") for where, _ in messages), messages
