"""outreach.toml: who you are, how to send, and the limits that keep outreach humane."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from outreach.people.addresses import check_address
from outreach.support import durations
from outreach.support.errors import OutreachError, Problem, at, raise_if_errors
from outreach.support.files import read_text
from outreach.support.text import LINE_BREAKS, escaped, header_unsafe

SECURITY_CHOICES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# What plain `init` writes for the person to replace (outreach/data/outreach.toml), and what
# to put instead. Left in, they would sign a message "Your Name": `check` and `send` refuse them.
PLACEHOLDERS = {
    ("me", "name"): ("Your Name", "put your own name"),
    ("me", "email"): ("you@example.org", "put the address you send from"),
    ("me", "reply_to"): ("you@example.com", "put where replies should go, or remove the line"),
    ("smtp", "user"): (
        "you@example.org",
        "put your login at the server (usually your address), or remove the line for a "
        "server without a login",
    ),
}


@dataclass(frozen=True)
class Me:
    name: str
    email: str
    reply_to: str | None = None


@dataclass(frozen=True)
class Smtp:
    host: str | None
    port: int
    security: str
    user: str | None

    @property
    def is_loopback(self) -> bool:
        return self.host is not None and (
            self.host in LOOPBACK_HOSTS or self.host.startswith("127.")
        )


@dataclass(frozen=True)
class Limits:
    per_minute: int = 20
    per_day: int = 100
    max_new: int = 2
    follow_up_after: int = 7  # days


@dataclass(frozen=True)
class Settings:
    me: Me
    smtp: Smtp
    limits: Limits


_KNOWN = {
    "me": {"name", "email", "reply_to"},
    "smtp": {"host", "port", "security", "user"},
    "limits": {"per_minute", "per_day", "max_new", "follow_up_after"},
}


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
    try:
        data = tomllib.loads(text)
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
    lines = _Lines(text)
    problems: list[Problem] = []

    def problem(table: str, key: str | None, message: str) -> None:
        problems.append(Problem(at(path, lines.of(table, key)), message))

    for table, value in data.items():
        if table not in _KNOWN:
            problem(table, None, f"unknown section [{table}] (known: me, smtp, limits)")
        elif not isinstance(value, dict):
            problem(
                table,
                None,
                f"'{table}' must be a section: a line [{table}] with its settings under it",
            )
        else:
            for key in value:
                if key not in _KNOWN[table]:
                    known = ", ".join(sorted(_KNOWN[table]))
                    problem(table, key, f"unknown setting {table}.{key} (known: {known})")

    def section(name: str) -> dict[str, object]:
        value = data.get(name, {})
        return value if isinstance(value, dict) else {}

    def text_value(table: str, key: str, *, required: bool) -> str | None:
        value = section(table).get(key)
        if value is None:
            if required and isinstance(data.get(table, {}), dict):  # else: reported above
                where = f"in [{table}]" if table in data else f"(add a section [{table}])"
                problem(table, None, f"{table}.{key} is missing {where}")
            return None
        if not isinstance(value, str) or not value.strip():
            problem(table, key, f"{table}.{key} must be non-empty text in quotes")
            return None
        char = header_unsafe(value.strip())
        if char is not None:
            where = "mail headers" if table == "me" else "the conversation with the server"
            if char in LINE_BREAKS:
                problem(table, key, f"{table}.{key} must be one line: it goes into {where}")
            else:
                problem(
                    table,
                    key,
                    f"{table}.{key} holds the control character {escaped(char)}: "
                    f"it goes into {where}",
                )
            return None
        return value.strip()

    def address_value(table: str, key: str, *, required: bool) -> str | None:
        value = text_value(table, key, required=required)
        if value is None:
            return None
        normalized, reason = check_address(value)
        if reason:
            problem(table, key, f"{table}.{key}: {reason}")
        return normalized

    def number(table: str, key: str, default: int, low: int, high: int) -> int:
        value = section(table).get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problem(table, key, f"{table}.{key} must be a whole number from {low} to {high}")
            return default
        return value

    name = text_value("me", "name", required=True)
    email = address_value("me", "email", required=True)
    reply_to = address_value("me", "reply_to", required=False)

    security = section("smtp").get("security", "ssl")
    if security not in SECURITY_CHOICES:
        problem("smtp", "security", f"smtp.security must be one of {', '.join(SECURITY_CHOICES)}")
        security = "ssl"
    assert isinstance(security, str)
    smtp = Smtp(
        host=text_value("smtp", "host", required=False),
        port=number("smtp", "port", DEFAULT_PORTS[security], 1, 65535),
        security=security,
        user=text_value("smtp", "user", required=False),
    )

    if to_send:
        for (table, key), (placeholder, instead) in PLACEHOLDERS.items():
            value = section(table).get(key)
            if isinstance(value, str) and value.strip().casefold() == placeholder.casefold():
                problem(
                    table,
                    key,
                    f'{table}.{key} is still "{placeholder}", the placeholder that init wrote: '
                    f"{instead}",
                )

    follow_up_text = section("limits").get("follow_up_after", "7d")
    follow_up_days = (
        durations.parse_days(follow_up_text) if isinstance(follow_up_text, str) else None
    )
    if follow_up_days is None:
        problem("limits", "follow_up_after", f"limits.follow_up_after: {durations.HELP}, in quotes")
    elif follow_up_days == 0:
        problem("limits", "follow_up_after", 'limits.follow_up_after must be at least "1d"')
    limits = Limits(
        per_minute=number("limits", "per_minute", 20, 0, 10_000),
        per_day=number("limits", "per_day", 100, 0, 1_000_000),
        max_new=number("limits", "max_new", 2, 0, 1_000),
        follow_up_after=follow_up_days or 7,
    )
    if name is None or email is None:
        return None, problems
    return Settings(Me(name, email, reply_to), smtp, limits), problems
