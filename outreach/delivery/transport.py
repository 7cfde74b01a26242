"""The SMTP session: logged in once through yagmail's client, one message at a time.

Each message goes in stages (sender, recipient, data) so the caller can record
its attempt between the server accepting the recipient and the message going
out, and so a failure is known to be before or after the end of the message.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hmac
import os
import re
import smtplib
import socket
import ssl
import sys
from collections.abc import Callable
from typing import Any

from outreach.support.errors import SendError
from outreach.support.text import printable
from outreach.workspace.settings import Smtp

TIMEOUT = 60.0  # for each command once the server has greeted
CONNECT_TIMEOUT = 10.0  # to connect, finish the TLS handshake and hear the greeting
# One login method is tried, the first of these that the server offers (smtplib's own login
# tries each offered method in turn, so a wrong password cost a failed login per method).
# PLAIN is the standard over TLS and works whatever way the server stores passwords.
LOGIN_METHODS = ("PLAIN", "LOGIN", "CRAM-MD5")
# OpenSSL's verify codes that call for another hint than a trust store
_NAME_MISMATCH = frozenset({62, 64})  # X509_V_ERR_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH
_CERT_HAS_EXPIRED = 10


def command_timeout() -> float:
    """Seconds the server has for each read once it has greeted (OUTREACH_COMMAND_TIMEOUT).

    A socket timeout: it bounds each read, not a whole reply, so a slow server that keeps
    sending is never cut off."""
    return float(os.environ.get("OUTREACH_COMMAND_TIMEOUT", str(TIMEOUT)))


def connect_timeout() -> float:
    """Seconds a server has to accept the connection and greet (OUTREACH_CONNECT_TIMEOUT)."""
    return float(os.environ.get("OUTREACH_CONNECT_TIMEOUT", str(CONNECT_TIMEOUT)))


class Refused(Exception):
    """The server answered with a refusal at one stage."""

    def __init__(self, stage: str, code: int, text: str) -> None:
        self.stage = stage  # "sender" | "recipient" | "message"
        self.code = code
        self.text = text
        super().__init__(f"{code} {text}")

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500


class Dropped(Exception):
    """The connection failed before the end of the message was sent: it did not arrive."""


class Unanswered(Exception):
    """The end of the message was sent and no answer came: nobody knows whether it arrived."""

    def __init__(self, text: str, *, silent: bool = False) -> None:
        self.silent = silent  # no word within the timeout (not a closed connection)
        super().__init__(text)


class Stalled(Exception):
    """The server stopped answering before the end of a message (it did not arrive): a read
    waited the whole timeout. Not retried: a server that is silent once is not waited for
    again in the same run."""


def _timed_out(error: BaseException) -> bool:
    # smtplib turns a timeout while reading a reply into SMTPServerDisconnected
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def _words(reply: bytes | str) -> str:
    """A server's reply as one printable line: its control characters (an ESC a hostile
    server sends) escaped, so that it can go into a draft's header and onto a terminal."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return printable(" ".join(text.split()))


def _stuffed(data: bytes) -> bytes:
    if data.startswith(b".") or b"\n." in data:  # rare: the search is a fifth of the regex
        data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class _Silent(Exception):
    """The server took the connection and said nothing (no greeting, no TLS handshake)."""


class _NoLogin(Exception):
    """The server offers no AUTH at all."""


class _NoLoginMethod(Exception):
    """The server offers AUTH, but none of LOGIN_METHODS (or no XOAUTH2, for a token)."""

    def __init__(self, offered: str, spoken: tuple[str, ...] = LOGIN_METHODS) -> None:
        self.spoken = spoken
        super().__init__(offered)


