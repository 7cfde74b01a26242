"""outreach.toml: who you are, how to send, and the limits that keep outreach humane."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from outreach.people.addresses import check_address
from outreach.support import durations
from outreach.support.errors import OutreachError, Problem, at, raise_if_errors
from outreach.support.files import read_text
from outreach.support.text import LINE_BREAKS, escaped, header_unsafe

SECURITY_CHOICES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
AUTH_CHOICES = ("password", "oauth2", "none")
PROVIDERS = ("google", "microsoft", "custom")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class Me:
    name: str
    email: str
    reply_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class Server:
    """A mail server outreach logs in to: `[smtp]` or `[imap]`. `auth` is password, oauth2
    or none; `password_cmd` a command whose first line of output is the secret."""

    protocol: ClassVar[str]  # "smtp" | "imap": names its settings, variables and prompts
    host: str | None
    port: int
    security: str
    user: str | None
    auth: str = "password"
    password_cmd: str | None = None

    @property
    def is_loopback(self) -> bool:
        return self.host is not None and (
            self.host in LOOPBACK_HOSTS or self.host.startswith("127.")
        )


@dataclass(frozen=True, kw_only=True)
class Smtp(Server):
    protocol: ClassVar[str] = "smtp"


@dataclass(frozen=True, kw_only=True)
class Imap(Server):
    protocol: ClassVar[str] = "imap"
    folders: tuple[str, ...] = ("INBOX",)


@dataclass(frozen=True)
class OAuth2:
    """`[oauth2]`: the provider and the client id (the client secret is in the keyring).
    The endpoints and scopes are given for `custom` only; the presets fill them in otherwise."""

    provider: str
    client_id: str | None
    token_url: str | None = None
    device_url: str | None = None
    authorize_url: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    per_minute: int = 20
    per_day: int = 100
    max_new: int = 2
    follow_up_after: int = 7  # days
    max_message_mb: int = 20  # in units of 10^6 bytes, as encoded


@dataclass(frozen=True)
class Settings:
    me: Me
    smtp: Smtp
    limits: Limits
    imap: Imap | None = None  # None: no [imap] section
    oauth2: OAuth2 | None = None  # None: no [oauth2] section


# --- the settings: each declared once, with how it is read and its default ---------------


# The readers below are plain classes, not dataclasses: every command that reads
# outreach.toml imports this module, and a dataclass writes and compiles its methods as it is
# defined (for these nine, 25 of the module's 60 million instructions at import).


class _Kind:
    """How one setting is read. `placeholder`: what plain `init` writes for the person to
    replace (outreach/data/outreach.toml), and what to put instead. Left in, it would sign a
    message "Your Name": `check` and `send` refuse it."""

    def __init__(self, *, placeholder: tuple[str, str] | None = None) -> None:
        self.placeholder = placeholder

    def read(self, reader: _Reader, table: str, key: str, table_so_far: dict[str, Any]) -> Any:
        raise NotImplementedError


class _Text(_Kind):
    def __init__(
        self, *, required: bool = False, placeholder: tuple[str, str] | None = None
    ) -> None:
        super().__init__(placeholder=placeholder)
        self.required = required

    def read(
        self, reader: _Reader, table: str, key: str, table_so_far: dict[str, Any]
    ) -> str | None:
        value = reader.raw(table, key)
        if value is None:
            if self.required and isinstance(reader.data.get(table, {}), dict):  # else: reported
                where = f"in [{table}]" if table in reader.data else f"(add a section [{table}])"
                reader.problem(table, None, f"{table}.{key} is missing {where}")
            return None
        if not isinstance(value, str) or not value.strip():
            reader.problem(table, key, f"{table}.{key} must be non-empty text in quotes")
            return None
        char = header_unsafe(value.strip())
        if char is None:
            return value.strip()
        where = "mail headers" if table == "me" else "the conversation with the server"
        if char in LINE_BREAKS:
            reader.problem(table, key, f"{table}.{key} must be one line: it goes into {where}")
        else:
            reader.problem(
                table,
                key,
                f"{table}.{key} holds the control character {escaped(char)}: it goes into {where}",
            )
        return None


class _Address(_Text):
    def read(
        self, reader: _Reader, table: str, key: str, table_so_far: dict[str, Any]
    ) -> str | None:
        value = super().read(reader, table, key, table_so_far)
        if value is None:
            return None
        normalized, reason = check_address(value)
        if reason:
            reader.problem(table, key, f"{table}.{key}: {reason}")
        return normalized


class _Choice(_Kind):
    def __init__(self, *, choices: tuple[str, ...], default: str) -> None:
        super().__init__()
        self.choices = choices
        self.default = default

    def read(self, reader: _Reader, table: str, key: str, table_so_far: dict[str, Any]) -> str:
        value = reader.raw(table, key, self.default)
        if value not in self.choices:
            reader.problem(table, key, f"{table}.{key} must be one of {', '.join(self.choices)}")
            return self.default
        assert isinstance(value, str)
        return value


class _Number(_Kind):
    def __init__(
        self,
        *,
        low: int,
        high: int,
        default: int | Callable[[dict[str, Any]], int],  # or made from the table before
    ) -> None:
        super().__init__()
        self.low, self.high, self.default = low, high, default

    def read(self, reader: _Reader, table: str, key: str, table_so_far: dict[str, Any]) -> int:
        default = self.default if isinstance(self.default, int) else self.default(table_so_far)
        value = reader.raw(table, key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            value = None
        if value is None or not self.low <= value <= self.high:
            reader.problem(
                table, key, f"{table}.{key} must be a whole number from {self.low} to {self.high}"
            )
            return default
        return value


class _Days(_Kind):
    def __init__(self, *, default: int) -> None:
        super().__init__()
        self.default = default

    def read(self, reader: _Reader, table: str, key: str, table_so_far: dict[str, Any]) -> int:
        written = reader.raw(table, key)
        if written is None:
            return self.default
        days = durations.parse_days(written) if isinstance(written, str) else None
        if days is None:
            reader.problem(table, key, f"{table}.{key}: {durations.HELP}, in quotes")
        elif days == 0:
            reader.problem(table, key, f'{table}.{key} must be at least "1d"')
        return days or self.default


class _Texts(_Kind):
    """A list of one-line texts, such as imap.folders."""

    def __init__(self, *, default: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.default = default

    def read(
        self, reader: _Reader, table: str, key: str, table_so_far: dict[str, Any]
    ) -> tuple[str, ...]:
        value = reader.raw(table, key)
        if value is None:
            return self.default
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) and item.strip() for item in value)
        ):
            reader.problem(
                table, key, f'{table}.{key} must be a list of texts in quotes, such as ["INBOX"]'
            )
            return self.default
        for item in value:
            char = header_unsafe(item.strip())
            if char is not None:
                reader.problem(
                    table,
                    key,
                    f"{table}.{key} holds the control character {escaped(char)}: it goes into "
                    "the conversation with the server",
                )
                return self.default
        return tuple(item.strip() for item in value)


def _default_auth(table_so_far: dict[str, Any]) -> str:
    return "password" if table_so_far.get("user") else "none"


class _Auth(_Choice):
    """smtp.auth and imap.auth: the default is password where a user is set, else none."""

    def __init__(self, *, choices: tuple[str, ...]) -> None:
        super().__init__(choices=choices, default="password")

    def read(self, reader: _Reader, table: str, key: str, table_so_far: dict[str, Any]) -> str:
        written = reader.raw(table, key)
        if written is None:
            return _default_auth(table_so_far)
        return super().read(reader, table, key, table_so_far)


_USER_PLACEHOLDER = (
    "you@example.org",
    "put your login at the server (usually your address), or remove the line for a "
    "server without a login",
)

# In the order they are read (smtp.port's default follows smtp.security); the keys are the
# fields of Me, Smtp and Limits.
SETTINGS: dict[str, dict[str, _Kind]] = {
    "me": {
        "name": _Text(required=True, placeholder=("Your Name", "put your own name")),
        "email": _Address(
            required=True, placeholder=("you@example.org", "put the address you send from")
        ),
        "reply_to": _Address(
            placeholder=("you@example.com", "put where replies should go, or remove the line")
        ),
    },
    "smtp": {
        "security": _Choice(choices=SECURITY_CHOICES, default="ssl"),
        "host": _Text(),
        "port": _Number(low=1, high=65535, default=lambda smtp: DEFAULT_PORTS[smtp["security"]]),
        "user": _Text(placeholder=_USER_PLACEHOLDER),
        "auth": _Auth(choices=AUTH_CHOICES),
        "password_cmd": _Text(),
    },
    "imap": {
        "security": _Choice(choices=SECURITY_CHOICES, default="ssl"),
        "host": _Text(),
        "port": _Number(low=1, high=65535, default=lambda imap: IMAP_PORTS[imap["security"]]),
        "user": _Text(placeholder=_USER_PLACEHOLDER),
        "auth": _Auth(choices=AUTH_CHOICES),
        "password_cmd": _Text(),
        "folders": _Texts(default=("INBOX",)),
    },
    "oauth2": {
        "provider": _Choice(choices=PROVIDERS, default="google"),
        "client_id": _Text(),
        "token_url": _Text(),
        "device_url": _Text(),
        "authorize_url": _Text(),
        "scopes": _Texts(),
    },
    "limits": {
        "per_minute": _Number(low=0, high=10_000, default=Limits.per_minute),
        "per_day": _Number(low=0, high=1_000_000, default=Limits.per_day),
        "max_new": _Number(low=0, high=1_000, default=Limits.max_new),
        "follow_up_after": _Days(default=Limits.follow_up_after),
        "max_message_mb": _Number(low=1, high=1_000, default=Limits.max_message_mb),
    },
}

# Sections that may be left out; without them, Settings holds None.
OPTIONAL_SECTIONS = frozenset({"imap", "oauth2"})


_HEADER = re.compile(r"\[\[?\s*([A-Za-z0-9_-]+)\s*((?:\.\s*[A-Za-z0-9_-]+\s*)*)\]\]?\s*(#.*)?")


class _Lines:
    """Finds the line of a table or a key in TOML text, which tomllib does not report.

    A table is `[table]`, `[[table]]` or `table = ...` at the top; a key is `key = ...`
    or `key.sub = ...` in its table, or a header `[table.key]`.
    """

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()

    def of(self, table: str, key: str | None = None) -> int | None:
        current = ""
        table_line = None
        for number, raw in enumerate(self._lines, start=1):
            line = raw.strip()
            header = _HEADER.fullmatch(line)
            if header:
                current = header.group(1)
                sub = header.group(2).strip(" .").split(".")[0].strip()
                if current == table and key is not None and sub == key:
                    return number
                if current == table and table_line is None:
                    table_line = number
                continue
            if current == "" and table_line is None and _assigns(line, table):
                if key is None:
                    return number
                table_line = number
            if key is not None and current == table and _assigns(line, key):
                return number
        return table_line


def _assigns(line: str, key: str) -> bool:
    """True for `key = ...` and `key.sub = ...` (bare or quoted key)."""
    name = re.escape(key)
    return re.match(rf"""(?:{name}|"{name}"|'{name}')\s*[=.]""", line) is not None


def plain_text_logins(settings: Settings, path: Path) -> list[Problem]:
    """`security = "none"` off this machine where a password would cross the network in clear
    text: for [smtp] with a user, and for [imap] (`check` reports it; send and the mailbox
    commands refuse it)."""
    servers: list[Server] = [settings.smtp] if settings.smtp.user else []
    if settings.imap is not None:
        servers.append(settings.imap)
    lines = _Lines(read_text(path))
    return [
        Problem(
            at(path, lines.of(server.protocol, "security")),
            f'{server.protocol}.security = "none" would send the password in clear text to '
            f"{server.host}: use ssl or starttls (none is only for a server on this machine)",
        )
        for server in servers
        if server.security == "none" and not server.is_loopback
    ]


def load_settings(path: Path, *, to_send: bool = False) -> Settings:
    """Read and check outreach.toml; every problem at once, each with its line."""
    settings, problems = read_settings(path, to_send=to_send)
    raise_if_errors(problems)
    assert settings is not None
    return settings


def read_settings(path: Path, *, to_send: bool = False) -> tuple[Settings | None, list[Problem]]:
    """Settings and the problems found; the settings are None where an error stops them.

    `to_send` (check and send) also makes an error of every placeholder that plain `init`
    wrote and that is still there; the other commands work with them."""
    text = read_text(path)
    reader = _Reader(_parse_toml(text, path), _Lines(text), path)
    reader.refuse_unknown()
    values: dict[str, dict[str, Any]] = {table: {} for table in SETTINGS}
    for table, settings in SETTINGS.items():
        for key, kind in settings.items():
            values[table][key] = kind.read(reader, table, key, values[table])
            if to_send and kind.placeholder is not None:
                reader.refuse_placeholder(table, key, *kind.placeholder)
    me = values["me"]
    if me["name"] is None or me["email"] is None:
        return None, reader.problems
    present = {table for table in OPTIONAL_SECTIONS if isinstance(reader.data.get(table), dict)}
    if "imap" in present and values["imap"]["host"] is None and "host" not in reader.data["imap"]:
        reader.problem("imap", None, "imap.host is missing in [imap]")
    read = Settings(
        Me(**me),
        Smtp(**values["smtp"]),
        Limits(**values["limits"]),
        imap=Imap(**values["imap"]) if "imap" in present else None,
        oauth2=OAuth2(**values["oauth2"]) if "oauth2" in present else None,
    )
    return read, reader.problems


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    """The TOML document; an error names the line tomllib names in its words."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = int(match.group(1)) if match else None
        if match is None and "end of document" in str(error):
            line = len(text.splitlines()) or 1
        reason = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", str(error))
        raise OutreachError(Problem(at(path, line), f"invalid TOML: {reason}")) from None
    except RecursionError:
        raise OutreachError(
            Problem(at(path), "invalid TOML: arrays or tables nested too deeply")
        ) from None


