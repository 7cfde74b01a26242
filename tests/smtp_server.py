"""A real SMTP server on 127.0.0.1 (aiosmtpd) whose answers a test can choose.

With `tls`, it speaks TLS from the start ("ssl") or after STARTTLS ("starttls"), with a
certificate from a test CA made by trustme; `silent_server` takes connections and says nothing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

USER = "sam@example.org"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Behaviour:
    """Scripted answers: recipient -> list of replies used in turn (then 250)."""

    rcpt: dict[str, list[str]] = field(default_factory=dict)
    data: dict[str, list[str]] = field(default_factory=dict)  # keyed by recipient
    drop_after_data: set[str] = field(default_factory=set)  # recipients: close without an answer
    stall_on: str | None = None  # recipient whose DATA answer waits until released
    stall_on_mail: int | None = None  # the MAIL command (1, 2, ...) whose answer waits
    stalled: threading.Event = field(default_factory=threading.Event)
    on_message: Callable[[int], None] | None = None  # called with the count of messages arrived


async def _close_with(server: Any, reply: str) -> None:
    """Answer 421 and close the connection, as a server shutting down does."""
    await server.push(reply)
    server.transport.close()


def _parse(data: bytes, mail_options: list[str]) -> EmailMessage:
    """The message as a server reads it: UTF-8 headers where SMTPUTF8 was asked (RFC 6532)."""
    if "SMTPUTF8" in mail_options:
        return message_from_string(data.decode("utf-8"), policy=policy.default)
    return message_from_bytes(data, policy=policy.default)


class Recorder:
    def __init__(
        self,
        behaviour: Behaviour,
        password: str = PASSWORD,
        bearer: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.behaviour = behaviour
        self.password = password
        self.bearer = bearer  # for XOAUTH2: whether (user, token) may log in
        self.xoauth2_refusals = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.mail_options: list[list[str]] = []
        self.logins = 0
        self.login_attempts = 0  # every AUTH the server answered, right or wrong
        self.connections = 0  # every connection accepted (a TLS one before its handshake)
        self.mails = 0
        self.arrived: list[float] = []  # time.time() as each message arrived
        self.lock = threading.Lock()

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.mails += 1
        if self.mails == self.behaviour.stall_on_mail:
            self.behaviour.stalled.set()
            await asyncio.sleep(30)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        replies = self.behaviour.rcpt.get(address)
        if replies:
            reply = replies.pop(0)
            if reply.startswith("421"):
                await _close_with(server, reply)
            if not reply.startswith("2"):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipient = envelope.rcpt_tos[0]
        replies = self.behaviour.data.get(recipient)
        if replies:
            reply = replies.pop(0)
            if reply.startswith("421"):
                await _close_with(server, reply)
            return reply
        with self.lock:
            self.arrived.append(time.time())
            self.messages.append(_parse(envelope.original_content, envelope.mail_options))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.mail_options.append(list(envelope.mail_options))
            arrived = len(self.messages)
        if self.behaviour.on_message is not None:
            self.behaviour.on_message(arrived)
        if recipient in self.behaviour.drop_after_data:
            self.behaviour.drop_after_data.discard(recipient)
            server.transport.abort()
            return "250 never heard"
        if recipient == self.behaviour.stall_on:
            self.behaviour.stalled.set()
            await asyncio.sleep(30)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == USER
            and data.password.decode("utf-8") == self.password
        )
        with self.lock:
            self.login_attempts += 1
            if ok:
                self.logins += 1
        return AuthResult(success=ok, handled=False)

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        """SASL XOAUTH2 as Gmail and Outlook speak it: a refused token gets a challenge
        holding the reasons as JSON, which the client answers empty, then 535."""
        if len(args) > 1:
            response = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            if answer is MISSING:
                return AuthResult(success=False, handled=False)
            response = answer
        fields = dict(
            part.split("=", 1) for part in response.decode("utf-8").split("\x01") if "=" in part
        )
        user = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        ok = self.bearer is not None and self.bearer(user, token)
        with self.lock:
            self.login_attempts += 1
            if ok:
                self.logins += 1
            else:
                self.xoauth2_refusals += 1
        if ok:
            return AuthResult(success=True, auth_data=user)
        reasons = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
        await server.challenge_auth(json.dumps(reasons).encode())
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    def recipients(self) -> list[str]:
        return [rcpt for _, rcpts in self.envelopes for rcpt in rcpts]


class _Counting(Controller):
    """aiosmtpd's controller, counting the connections it accepts."""

    def __init__(self, recorder: Recorder, **options: Any) -> None:
        self.recorder = recorder
        super().__init__(recorder, **options)

    def factory(self) -> SMTP:
        with self.recorder.lock:
            self.recorder.connections += 1
        return super().factory()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class LocalCA:
    """A certificate authority made for one test, and a certificate it signed for 127.0.0.1."""

    authority: trustme.CA
    server: trustme.LeafCert
    bundle: Path  # the CA's certificate, for SSL_CERT_FILE

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server.configure_cert(context)
        return context