class _Opening(smtplib.SMTP):
    """smtplib's client with a short wait for the server's first words, and one login try.

    The connection, the TLS handshake and the greeting get `opening_timeout`; every later
    command the ordinary timeout. With `xoauth2`, the password is an OAuth2 access token and
    the login is SASL XOAUTH2.
    """

    def __init__(
        self, *args: Any, opening_timeout: float, xoauth2: bool = False, **kwargs: Any
    ) -> None:
        self.opening_timeout = opening_timeout
        self.xoauth2 = xoauth2
        self._reached = False
        super().__init__(*args, **kwargs)

    def connect(
        self, host: str = "localhost", port: int = 0, source_address: Any = None
    ) -> tuple[int, bytes]:
        self.server_name = host  # the name the certificate must be for
        steady, self.timeout = self.timeout, self.opening_timeout  # smtplib passes it on
        try:
            reply = super().connect(host, port, source_address)
        except (smtplib.SMTPServerDisconnected, TimeoutError) as error:
            # smtplib turns a timeout while reading the greeting into SMTPServerDisconnected
            timed_out = isinstance(error, TimeoutError) or isinstance(
                error.__context__, TimeoutError
            )
            if self._reached and timed_out:
                self.close()
                raise _Silent() from None
            raise
        finally:
            self.timeout = steady
        if self.sock is not None:
            self.sock.settimeout(steady)
        return reply

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((host, port), timeout, self.source_address)
        self._reached = True
        return self._secured(sock)

    def _secured(self, sock: socket.socket) -> socket.socket:
        return sock

    def login(
        self, user: str, password: str, *, initial_response_ok: bool = True
    ) -> tuple[int, bytes]:
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("auth"):
            raise _NoLogin()
        offered = self.esmtp_features["auth"].upper().split()
        if self.xoauth2:
            if "XOAUTH2" not in offered:
                raise _NoLoginMethod(", ".join(offered), ("XOAUTH2",))
            self.user, self.password = user, password
            return self.auth("XOAUTH2", self.auth_xoauth2, initial_response_ok=initial_response_ok)
        method = next((name for name in LOGIN_METHODS if name in offered), None)
        if method is None:
            raise _NoLoginMethod(", ".join(offered))
        self.user, self.password = user, password
        answer = getattr(self, "auth_" + method.lower().replace("-", "_"))
        return self.auth(method, answer, initial_response_ok=initial_response_ok)

    def auth(
        self,
        mechanism: str,
        authobject: Callable[..., str | None],
        *,
        initial_response_ok: bool = True,
    ) -> tuple[int, bytes]:
        """smtplib's AUTH exchange, with the answers in UTF-8 rather than ASCII only.

        A password beyond ASCII (pässwörd) goes as UTF-8, as PLAIN carries it (RFC 4616) and as
        servers read LOGIN in practice; smtplib encodes it as ASCII and fails with an error whose
        text shows a letter of the password.
        """
        response = authobject() if initial_response_ok else None
        if response is not None:
            code, reply = self.docmd("AUTH", f"{mechanism} {_base64(response)}")
            self._auth_challenge_count = 1  # read by smtplib's auth_login
        else:
            code, reply = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        for _ in range(_MAX_CHALLENGES):
            if code != 334:
                break
            self._auth_challenge_count += 1
            answer = authobject(base64.decodebytes(reply))
            code, reply = self.docmd(_base64(answer or ""))
        if code in (235, 503):  # 503: logged in already
            return code, reply
        raise smtplib.SMTPAuthenticationError(code, reply)

    def auth_xoauth2(self, challenge: bytes | None = None) -> str:
        """SASL XOAUTH2 (Google's and Microsoft's): the user and the bearer token. A refusal
        comes first as a challenge holding the server's reasons, answered empty."""
        if challenge is not None:
            return ""
        return f"user={self.user}\x01auth=Bearer {self.password}\x01\x01"

    def auth_cram_md5(self, challenge: bytes | None = None) -> str | None:  # type: ignore[override]
        if challenge is None:
            return None  # no initial response: the server sends its challenge first
        key = (self.password or "").encode("utf-8")
        return f"{self.user} {hmac.HMAC(key, challenge, 'md5').hexdigest()}"


_MAX_CHALLENGES = 5  # as smtplib: a server that keeps asking is not logging anyone in