class _Reader:
    """The TOML document being read, and the problems found in it, each on its line."""

    def __init__(self, data: dict[str, Any], lines: _Lines, path: Path) -> None:
        self.data = data
        self.lines = lines
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, table: str, key: str | None, message: str) -> None:
        self.problems.append(Problem(at(self.path, self.lines.of(table, key)), message))

    def raw(self, table: str, key: str, default: object = None) -> object:
        """The value as written; the default where it is not (or its table is no table)."""
        section = self.data.get(table, {})
        return section.get(key, default) if isinstance(section, dict) else default

    def refuse_unknown(self) -> None:
        """A problem for each section and setting outreach does not know."""
        for table, value in self.data.items():
            if table not in SETTINGS:
                known = ", ".join(SETTINGS)
                self.problem(table, None, f"unknown section [{table}] (known: {known})")
            elif not isinstance(value, dict):
                self.problem(
                    table,
                    None,
                    f"'{table}' must be a section: a line [{table}] with its settings under it",
                )
            else:
                for key in value:
                    if key not in SETTINGS[table]:
                        known = ", ".join(sorted(SETTINGS[table]))
                        self.problem(table, key, f"unknown setting {table}.{key} (known: {known})")

    def refuse_placeholder(self, table: str, key: str, placeholder: str, instead: str) -> None:
        value = self.raw(table, key)
        if isinstance(value, str) and value.strip().casefold() == placeholder.casefold():
            self.problem(
                table,
                key,
                f'{table}.{key} is still "{placeholder}", the placeholder that init wrote: '
                f"{instead}",
            )
