"""The SMTP session: logged in once through yagmail's client, one message at a time.

Each message goes in stages (sender, recipient, data) so the caller can record
its attempt between the server accepting the recipient and the message going
out, and so a failure is known to be before or after the end of the message.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import sys
from collections.abc import Callable
from typing import Any

from outreach.errors import SendError
from outreach.settings import Smtp

TIMEOUT = 60.0


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


def _words(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def _stuffed(data: bytes) -> bytes:
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _import_yagmail() -> Any:
    """yagmail, imported without the keyring library unless that is loaded already.

    yagmail imports keyring only to look a password up itself when it is given none, and it
    is always given one here (credentials.py finds it). The import costs 30 ms, a tenth of a
    send run's start-up, so where nothing else needs keyring it is kept out: `import
    keyring` then raises ImportError, which yagmail expects and handles.
    """
    if "keyring" in sys.modules or "yagmail" in sys.modules:
        import yagmail

        return yagmail
    sys.modules["keyring"] = None  # type: ignore[assignment]
    try:
        import yagmail
    finally:
        del sys.modules["keyring"]
    return yagmail


class Session:
    """A connection to the person's mail server, made through yagmail's client."""

    def __init__(self, smtp: Smtp, password: str | None, timeout: float = TIMEOUT) -> None:
        self.settings = smtp
        self.password = password
        self.timeout = timeout
        self._client: Any = None

    @property
    def connected(self) -> bool:
        return self._client is not None and getattr(self._client.smtp, "sock", None) is not None

    def connect(self) -> None:
        """Connect and log in; a refused login is a SendError that stops the run."""
        yagmail = _import_yagmail()
        self.close()
        security = self.settings.security
        context = ssl.create_default_context() if security != "none" else None
        extra: dict[str, Any] = {"timeout": self.timeout}
        if security == "ssl":
            extra["context"] = context
        client = yagmail.SMTP(
            user=self.settings.user or "",
            password=self.password or "",
            host=self.settings.host,
            port=self.settings.port,
            smtp_ssl=security == "ssl",
            smtp_starttls={"context": context} if security == "starttls" else False,
            smtp_skip_login=not self.settings.user,
            soft_email_validation=False,
            **extra,
        )
        try:
            client.login()
            client.smtp.ehlo_or_helo_if_needed()
        except smtplib.SMTPAuthenticationError as error:
            raise SendError(
                f"{self.settings.host} refused the login for {self.settings.user}: "
                f"{error.smtp_code} {_words(error.smtp_error)}; check the password "
                "(outreach auth login) or, for Gmail, use an app password"
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise SendError(f"{self.settings.host}: {error}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise Dropped(
                f"cannot reach {self.settings.host}:{self.settings.port}: {error}"
            ) from None
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.smtp.quit()
            self._client.is_closed = True
            self._client = None

    def _command(self, call: Callable[[], tuple[int, bytes]]) -> tuple[int, str]:
        try:
            code, reply = call()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._client = None
            raise Dropped(str(error)) from None
        return code, _words(reply)

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
        while_waiting: Callable[[], None] = lambda: None,
        smtputf8: bool = False,
    ) -> str:
        """Send one message, in stages, doing the caller's work while the server thinks.

        `while_checking_sender` runs once the sender is on its way, while the server checks
        it. `before_data` runs once the server has accepted sender and recipient and the
        DATA command is on its way, while its answer is awaited: before the message itself
        goes. `while_waiting` runs once the end of the message is sent, while the server's
        verdict is awaited; it must not fail. `smtputf8` asks for the SMTPUTF8 extension, which the
        caller has checked the server offers. Returns the server's words on acceptance.
        Raises Refused, Dropped (before the end of the message: it did not arrive) or
        Unanswered (after it: nobody knows).
        """
        if not self.connected:
            self.connect()
        smtp = self._client.smtp
        code, text = self._command(lambda: _mail(smtp, sender, smtputf8, while_checking_sender))
        if code != 250:
            self._reset()
            raise Refused("sender", code, text)
        code, text = self._command(lambda: _rcpt(smtp, recipient))
        if code not in (250, 251):
            self._reset()
            raise Refused("recipient", code, text)

        def data_command() -> tuple[int, bytes]:
            smtp.putcmd("data")
            before_data()
            code, reply = smtp.getreply()
            return int(code), bytes(reply)

        code, text = self._command(data_command)
        if code != 354:
            self._reset()
            raise Refused("message", code, text)
        try:
            smtp.send(_stuffed(data))
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._client = None
            raise Dropped(str(error)) from None
        while_waiting()
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._client = None
            raise Unanswered(str(error)) from None
        if code != 250:
            raise Refused("message", code, _words(reply))
        return _words(reply)


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


def _rcpt(smtp: smtplib.SMTP, recipient: str) -> tuple[int, bytes]:
    smtp.putcmd("rcpt", f"TO:<{recipient}>")
    return smtp.getreply()
