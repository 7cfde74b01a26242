"""outreach.toml: good settings become typed values; every bad one is a line with its place."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from outreach.support.errors import OutreachError
from outreach.workspace.settings import Limits, load_settings
from tests.conftest import Invoke
from tests.helpers import assert_error, errors, run_unchanged, write

ME = '[me]\nname = "Sam Rivera"\nemail = "sam@example.org"\n'


def settings_file(tmp_path: Path, text: str) -> Path:
    return write(tmp_path / "outreach.toml", text)


# --- good settings -------------------------------------------------------------------


def test_the_example_settings_load(workspace: Path) -> None:
    settings = load_settings(workspace / "outreach.toml")
    assert settings.me.name == "Sam Rivera"
    assert settings.me.email == "sam@example.org"
    assert settings.me.reply_to == "sam.rivera@example.com"
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
        "smtp.example.org",
        465,
        "ssl",
    )
    assert settings.smtp.user == "sam@example.org"
    assert settings.limits == Limits(per_minute=20, per_day=100, max_new=2, follow_up_after=7)


def test_settings_are_frozen(workspace: Path) -> None:
    settings = load_settings(workspace / "outreach.toml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.me.name = "Someone Else"  # type: ignore[misc]


def test_only_me_is_required_and_the_rest_has_defaults(tmp_path: Path) -> None:
    settings = load_settings(settings_file(tmp_path, ME))
    assert settings.me.reply_to is None
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (None, 465, "ssl")
    assert settings.smtp.user is None
    assert settings.limits == Limits()


@pytest.mark.parametrize(("security", "port"), [("ssl", 465), ("starttls", 587), ("none", 25)])
def test_the_port_follows_the_security(tmp_path: Path, security: str, port: int) -> None:
    settings = load_settings(
        settings_file(
            tmp_path, ME + f'[smtp]\nhost = "mail.example.org"\nsecurity = "{security}"\n'
        )
    )
    assert settings.smtp.port == port


@pytest.mark.parametrize(("text", "days"), [("10d", 10), ("3w", 21), ("2m", 60)])
def test_follow_up_after_is_a_duration(tmp_path: Path, text: str, days: int) -> None:
    settings = load_settings(
        settings_file(tmp_path, ME + f'[limits]\nfollow_up_after = "{text}"\n')
    )
    assert settings.limits.follow_up_after == days


def test_per_minute_zero_means_no_pause(tmp_path: Path) -> None:
    settings = load_settings(settings_file(tmp_path, ME + "[limits]\nper_minute = 0\n"))
    assert settings.limits.per_minute == 0


def test_every_problem_is_raised_at_once(tmp_path: Path) -> None:
    path = settings_file(
        tmp_path, '[me]\nname = ""\nemail = "nobody"\n[smtp]\nport = 0\n[limits]\nmax_new = -1\n'
    )
    with pytest.raises(OutreachError) as raised:
        load_settings(path)
    assert [p.where for p in raised.value.problems] == [
        "outreach.toml:2",
        "outreach.toml:3",
        "outreach.toml:5",
        "outreach.toml:7",
    ]


# --- the catalogue of bad settings ---------------------------------------------------

SETTINGS_CASES = [
    # broken TOML
    pytest.param(
        '[me]\nname = "Sam\nemail = "sam@example.org"\n',
        "outreach.toml:2",
        ["invalid TOML"],
        id="unclosed-string",
    ),
    pytest.param(
        ME + "[smtp\n",
        "outreach.toml:4",
        ["invalid TOML"],
        id="unclosed-header",
    ),
    pytest.param(
        ME + 'name = "Sam"\n',
        "outreach.toml:4",
        ["invalid TOML"],
        id="key-twice",
    ),
    pytest.param(
        ME + "[limits]\nper_day = 100 per day\n",
        "outreach.toml:5",
        ["invalid TOML"],
        id="trailing-words",
    ),
    pytest.param(
        ME + 'x = """never closed\n',
        "outreach.toml:4",
        ["invalid TOML"],
        id="unclosed-multiline-string",
    ),
    # unknown settings and sections
    pytest.param(
        ME + 'colour = "blue"\n',
        "outreach.toml:4",
        ["unknown setting me.colour", "(known: email, name, reply_to)"],
        id="unknown-setting",
    ),
    pytest.param(
        ME + '[smtp]\nhost = "mail.example.org"\npassword = "hunter2"\n',
        "outreach.toml:6",
        ["unknown setting smtp.password", "host, password_cmd, port, security, user"],
        id="password-is-not-a-setting",
    ),
    pytest.param(
        ME + "\n[limit]\nmax_new = 3\n",
        "outreach.toml:5",
        ["unknown section [limit]", "(known: me, smtp, imap, oauth2, limits)"],
        id="unknown-section",
    ),
    pytest.param(
        ME + "[smtp.tls]\nverify = false\n",
        "outreach.toml:4",
        ["unknown setting smtp.tls"],
        id="unknown-subtable",
    ),
    pytest.param(
        'me = "Sam Rivera"\n',
        "outreach.toml:1",
        ["'me' must be a section", "[me]"],
        id="me-is-not-a-section",
    ),
    pytest.param(
        ME + "[[limits]]\nmax_new = 3\n",
        "outreach.toml:4",
        ["'limits' must be a section"],
        id="array-of-tables",
    ),
    # [me]
    pytest.param(
        '[me]\nemail = "sam@example.org"\n',
        "outreach.toml:1",
        ["me.name is missing in [me]"],
        id="no-name",
    ),
    pytest.param(
        '[me]\nname = "  "\nemail = "sam@example.org"\n',
        "outreach.toml:2",
        ["me.name must be non-empty text in quotes"],
        id="blank-name",
    ),
    pytest.param(
        '[me]\nname = 42\nemail = "sam@example.org"\n',
        "outreach.toml:2",
        ["me.name must be non-empty text in quotes"],
        id="name-is-a-number",
    ),
    pytest.param(
        '[me]\nname = """Sam\nRivera"""\nemail = "sam@example.org"\n',
        "outreach.toml:2",
        ["me.name must be one line", "mail headers"],
        id="name-with-line-break",
    ),
    pytest.param(
        '[me]\nname = "Sam"\nemail = "sam@example.org\\r\\nBcc: eve@example.org"\n',
        "outreach.toml:3",
        ["me.email must be one line"],
        id="email-header-injection",
    ),
    pytest.param(
        '[me]\nname = "Sam"\nemail = "sam at example.org"\n',
        "outreach.toml:3",
        ["me.email: 'sam at example.org' is not a valid email address"],
        id="bad-email",
    ),
    pytest.param(
        ME + 'reply_to = "sam@"\n',
        "outreach.toml:4",
        ["me.reply_to: 'sam@' is not a valid email address"],
        id="bad-reply-to",
    ),
    pytest.param(
        ME + "reply_to = true\n",
        "outreach.toml:4",
        ["me.reply_to must be non-empty text in quotes"],
        id="reply-to-is-a-boolean",
    ),
    # [smtp]
    pytest.param(
        ME + '[smtp]\nhost = "mail.example.org"\nsecurity = "tls"\n',
        "outreach.toml:6",
        ["smtp.security must be one of ssl, starttls, none"],
        id="bad-security",
    ),
    pytest.param(
        ME + '[smtp]\nsecurity = "SSL"\n',
        "outreach.toml:5",
        ["smtp.security must be one of ssl, starttls, none"],
        id="security-in-capitals",
    ),
    pytest.param(
        ME + "[smtp]\nsecurity = true\n",
        "outreach.toml:5",
        ["smtp.security must be one of"],
        id="security-is-a-boolean",
    ),
    *[
        pytest.param(
            ME + f"[smtp]\nport = {port}\n",
            "outreach.toml:5",
            ["smtp.port must be a whole number from 1 to 65535"],
            id=f"port-{port}",
        )
        for port in ("0", "70000", "-25", '"465"', "465.0", "true")
    ],
    pytest.param(
        ME + '[smtp]\nhost = ""\n',
        "outreach.toml:5",
        ["smtp.host must be non-empty text"],
        id="empty-host",
    ),
    # [limits]
    *[
        pytest.param(
            ME + f"[limits]\n{key} = {value}\n",
            "outreach.toml:5",
            [f"limits.{key} must be a whole number from 0 to"],
            id=f"{key}-{value}",
        )
        for key, value in (
            ("per_minute", "-1"),
            ("per_day", '"100"'),
            ("max_new", "2.5"),
            ("max_new", "false"),
        )
    ],
    *[
        pytest.param(
            ME + f"[limits]\nfollow_up_after = {value}\n",
            "outreach.toml:5",
            ["limits.follow_up_after: a duration is a number of days, weeks or months"],
            id=f"follow-up-{value}",
        )
        for value in ("7", '"7"', '"1y"', '"a week"', '"5000m"')
    ],
    pytest.param(
        ME + '[limits]\nfollow_up_after = "0d"\n',
        "outreach.toml:5",
        ['limits.follow_up_after must be at least "1d"'],
        id="follow-up-zero",
    ),
]