def _base64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class _OpeningSSL(_Opening, smtplib.SMTP_SSL):
    """The same, with TLS from the start (security = "ssl")."""

    def _secured(self, sock: socket.socket) -> socket.socket:
        return self.context.wrap_socket(sock, server_hostname=self.server_name)


@functools.cache
def _client_class() -> Any:
    """yagmail's client, opening its connection with the classes above."""

    class Client(_import_yagmail().SMTP):  # type: ignore[misc]
        opener: Callable[..., smtplib.SMTP]

        @property
        def connection(self) -> Callable[..., smtplib.SMTP]:
            return self.opener

    return Client


def _import_yagmail() -> Any:
    """yagmail's client module (`yagmail.sender`: its SMTP is `yagmail.SMTP`), imported without
    what a send never uses: the keyring library (unless it is loaded already) and yagmail's
    asyncio client.

    yagmail imports keyring only to look a password up itself when it is given none, and it
    is always given one here (credentials.py finds it). The import costs 30 ms, a tenth of a
    send run's start-up, so where nothing else needs keyring it is kept out: `import
    keyring` then raises ImportError, which yagmail expects and handles.

    yagmail's package imports its asyncio client too (`AsyncSMTP`), and asyncio costs about
    as much again. The package is set up without running its `__init__`, and only
    `yagmail.sender` (the client used here) is imported into it; the first use of any other
    name of the package runs the `__init__` then, so `import yagmail` elsewhere still gets
    the whole package.
    """
    import importlib
    import importlib.util

    if "yagmail" in sys.modules:
        return importlib.import_module("yagmail.sender")

    spec = importlib.util.find_spec("yagmail")
    if spec is None or spec.loader is None:
        raise ImportError("yagmail is not installed")
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def whole_package(name: str) -> Any:
        del package.__getattr__
        loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = whole_package  # type: ignore[method-assign]
    blocked = "keyring" not in sys.modules
    if blocked:
        sys.modules["keyring"] = None  # type: ignore[assignment]
    stand_in = "yagmail.oauth2" not in sys.modules
    if stand_in:
        sys.modules["yagmail.oauth2"] = _oauth2_stand_in()
    sys.modules["yagmail"] = package
    try:
        # import_module, not `from yagmail import sender`, which would ask the package first.
        sender = importlib.import_module("yagmail.sender")
    except BaseException:
        del sys.modules["yagmail"]
        raise
    finally:
        if blocked:
            del sys.modules["keyring"]
        if stand_in:  # a later `import yagmail.oauth2` gets the real module
            del sys.modules["yagmail.oauth2"]
    return sender


def _oauth2_stand_in() -> Any:
    """What `yagmail.sender` takes from `yagmail.oauth2` (its own OAuth2 file login, which
    outreach never uses: its OAuth2 is delivery/oauth2.py's), loading the real module only
    when called. The real one imports urllib.request, 10 ms of every send's start-up."""
    import importlib
    import types

    module = types.ModuleType("yagmail.oauth2")

    def get_oauth2_info(*args: Any, **kwargs: Any) -> Any:
        return importlib.import_module("yagmail.oauth2").get_oauth2_info(*args, **kwargs)

    def get_oauth_string(*args: Any, **kwargs: Any) -> Any:
        return importlib.import_module("yagmail.oauth2").get_oauth_string(*args, **kwargs)

    module.get_oauth2_info = get_oauth2_info  # type: ignore[attr-defined]
    module.get_oauth_string = get_oauth_string  # type: ignore[attr-defined]
    return module