def local_ca(folder: Path, names: tuple[str, ...] = ("127.0.0.1", "localhost")) -> LocalCA:
    """A CA in `folder`, and a server certificate it signed for `names`."""
    authority = trustme.CA()
    bundle = folder / "test-ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return LocalCA(authority, authority.issue_cert(*names), bundle)


@contextmanager
def smtp_server(
    behaviour: Behaviour | None = None,
    *,
    login: bool = True,
    smtputf8: bool = True,
    tls: str | None = None,
    ca: LocalCA | None = None,
    password: str = PASSWORD,
    methods: tuple[str, ...] | None = None,
    bearer: Callable[[str, str], bool] | None = None,
) -> Iterator[tuple[Recorder, int]]:
    """tls: "ssl" (TLS from the start) or "starttls", with a certificate signed by `ca`;
    `password`: the one it takes (read as UTF-8); `methods`: the AUTH methods it offers
    (default: aiosmtpd's, PLAIN and LOGIN); `bearer`: with it, XOAUTH2 is offered too, and
    `bearer(user, token)` says whether an access token logs in."""
    recorder = Recorder(behaviour or Behaviour(), password, bearer)
    port = free_port()
    options: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
    if login:
        options |= {
            "authenticator": recorder.authenticate,
            "auth_required": True,
            # aiosmtpd knows TLS only when it came by STARTTLS
            "auth_require_tls": tls == "starttls",
        }
        excluded = [] if bearer is not None else ["XOAUTH2"]
        if methods is not None:
            excluded += [m for m in ("PLAIN", "LOGIN") if m not in methods]
        options["auth_exclude_mechanism"] = excluded
    if tls is not None:
        assert ca is not None, "a TLS server needs a test CA"
        if tls == "ssl":
            options["ssl_context"] = ca.server_context()
        else:
            options |= {"tls_context": ca.server_context(), "require_starttls": True}
    controller = _Counting(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    recorder.connections = 0  # the controller's own check that it is up
    try:
        yield recorder, port
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[tuple[list[socket.socket], int]]:
    """A plain socket server on 127.0.0.1 that takes connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield accepted, int(listener.getsockname()[1])
    finally:
        stopping.set()
        thread.join()
        listener.close()
        for connection in accepted:
            connection.close()


@contextmanager
def slow_proxy(port: int, seconds_per_byte: float) -> Iterator[int]:
    """A proxy on 127.0.0.1 in front of the server at `port`, as a server that is slow but
    alive: its greeting and its answer to the end of each message come back one byte every
    `seconds_per_byte` (each reply whole, only slowly); everything else goes on at once.
    Yields the proxy's port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stopping = threading.Event()
    threads: list[threading.Thread] = []
    sockets: list[socket.socket] = []

    def serve(client: socket.socket, server: socket.socket) -> None:
        slow = threading.Event()
        slow.set()  # the greeting

        def upstream() -> None:  # the client's words, at once; the end of a message noted
            tail = b""
            with contextlib.suppress(OSError):
                while chunk := client.recv(65536):
                    server.sendall(chunk)
                    if b"\r\n.\r\n" in tail + chunk:
                        slow.set()
                    tail = (tail + chunk)[-4:]
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_WR)

        thread = threading.Thread(target=upstream, daemon=True)
        thread.start()
        threads.append(thread)
        with contextlib.suppress(OSError):
            while chunk := server.recv(65536):
                for number, byte in enumerate(chunk):
                    if not slow.is_set():
                        client.sendall(chunk[number:])
                        break
                    if stopping.wait(seconds_per_byte):
                        return
                    client.sendall(bytes([byte]))
                    if byte == ord("\n"):
                        slow.clear()
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)

    def accept() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", port))
            sockets.extend((client, server))
            thread = threading.Thread(target=serve, args=(client, server), daemon=True)
            thread.start()
            threads.append(thread)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stopping.set()
        acceptor.join()
        listener.close()
        for connection in sockets:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        for thread in threads:
            thread.join()
