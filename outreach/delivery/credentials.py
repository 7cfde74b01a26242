"""A server's secret: the environment, then `password_cmd`, then the system keyring, then a
prompt on a terminal.

The same rules serve `[smtp]` and `[imap]`; each has its own environment variable, and the
keyring holds one password per login, so an IMAP login that equals the SMTP one shares it.
With `auth = "oauth2"` and a `password_cmd`, the command's output is an access token (a token
broker's); the built-in OAuth2 flows are delivery/oauth2.py's. The secret is never written
anywhere but the keyring, and never printed.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from outreach.support.errors import CredentialsError
from outreach.workspace.settings import Server

SERVICE = "outreach"
COMMAND_TIMEOUT = 10.0  # seconds a password_cmd has to answer
# A password_cmd holding any of these is run by /bin/sh (a pipe, a variable, a redirection,
# ~ or a wildcard need a shell); any other is split like a shell's words and run directly.
SHELL_CHARACTERS = frozenset("|&;<>()$`*?~\n")


def environment_variable(server: Server) -> str:
    """OUTREACH_SMTP_PASSWORD or OUTREACH_IMAP_PASSWORD."""
    return f"OUTREACH_{server.protocol.upper()}_PASSWORD"


def no_backend(server: Server) -> str:
    return (
        "this machine has no system keyring (a headless server?): set the password in the "
        f"environment as {environment_variable(server)}, or install a keyring backend such as "
        "keyrings.alt (and choose it with PYTHON_KEYRING_BACKEND)"
    )


@dataclass(frozen=True)
class Source:
    where: str  # "environment" | "keyring" | "prompt" | "none"
    detail: str


@dataclass(frozen=True)
class Password:
    """A secret and where it came from, so that a refused login can say what to fix.

    `xoauth2`: the secret is an OAuth2 access token, for SASL XOAUTH2. `current` gives the
    token to use at each login (refreshed once it expires); `renew` a new one after the
    server refused it (a refresh, or the token broker's command run again)."""

    value: str = field(repr=False)
    where: str  # "environment" | "command" | "keyring" | "prompt" | "oauth2"
    xoauth2: bool = False
    current: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    renew: Callable[[], str] | None = field(default=None, repr=False, compare=False)


def command_timeout() -> float:
    """Seconds a password_cmd may take (OUTREACH_PASSWORD_CMD_TIMEOUT, default 10)."""
    return float(os.environ.get("OUTREACH_PASSWORD_CMD_TIMEOUT", str(COMMAND_TIMEOUT)))


def needs_shell(command: str) -> bool:
    return any(char in SHELL_CHARACTERS for char in command)


def command_program(command: str) -> str:
    """The program a password_cmd runs (its first word), to name it in an error."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return words[0] if words else command


def run_password_cmd(server: Server) -> str:
    """The first line of the command's standard output; what it prints is never shown.

    A non-zero exit, a time-out, an empty first line or a command that cannot start is a
    CredentialsError naming the setting, the program and the exit status."""
    command = server.password_cmd or ""
    setting = f"{server.protocol}.password_cmd"
    program = command_program(command)
    if needs_shell(command):
        argv = ["/bin/sh", "-c", command]
    else:
        try:
            argv = shlex.split(command)
        except ValueError as error:
            raise CredentialsError(f"{setting} cannot be read as a command: {error}") from None
    if not argv:
        raise CredentialsError(f"{setting} is empty")
    seconds = command_timeout()
    try:
        # Its own session, so that a time-out stops the whole of it (a shell's children too).
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise CredentialsError(
            f"{setting}: '{program}' could not be run ({error.strerror or 'cannot start'})"
        ) from None
    with process:
        try:
            stdout, _ = process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise CredentialsError(
                f"{setting}: '{program}' did not finish within {seconds:g} s (it was stopped); "
                "nothing was sent"
            ) from None
    if process.returncode != 0:
        raise CredentialsError(
            f"{setting}: '{program}' failed with exit status {process.returncode} "
            "(what it printed is not shown)"
        )
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialsError(
            f"{setting}: '{program}' printed something that is not UTF-8 text "
            f"(exit status {process.returncode}; what it printed is not shown)"
        ) from None
    lines = text.splitlines()
    secret = lines[0].strip("\r\n") if lines else ""
    if not secret.strip():
        raise CredentialsError(
            f"{setting}: '{program}' printed an empty first line (exit status "
            f"{process.returncode}): the secret must be its first line of output"
        )
    return secret


def login_hint(where: str, server: Server) -> str:
    """What to do when the server refuses the password that came from `where`."""
    variable = environment_variable(server)
    hints = {
        "command": (
            f"the secret came from {server.protocol}.password_cmd, which is used before the "
            "keyring: check what that command gives"
        ),
        "oauth2": "the OAuth2 access token was refused: run 'outreach auth login --oauth2' again",
        "environment": (
            f"the password came from {variable} in the environment, which is used before "
            f"the keyring: correct it, or unset {variable} to use the keyring"
        ),
        "keyring": (
            "the password came from the system keyring: store the right one with "
            "'outreach auth login'"
        ),
        "prompt": "the password typed was refused: check it and try again",
    }
    hint = hints.get(where, "check the password (outreach auth login)")
    host = (server.host or "").lower()
    if host.endswith(("gmail.com", "googlemail.com")):
        hint += "; Gmail takes an app password, not the account's own"
    return hint


def _user(server: Server) -> str:
    if not server.user:
        raise CredentialsError(
            f"{server.protocol}.user is not set in outreach.toml: this server needs no login, "
            "so no password"
        )
    return server.user


def _keyring() -> Any:
    import keyring

    return keyring


def _no_backend(error: Exception) -> bool:
    from keyring.errors import NoKeyringError

    return isinstance(error, NoKeyringError)


def stored_password(server: Server) -> str | None:
    """The password in the keyring, or None; a clear error where there is no keyring."""
    from keyring.errors import KeyringError

    try:
        value = _keyring().get_password(SERVICE, _user(server))
    except KeyringError as error:
        if _no_backend(error):
            raise CredentialsError(no_backend(server)) from None
        raise CredentialsError(f"the system keyring could not be read: {error}") from None
    return str(value) if value is not None else None


def find_password(server: Server, prompt: Callable[[str], str] | None) -> Password:
    """The environment, then password_cmd, then the keyring, then the prompt (only where there
    is a terminal). With auth = "oauth2", only password_cmd: its output is an access token."""
    if server.auth == "oauth2":
        if not server.password_cmd:
            raise CredentialsError(
                f"{server.protocol}.auth is oauth2 without a {server.protocol}.password_cmd: "
                "the token comes from 'outreach auth login --oauth2' (delivery/oauth2.py)"
            )
        return Password(
            run_password_cmd(server),
            "command",
            xoauth2=True,
            renew=lambda: run_password_cmd(server),
        )
    variable = environment_variable(server)
    from_environment = os.environ.get(variable)
    if from_environment:
        return Password(from_environment, "environment")
    if server.password_cmd:
        _user(server)
        return Password(run_password_cmd(server), "command")
    no_keyring: CredentialsError | None = None
    try:
        stored = stored_password(server)
    except CredentialsError as error:
        stored, no_keyring = None, error
    if stored:
        return Password(stored, "keyring")
    if prompt is not None:
        label = server.protocol.upper()
        return Password(prompt(f"{label} password for {_user(server)} at {server.host}"), "prompt")
    if no_keyring is not None:
        raise no_keyring
    raise CredentialsError(
        f"no {server.protocol.upper()} password for {_user(server)}: run 'outreach auth login', "
        f"or set {variable} in the environment"
    )


def store_password(server: Server, password: str) -> None:
    from keyring.errors import KeyringError

    if not password:
        raise CredentialsError("the password is empty; nothing was stored")
    try:
        _keyring().set_password(SERVICE, _user(server), password)
    except KeyringError as error:
        if _no_backend(error):
            raise CredentialsError(no_backend(server)) from None
        raise CredentialsError(f"the system keyring refused the password: {error}") from None


def forget_password(server: Server) -> bool:
    """Remove the stored password; False if there was none."""
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        _keyring().delete_password(SERVICE, _user(server))
    except PasswordDeleteError:
        return False
    except KeyringError as error:
        if _no_backend(error):
            raise CredentialsError(no_backend(server)) from None
        raise CredentialsError(f"the system keyring could not be changed: {error}") from None
    return True


def password_source(server: Server, has_terminal: bool) -> Source:
    """Where the password would come from, without showing it."""
    variable = environment_variable(server)
    if not server.user:
        return Source(
            "none", f"{server.protocol}.user is not set: the server is used without a login"
        )
    command = server.password_cmd
    if server.auth == "oauth2" and command:
        return Source(
            "command",
            f"an OAuth2 access token from {server.protocol}.password_cmd "
            f"('{command_program(command)}'), run at each login",
        )
    if os.environ.get(variable):
        return Source("environment", f"from the environment variable {variable}")
    if command:
        how = "through /bin/sh" if needs_shell(command) else "without a shell"
        return Source(
            "command",
            f"from {server.protocol}.password_cmd ('{command_program(command)}', run {how} "
            "at each login)",
        )
    try:
        if stored_password(server):
            backend = type(_keyring().get_keyring()).__name__
            return Source(
                "keyring",
                f"from the system keyring ({backend}), service '{SERVICE}', user '{server.user}'",
            )
        missing = f"not in the system keyring for '{server.user}'"
    except CredentialsError as error:
        missing = str(error)
    if has_terminal:
        return Source("prompt", f"{missing}; outreach will ask for it")
    return Source("none", f"{missing}; run 'outreach auth login' or set {variable}")


# --- the keyring for other secrets (delivery/oauth2.py's tokens and client secret) --------


def keyring_read(key: str, no_keyring: str) -> str | None:
    """The secret stored under `key` (service 'outreach'), or None. `no_keyring`: the error's
    words where the machine has no keyring backend (they name the ways out)."""
    from keyring.errors import KeyringError

    try:
        value = _keyring().get_password(SERVICE, key)
    except KeyringError as error:
        if _no_backend(error):
            raise CredentialsError(no_keyring) from None
        raise CredentialsError(f"the system keyring could not be read: {error}") from None
    return str(value) if value is not None else None


def keyring_write(key: str, secret: str, no_keyring: str) -> None:
    from keyring.errors import KeyringError

    try:
        _keyring().set_password(SERVICE, key, secret)
    except KeyringError as error:
        if _no_backend(error):
            raise CredentialsError(no_keyring) from None
        raise CredentialsError(f"the system keyring refused to store it: {error}") from None


def keyring_remove(key: str, no_keyring: str) -> bool:
    """Remove what is stored under `key`; False if nothing was."""
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        _keyring().delete_password(SERVICE, key)
    except PasswordDeleteError:
        return False
    except KeyringError as error:
        if _no_backend(error):
            raise CredentialsError(no_keyring) from None
        raise CredentialsError(f"the system keyring could not be changed: {error}") from None
    return True


def keyring_backend() -> str:
    return type(_keyring().get_keyring()).__name__