class Session:
    """A connection to the person's mail server, made through yagmail's client."""

    def __init__(
        self,
        smtp: Smtp,
        password: str | None,
        *,
        login_hint: str = "check the password (outreach auth login)",
        timeout: float | None = None,
        opening_timeout: float | None = None,
        xoauth2: bool = False,
        current: Callable[[], str] | None = None,
        renew: Callable[[], str] | None = None,
        notify: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.settings = smtp
        self.password = password  # with xoauth2, an OAuth2 access token
        self.xoauth2 = xoauth2
        self.current = current  # the access token for each login, refreshed once it expires
        self._connected_before = False
        self.renew = renew  # a fresh access token, once, after the server refused one
        self.notify = notify
        self.login_hint = login_hint  # what to do about a refused login
        self.timeout = command_timeout() if timeout is None else timeout
        self.opening_timeout = connect_timeout() if opening_timeout is None else opening_timeout
        self._client: Any = None

    @property
    def connected(self) -> bool:
        return self._client is not None and getattr(self._client.smtp, "sock", None) is not None

    def connect(self) -> None:
        """Connect and log in. A refused login, a refused certificate, a server that says
        nothing and settings that cannot work are a SendError that stops the run; a lost
        connection is Dropped, which the caller may retry. A refused access token (535 or
        454 after XOAUTH2) is renewed once and the login tried once more."""
        try:
            self._connect()
        except smtplib.SMTPAuthenticationError as refused:
            if not (self.xoauth2 and self.renew and refused.smtp_code in (454, 535)):
                raise self._login_error(refused) from None
            self.notify(
                f"{self.settings.host} refused the access token ({refused.smtp_code}): "
                "getting a new one and logging in once more"
            )
            self.password = self.renew()
            try:
                self._connect()
            except smtplib.SMTPAuthenticationError as again:
                raise self._login_error(again) from None

    def _login_error(self, refused: smtplib.SMTPAuthenticationError) -> Exception:
        found = _connect_error(self.settings, refused, self.opening_timeout, self.login_hint)
        return _without_secret(found, self.password)

    def _connect(self) -> None:
        """One connection and login; a refused login is smtplib's SMTPAuthenticationError."""
        self.close()
        if self.current is not None and self._connected_before:  # the first token is fresh
            self.password = self.current()
        self._connected_before = True
        smtp = self.settings
        security = smtp.security
        context = ssl.create_default_context() if security != "none" else None
        extra: dict[str, Any] = {"timeout": self.timeout}
        if security == "ssl":
            extra["context"] = context
        client = _client_class()(
            user=smtp.user or "",
            password=self.password or "",
            host=smtp.host,
            port=smtp.port,
            smtp_ssl=security == "ssl",
            smtp_starttls={"context": context} if security == "starttls" else False,
            smtp_skip_login=not smtp.user,
            soft_email_validation=False,
            **extra,
        )
        client.opener = functools.partial(
            _OpeningSSL if security == "ssl" else _Opening,
            opening_timeout=self.opening_timeout,
            xoauth2=self.xoauth2,
        )
        try:
            client.login()
            client.smtp.ehlo_or_helo_if_needed()
        except smtplib.SMTPAuthenticationError:
            _abandon(client)
            raise
        except Exception as error:
            _abandon(client)
            found = _connect_error(smtp, error, self.opening_timeout, self.login_hint)
            raise _without_secret(found, self.password) from None
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.smtp.quit()
            self._client.is_closed = True
            self._client = None

    def _command(self, what: str, call: Callable[[], tuple[int, bytes]]) -> tuple[int, bytes]:
        """The server's code and reply (put into words only where it refused: see _words)."""
        try:
            return call()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._lost()
            if _timed_out(error):
                raise Stalled(self._silence(what)) from None
            raise Dropped(str(error)) from None

    def _silence(self, what: str) -> str:
        smtp = self.settings
        return (
            f"{smtp.host}:{smtp.port} stopped answering: no reply to {what} within "
            f"{self.timeout:g} s"
        )

    def _lost(self) -> None:
        if self._client is not None and self._client.smtp is not None:
            self._client.smtp.close()
        self._client = None

    def _reset(self) -> None:
        try:
            self._client.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._client = None

    def offers_smtputf8(self) -> bool:
        """Whether the server takes addresses and headers in UTF-8 (RFC 6531).

        Connects first if the connection was lost."""
        if not self.connected:
            self.connect()
        return bool(self._client.smtp.has_extn("smtputf8"))

    def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        before_data: Callable[[], None],
        while_checking_sender: Callable[[], None] = lambda: None,
        while_checking_recipient: Callable[[], None] = lambda: None,
        while_waiting: Callable[[], None] = lambda: None,
        smtputf8: bool = False,
    ) -> None:
        """Send one message, in stages, doing the caller's work while the server thinks.

        `while_checking_sender` runs once the sender is on its way, while the server checks
        it; `while_checking_recipient` likewise for the recipient (it must not fail).
        `before_data` runs once the server has accepted sender and recipient and the DATA
        command is on its way, while its answer is awaited: before the message itself goes.
        `while_waiting` runs once the end of the message is sent, while the server's verdict
        is awaited; it must not fail. `smtputf8` asks for the SMTPUTF8 extension, which the
        caller has checked the server offers.
        Raises Refused, Dropped (before the end of the message: it did not arrive), Stalled
        (a reply that never came before the end of the message: it did not arrive either) or
        Unanswered (after it: nobody knows).
        """
        if not self.connected:
            self.connect()
        smtp = self._client.smtp
        code, reply = self._command(
            "MAIL", lambda: _mail(smtp, sender, smtputf8, while_checking_sender)
        )
        if code != 250:
            self._reset()
            raise Refused("sender", code, _words(reply))
        code, reply = self._command(
            "RCPT", lambda: _rcpt(smtp, recipient, while_checking_recipient)
        )
        if code not in (250, 251):
            self._reset()
            raise Refused("recipient", code, _words(reply))

        def data_command() -> tuple[int, bytes]:
            smtp.putcmd("data")
            before_data()
            code, reply = smtp.getreply()
            return int(code), bytes(reply)

        code, reply = self._command("DATA", data_command)
        if code != 354:
            self._reset()
            raise Refused("message", code, _words(reply))
        try:
            smtp.send(_stuffed(data))
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._lost()
            if _timed_out(error):
                raise Stalled(self._silence("the message (it stopped reading)")) from None
            raise Dropped(str(error)) from None
        while_waiting()
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._lost()
            if _timed_out(error):
                raise Unanswered(self._silence("the end of the message"), silent=True) from None
            raise Unanswered(str(error)) from None
        if code != 250:
            raise Refused("message", code, _words(reply))