@pytest.mark.parametrize(("text", "where", "fragments"), SETTINGS_CASES)
def test_bad_settings_are_one_clear_line_and_write_nothing(
    run: Invoke, workspace: Path, text: str, where: str, fragments: list[str]
) -> None:
    write(workspace / "outreach.toml", text)
    result = run_unchanged(run, workspace, "check")
    assert_error(result, where, *fragments)
    assert len(errors(result)) == 1, result.stderr  # one mistake, one line
    assert result.stdout == ""


def test_every_bad_setting_is_reported_at_once(run: Invoke, workspace: Path) -> None:
    write(
        workspace / "outreach.toml",
        "[me]\n"
        'name = "Sam Rivera"\n'
        'email = "sam@"\n'  # 3
        "[smtp]\n"
        'security = "tls"\n'  # 5
        "port = 99999\n"  # 6
        "[limits]\n"
        "max_new = -2\n"  # 8
        'follow_up_after = "soon"\n'  # 9
        "[extras]\n",  # 10
    )
    result = run_unchanged(run, workspace, "check")
    for line in (3, 5, 6, 8, 9, 10):
        assert_error(result, f"outreach.toml:{line}")
    assert len(errors(result)) == 6


def test_an_empty_settings_file_says_what_is_missing(run: Invoke, workspace: Path) -> None:
    write(workspace / "outreach.toml", "# nothing yet\n")
    result = run_unchanged(run, workspace, "check")
    assert_error(result, "outreach.toml", "me.name is missing", "add a section [me]")
    assert_error(result, "outreach.toml", "me.email is missing")


def test_a_section_that_is_not_one_is_reported_once(run: Invoke, workspace: Path) -> None:
    write(workspace / "outreach.toml", 'me = "Sam Rivera"\n')
    result = run_unchanged(run, workspace, "check")
    settings_errors = [line for line in errors(result) if "outreach.toml" in line]
    assert settings_errors == [
        "Error: outreach.toml:1: 'me' must be a section: a line [me] with its settings under it"
    ]


def test_deeply_nested_toml_is_an_error_not_a_crash(run: Invoke, workspace: Path) -> None:
    write(workspace / "outreach.toml", ME + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    result = run_unchanged(run, workspace, "check")
    assert_error(result, "outreach.toml", "invalid TOML", "nested too deeply")


def test_bad_settings_stop_commands_that_need_them(run: Invoke, workspace: Path) -> None:
    write(workspace / "outreach.toml", ME + "[smtp]\nport = 0\n")
    for args in (("templates", "preview", "request", "--to", "ada"), ("draft", "request", "ada")):
        result = run_unchanged(run, workspace, *args)
        assert_error(result, "outreach.toml:5", "smtp.port")
