"""A real SMTP server on 127.0.0.1 (aiosmtpd) whose answers a test can choose."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

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
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.mail_options: list[list[str]] = []
        self.logins = 0
        self.mails = 0
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
            self.messages.append(_parse(envelope.original_content, envelope.mail_options))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.mail_options.append(list(envelope.mail_options))
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
            and data.password.decode() == PASSWORD
        )
        if ok:
            with self.lock:
                self.logins += 1
        return AuthResult(success=ok, handled=False)

    def recipients(self) -> list[str]:
        return [rcpt for _, rcpts in self.envelopes for rcpt in rcpts]


@contextmanager
def smtp_server(
    behaviour: Behaviour | None = None, *, login: bool = True, smtputf8: bool = True
) -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder(behaviour or Behaviour())
    port = free_port()
    options: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
    if login:
        options |= {
            "authenticator": recorder.authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()