def _greets_plainly(smtp: Smtp, seconds: float) -> bool:
    """Whether the server greets in plain text, as a port that upgrades with STARTTLS does.

    Asked of the server itself rather than read from OpenSSL's reason for the failed
    handshake, whose words differ from one OpenSSL release to the next."""
    greeting = b""
    try:
        with socket.create_connection((smtp.host, smtp.port), timeout=seconds) as plain:
            while len(greeting) < 4 and (received := plain.recv(4 - len(greeting))):
                greeting += received
    except OSError:
        pass
    return greeting[:3].isdigit()


def _abandon(client: Any) -> None:
    """Close a connection that failed while opening, without a word to the server."""
    if client.smtp is not None:
        client.smtp.close()
    client.is_closed = True


def _connect_error(smtp: Smtp, error: Exception, seconds: float, login_hint: str) -> Exception:
    """What went wrong while connecting and logging in, in the person's terms."""
    where = f"{smtp.host}:{smtp.port}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return SendError(
            f"{smtp.host} refused the login for {smtp.user}: "
            f"{error.smtp_code} {_words(error.smtp_error)}; {login_hint}"
        )
    if isinstance(error, _NoLogin):
        over_tls = (
            ', or, if it offers a login only over TLS, set security = "starttls"'
            if smtp.security == "none"
            else ""
        )
        return SendError(
            f"{where} offers no login (no AUTH), but smtp.user is set: remove smtp.user from "
            f"outreach.toml to send without a login{over_tls}; nothing was sent"
        )
    if isinstance(error, _NoLoginMethod):
        return SendError(
            f"{where} offers no login method that outreach speaks (it offers {error}; "
            f"outreach speaks {', '.join(error.spoken)}); nothing was sent"
        )
    if isinstance(error, _Silent):
        return SendError(_silence(smtp, seconds))
    if isinstance(error, ssl.SSLCertVerificationError):
        return SendError(f"{certificate_refused(where, error, 'smtp')}; nothing was sent")
    plain = smtp.security == "ssl" and isinstance(error, ssl.SSLError)
    if plain and _greets_plainly(smtp, seconds):
        return SendError(
            f"{where} does not speak TLS from the start (it answered in plain text), as "
            'security = "ssl" expects: for a port that starts plain and then upgrades '
            '(usually 587), set security = "starttls"; nothing was sent'
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return SendError(f"{smtp.host}: {error}")
    if isinstance(error, smtplib.SMTPException | OSError):
        return Dropped(f"cannot reach {where}: {error}")
    if os.environ.get("OUTREACH_DEBUG"):
        return error
    # Anything else is the project's own words, never the exception's text: while logging
    # in, that text could hold a part of the password.
    return SendError(
        f"{where}: connecting or logging in failed unexpectedly ({type(error).__name__}; "
        "OUTREACH_DEBUG=1 shows more); nothing was sent"
    )


def _without_secret(error: Exception, secret: str | None) -> Exception:
    """The error with the password cut out of its text, should a server's words hold it."""
    if not secret or secret not in str(error) or os.environ.get("OUTREACH_DEBUG"):
        return error
    text = str(error).replace(secret, "[the password]")
    return Dropped(text) if isinstance(error, Dropped) else SendError(text)


def _silence(smtp: Smtp, seconds: float) -> str:
    where = f"{smtp.host}:{smtp.port}"
    if smtp.security == "ssl":
        return (
            f"{where} took the connection but did not answer the TLS handshake within "
            f"{seconds:g} s: check smtp.host and smtp.port; nothing was sent"
        )
    if smtp.port == 465:
        cause = 'port 465 expects TLS from the start: set security = "ssl"'
    else:
        cause = (
            "a port that expects TLS from the start (usually 465) waits like this for a "
            'handshake: if this is one, set security = "ssl"'
        )
    return f"{where} took the connection but said nothing within {seconds:g} s; {cause}"


def certificate_refused(where: str, error: ssl.SSLCertVerificationError, protocol: str) -> str:
    """Why the server's certificate was refused, and what to do: for SMTP and IMAP alike
    (`protocol` names the setting to check)."""
    why = error.verify_message or error.reason or str(error)
    if error.verify_code in _NAME_MISMATCH:
        hint = f"check {protocol}.host: it must be a name the certificate is for"
    elif error.verify_code == _CERT_HAS_EXPIRED:
        hint = "the server's certificate has expired: its administrators must renew it"
    else:
        hint = (
            "if the server's certificate comes from a company or test CA, name that CA's "
            "certificate file in SSL_CERT_FILE, or a folder of CA certificates in SSL_CERT_DIR"
        )
    refused = f"{where}: the server's certificate was refused ({why})"
    return f"{refused}; {hint}. Certificates are always checked"


# MAIL and RCPT are written here rather than through smtplib's mail() and rcpt(), which parse
# every address again (a tenth of the time between two messages); these addresses are checked
# and normalized already, so `<address>` is exactly what smtplib would write.


def _mail(
    smtp: smtplib.SMTP, sender: str, smtputf8: bool, meanwhile: Callable[[], None]
) -> tuple[int, bytes]:
    if smtputf8:  # smtplib switches the commands to UTF-8 for this
        meanwhile()
        return smtp.mail(sender, ["SMTPUTF8", "BODY=8BITMIME"])
    smtp.putcmd("mail", f"FROM:<{sender}>")
    meanwhile()
    return smtp.getreply()


def _rcpt(smtp: smtplib.SMTP, recipient: str, meanwhile: Callable[[], None]) -> tuple[int, bytes]:
    smtp.putcmd("rcpt", f"TO:<{recipient}>")
    meanwhile()
    return smtp.getreply()
