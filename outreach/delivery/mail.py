"""Messages, built by the project with the standard library: plain text, UTF-8, one id each.

The email package's classic API (compat32) is used: it writes standard messages (RFC 2047
encoded words for non-ASCII headers, quoted-printable for non-ASCII bodies) several
times faster than the newer header registry, which matters in a batch of hundreds.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import datetime
from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from typing import Any, NamedTuple, cast

from outreach.drafts.draft import Draft, format_address
from outreach.people.addresses import wire_form
from outreach.support.errors import DraftError, Problem
from outreach.support.text import has_line_break
from outreach.workspace.settings import Me


class _Wire(Compat32):
    """compat32 on the wire (CRLF), writing a plain-ASCII header as one line.

    Such a line may be up to 998 characters long (RFC 5322); folding it through the Header
    class costs more than building the rest of the message. Encoded headers fold as usual.
    With `utf8` (a message that goes with SMTPUTF8, RFC 6532) headers are written in UTF-8
    as they are, the only way to carry a mailbox name beyond ASCII.
    """

    utf8 = False

    def fold(self, name: str, value: str) -> str:
        if self._one_line(name, value):
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if self._one_line(name, value):
            return f"{name}: {value}{self.linesep}".encode()
        return super().fold_binary(name, value)

    def _one_line(self, name: str, value: object) -> bool:
        return (
            isinstance(value, str)
            and (value.isascii() or self.utf8)
            and len(name) + len(value.encode()) < _MAX_LINE
        )


class _WireUtf8(_Wire):
    utf8 = True


# Encoded words in base64: the standard's other choice (quoted-printable, or the shorter of
# the two) has the email package measure every character, three times the cost per header.
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64

_WIRE = _Wire(linesep="\r\n")
_WIRE_UTF8 = _WireUtf8(linesep="\r\n")
_MAX_LINE = 998  # RFC 5322's limit for a line; longer lines are quoted-printable encoded


class Outgoing(NamedTuple):
    """A message as it goes out: the envelope and the bytes."""

    sender: str
    recipient: str
    data: bytes
    smtputf8: bool  # only a server that offers SMTPUTF8 takes it


def outgoing(draft: Draft, me: Me) -> Outgoing:
    message = build_message(draft, me)
    return Outgoing(
        sender=wire_form(me.email)[0],
        recipient=wire_form(draft.address)[0],
        data=message_bytes(message),
        smtputf8=message.policy is _WIRE_UTF8,
    )


def build_message(
    draft: Draft, me: Me, when: datetime | None = None, extra: Mapping[str, str] | None = None
) -> Message:
    """The message exactly as it will go out: the draft's own Message-ID, Date, From, Reply-To."""
    sender, sender_utf8 = wire_form(me.email)
    recipient, recipient_utf8 = wire_form(draft.address)
    reply_to, reply_to_utf8 = wire_form(draft.get("reply_to"))
    utf8 = sender_utf8 or recipient_utf8 or reply_to_utf8
    headers = {
        "From": _address_header(me.name, sender, utf8),
        "To": _address_header(draft.display_name, recipient, utf8),
        "Subject": draft.get("subject"),
        "Date": format_datetime((when or datetime.now()).astimezone()),
        "Message-ID": draft.message_id,
        "Reply-To": reply_to,
        **(extra or {}),
    }
    if any(has_line_break(value) for value in headers.values()):
        raise DraftError(Problem(f"drafts/{draft.name}", "a header holds a line break"))
    policy = _WIRE_UTF8 if utf8 else _WIRE
    if draft.get("html") == "true":
        from email.mime.multipart import MIMEMultipart

        from markdown_it import MarkdownIt

        message: Message = MIMEMultipart("alternative", policy=policy)
        html = MarkdownIt("commonmark", {"html": False}).render(draft.body)
        message.attach(_text_part(Message(), draft.body, "plain"))
        message.attach(_text_part(Message(), html, "html"))
    else:
        message = Message(policy)
        message["MIME-Version"] = "1.0"
    for name, value in headers.items():
        if value:
            # compat32 messages take a Header for a value that needs encoding
            message[name] = (
                value
                if value.isascii() or utf8
                else cast(Any, Header(value, _UTF8, header_name=name))
            )
    if draft.get("html") != "true":
        _text_part(message, draft.body, "plain")
    return message


def _address_header(name: str, address: str, utf8: bool) -> str:
    """`Name <address>`: the name as an encoded word where it needs one, or as it is in UTF-8."""
    return format_address(name, address) if utf8 else formataddr((name, address), _UTF8)


def _text_part(part: Message, text: str, subtype: str) -> Message:
    """UTF-8 text: as it is where it is ASCII in short lines, quoted-printable otherwise."""
    if text.isascii() and all(len(line) <= _MAX_LINE for line in text.splitlines()):
        encoding, payload = "7bit", text
    else:
        encoding = "quoted-printable"
        payload = binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = encoding
    part.set_payload(payload)
    return part


def message_bytes(message: Message) -> bytes:
    """The message as it goes on the wire (CRLF line ends; UTF-8 headers where it needs them)."""
    return message.as_bytes()


def as_shown(message: Message) -> str:
    """The message as a person reads it: every header it carries, decoded, then its text.

    Read back from the bytes that go on the wire, so that what a dry run shows cannot drift
    from what is sent.
    """
    from email import message_from_bytes, message_from_string, policy

    data = message_bytes(message)
    parsed = (
        message_from_string(data.decode("utf-8"), policy=policy.default)
        if message.policy is _WIRE_UTF8
        else message_from_bytes(data, policy=policy.default)
    )
    lines = [f"{name}: {value}" for name, value in parsed.items()]
    lines.append("")
    text = parsed.get_body(("plain",))
    shown = "\n".join(lines) + "\n"
    if text is not None:
        shown += str(text.get_content()).replace("\r\n", "\n")
    for part in parsed.iter_parts():
        if part.get_content_type() != "text/plain":
            shown += f"\n[and a {part.get_content_type()} part: the text above, rendered]\n"
    return shown
