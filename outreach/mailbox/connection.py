"""The IMAP connection that `sync` and `drafts push` share: TLS checked, logged in, folders found.

Through imapclient (the field's client: special-use folders, APPENDUID, Gmail's extensions and
XOAUTH2, over the standard library's imaplib). Certificates are always verified against the
system's trust store (SSL_CERT_FILE and SSL_CERT_DIR honoured); `security = "none"` is for a
server on this machine only. The login goes through `LOGINS`, one function per `imap.auth`.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from outreach.delivery import credentials
from outreach.support.errors import MailboxError
from outreach.support.text import printable
from outreach.workspace.settings import Imap, OAuth2

TIMEOUT = 60.0  # seconds for each read once connected (OUTREACH_COMMAND_TIMEOUT)
CONNECT_TIMEOUT = 10.0  # to connect and finish the TLS handshake (OUTREACH_CONNECT_TIMEOUT)

# The usual names of the special-use folders where a server does not mark them (RFC 6154),
# in the order they are tried (case does not matter; INBOX. and INBOX/ in front are tried too).
USUAL_NAMES: dict[str, tuple[str, ...]] = {
    "\\Drafts": ("Drafts", "[Gmail]/Drafts", "[Google Mail]/Drafts", "Draft", "Entwürfe"),
    "\\Sent": (
        "Sent",
        "Sent Items",
        "Sent Messages",
        "Sent Mail",
        "[Gmail]/Sent Mail",
        "[Google Mail]/Sent Mail",
        "Gesendet",
    ),
}
_PREFIXES = ("", "INBOX.", "INBOX/")

Prompt = Callable[[str], str]


def _seconds(variable: str, default: float) -> float:
    return float(os.environ.get(variable, str(default)))


@dataclass(frozen=True)
class Folder:
    name: str
    attributes: frozenset[str]  # "\\Drafts", "\\Sent", "\\Noselect" ... as the server lists them


class Mailbox:
    """A logged-in IMAP connection (`client` is imapclient's `IMAPClient`, UIDs throughout)."""

    def __init__(
        self,
        client: Any,
        settings: Imap,
        oauth2: OAuth2 | None = None,
        notify: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.oauth2 = oauth2  # [oauth2], for auth = "oauth2" without a password_cmd
        self.notify = notify  # a refreshed token, an old Google refresh token
        self._folders: tuple[Folder, ...] | None = None
        # How the login that worked logs in another connection (the same secret, found once:
        # never a second prompt or password_cmd run); set by the login.
        self.log_in_again: Callable[[Any], None] | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def has(self, capability: str) -> bool:
        return bool(self.client.has_capability(capability))

    def folders(self) -> tuple[Folder, ...]:
        """Every folder of the account, listed once per connection."""
        if self._folders is None:
            listed = self.client.list_folders()
            self._folders = tuple(
                Folder(str(name), frozenset(_text(flag) for flag in flags))
                for flags, _, name in listed
            )
        return self._folders

    def special_folder(self, use: str) -> str | None:
        """The folder for `use` ("\\Drafts", "\\Sent"): marked so (RFC 6154), else by its
        usual name; None where the account has neither."""
        folders = [f for f in self.folders() if "\\noselect" not in _lower(f.attributes)]
        for folder in folders:
            if use.lower() in _lower(folder.attributes):
                return folder.name
        by_name = {folder.name.lower(): folder.name for folder in folders}
        for usual in USUAL_NAMES.get(use, ()):
            for prefix in _PREFIXES:
                found = by_name.get((prefix + usual).lower())
                if found is not None:
                    return found
        return None

    def drafts_folder(self) -> str:
        found = self.special_folder("\\Drafts")
        if found is None:
            usual = ", ".join(USUAL_NAMES["\\Drafts"][:3])
            raise MailboxError(
                f"{self.where}: the account has no Drafts folder (none marked \\Drafts, none "
                f"named {usual}): create one in your mail program; nothing was pushed"
            )
        return found

    def sent_folder(self) -> str | None:
        return self.special_folder("\\Sent")

    def check_folders(self, names: Sequence[str]) -> None:
        """Every folder named (imap.folders) is in the account; else one error naming them."""
        have = {folder.name for folder in self.folders()}
        have_lower = {name.lower() for name in have}
        missing = [
            name
            for name in names
            if name not in have and not (name.upper() == "INBOX" and "inbox" in have_lower)
        ]
        if missing:
            listed = ", ".join(sorted(have, key=str.lower))
            raise MailboxError(
                *(
                    f"outreach.toml: imap.folders names '{name}', which the account at "
                    f"{self.where} does not have (it has: {listed})"
                    for name in missing
                )
            )

    def another(self) -> Any:
        """A second logged-in connection to the same account (imapclient's `IMAPClient`), for
        work that can run beside this one's; the caller logs it out."""
        if self.log_in_again is None:
            raise MailboxError(f"{self.where}: not logged in")
        client = _open(self.settings)
        try:
            self.log_in_again(client)
        except BaseException:
            with suppress(Exception):
                client.shutdown()
            raise
        return client

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:  # a connection already gone has nothing left to close
            with suppress(Exception):
                self.client.shutdown()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _lower(values: frozenset[str]) -> set[str]:
    return {value.lower() for value in values}


def _words(value: object) -> str:
    """A server's words as one printable line (a hostile server's escape codes escaped)."""
    return printable(
        " ".join(_text(value if isinstance(value, bytes | str) else str(value)).split())
    )


def tls_context() -> ssl.SSLContext:
    """The system's trust store (SSL_CERT_FILE and SSL_CERT_DIR honoured), names checked."""
    return ssl.create_default_context()


def _refuse_plain_text(settings: Imap) -> None:
    if settings.security == "none" and not settings.is_loopback:
        raise MailboxError(
            f'outreach.toml: imap.security = "none" sends the password in plain text, so it '
            f"is only for a server on this machine, not {settings.host}: "
            'set security = "ssl" (port 993) or "starttls" (port 143)'
        )


def _open(settings: Imap) -> Any:
    """Connected, over TLS where the settings ask for it, greeted; not yet logged in."""
    from imapclient import IMAPClient

    host = settings.host or ""
    implicit = settings.security == "ssl"
    context = tls_context() if settings.security != "none" else None
    client = IMAPClient(
        host,
        port=settings.port,
        ssl=implicit,
        ssl_context=context,
        timeout=_seconds("OUTREACH_CONNECT_TIMEOUT", CONNECT_TIMEOUT),
    )
    if settings.security == "starttls":
        client.starttls(context)
    client.socket().settimeout(_seconds("OUTREACH_COMMAND_TIMEOUT", TIMEOUT))
    return client


def _require_imap4rev1(client: Any, where: str) -> None:
    if not client.has_capability("IMAP4REV1"):
        offered = " ".join(_text(c) for c in client.capabilities())
        raise MailboxError(
            f"{where} does not speak IMAP4rev1 (it offers: {_words(offered)}), which outreach "
            "needs: check imap.host and imap.port"
        )


def password_login(mailbox: Mailbox, prompt: Prompt | None) -> None:
    """auth = "password": the password from the environment, the keyring or a prompt."""
    from imapclient.exceptions import LoginError

    settings = mailbox.settings
    password = credentials.find_password(settings, prompt)
    try:
        mailbox.client.login(settings.user, password.value)
        mailbox.log_in_again = lambda client: client.login(settings.user, password.value)
    except LoginError as error:
        words = _words(error).replace(password.value, "[the password]")
        raise MailboxError(
            f"{settings.host} refused the IMAP login for {settings.user}: {words}; "
            f"{credentials.login_hint(password.where, settings)}"
        ) from None


def oauth2_login(mailbox: Mailbox, prompt: Prompt | None) -> None:
    """auth = "oauth2": SASL XOAUTH2 with an access token from the stored OAuth2 login (or
    from imap.password_cmd, a token broker). A refused token is renewed once (a refresh, or
    the broker asked again) and the login tried once more; a second refusal is an error."""
    from imapclient.exceptions import LoginError

    from outreach.delivery.oauth2 import find_secret

    settings = mailbox.settings
    secret = find_secret(settings, mailbox.oauth2, prompt, mailbox.notify)
    token = secret.value
    for attempt in range(2):
        try:
            mailbox.client.oauth2_login(settings.user, token)
            mailbox.log_in_again = partial(_oauth2_again, settings.user, token)
            return
        except LoginError as error:
            if attempt == 0 and secret.renew is not None:
                mailbox.notify(
                    f"{settings.host} refused the access token (IMAP NO): getting a new one "
                    "and logging in once more"
                )
                token = secret.renew()
                reopened = _open(settings)
                with suppress(Exception):
                    mailbox.client.shutdown()
                mailbox.client = reopened
                continue
            words = _words(error).replace(token, "[the token]")
            raise MailboxError(
                f"{settings.host} refused the IMAP XOAUTH2 login for {settings.user}: {words}; "
                f"{credentials.login_hint(secret.where, settings)}"
            ) from None


def _oauth2_again(user: str | None, token: str, client: Any) -> None:
    client.oauth2_login(user, token)


# One login per `imap.auth`.
LOGINS: dict[str, Callable[[Mailbox, Prompt | None], None]] = {
    "password": password_login,
    "oauth2": oauth2_login,
}


def _log_in(mailbox: Mailbox, prompt: Prompt | None) -> None:
    settings = mailbox.settings
    if not settings.user:
        raise MailboxError("outreach.toml: [imap] has no user: an IMAP account needs a login")
    login = LOGINS.get(settings.auth)
    if login is None:
        raise MailboxError(
            f'outreach.toml: imap.auth = "{settings.auth}" is not a login outreach can make '
            f"over IMAP yet (it can: {', '.join(LOGINS)})"
        )
    login(mailbox, prompt)


def _connect_error(settings: Imap, error: Exception) -> MailboxError:
    """What went wrong while connecting, in the person's terms."""
    from imapclient.exceptions import IMAPClientError

    where = f"{settings.host}:{settings.port}"
    if isinstance(error, ssl.SSLCertVerificationError):
        from outreach.delivery.transport import certificate_refused  # smtplib: only here

        return MailboxError(certificate_refused(where, error, "imap"))
    if isinstance(error, ssl.SSLError):
        expected = "from the start" if settings.security == "ssl" else "after STARTTLS"
        return MailboxError(
            f"{where}: the TLS handshake failed ({_words(error.reason or error)}): does this "
            f'port speak TLS {expected}? Port 993 takes security = "ssl", 143 "starttls"'
        )
    if isinstance(error, TimeoutError | socket.timeout):
        return MailboxError(f"{where} did not answer in time: check imap.host and imap.port")
    if isinstance(error, OSError):
        return MailboxError(f"cannot reach {where}: {_words(error)}")
    if isinstance(error, IMAPClientError):
        return MailboxError(f"{where}: {_words(error)}")
    return MailboxError(f"{where}: {_words(error)}")


@contextmanager
def connect(
    settings: Imap,
    *,
    prompt: Prompt | None = None,
    oauth2: OAuth2 | None = None,
    notify: Callable[[str], None] = lambda _: None,
) -> Iterator[Mailbox]:
    """A logged-in mailbox for the [imap] settings, logged out at the end. `oauth2`: the
    [oauth2] settings, for imap.auth = "oauth2"; `notify` says what a login warns about.

    Every failure to connect or log in (a wrong password, a refused certificate, a server
    without IMAP4rev1, no server there) is a MailboxError with one clear line."""
    import imaplib

    from imapclient.exceptions import IMAPClientError

    _refuse_plain_text(settings)
    try:
        client = _open(settings)
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as error:
        raise _connect_error(settings, error) from None
    mailbox = Mailbox(client, settings, oauth2, notify)
    try:
        try:
            _require_imap4rev1(client, mailbox.where)
            _log_in(mailbox, prompt)
        except (OSError, imaplib.IMAP4.error) as error:
            raise _connect_error(settings, error) from None
        yield mailbox
    finally:
        mailbox.close()
