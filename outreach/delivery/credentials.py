"""A server's password: the environment, then the system keyring, then a prompt on a terminal.

The same rules serve `[smtp]` and `[imap]`; each has its own environment variable, and the
keyring holds one password per login, so an IMAP login that equals the SMTP one shares it.
The password is never written anywhere but the keyring, and never printed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from outreach.support.errors import CredentialsError
from outreach.workspace.settings import Server

SERVICE = "outreach"


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
    """A password and where it came from, so that a refused login can say what to fix."""

    value: str = field(repr=False)
    where: str  # "environment" | "keyring" | "prompt"


def login_hint(where: str, server: Server) -> str:
    """What to do when the server refuses the password that came from `where`."""
    variable = environment_variable(server)
    hints = {
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
    """The environment, then the keyring, then the prompt (only where there is a terminal)."""
    variable = environment_variable(server)
    from_environment = os.environ.get(variable)
    if from_environment:
        return Password(from_environment, "environment")
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
    if os.environ.get(variable):
        return Source("environment", f"from the environment variable {variable}")
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
