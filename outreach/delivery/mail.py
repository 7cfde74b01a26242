"""Messages, built by the project with the standard library: plain text, UTF-8, one id each.

The email package's classic API (compat32) is used: it writes standard messages (RFC 2047
encoded words for non-ASCII headers, quoted-printable for non-ASCII bodies) several
times faster than the newer header registry, which matters in a batch of hundreds.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, NamedTuple, cast

from outreach.drafts.attachments import Attachment, Refused, check_all, shown_size, size_problem
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


class AttachmentRefused(DraftError):
    """A draft whose attachments cannot go (or that would be too big): it is not sent."""


def outgoing(draft: Draft, me: Me, root: Path, max_mb: int) -> Outgoing:
    message, data = full_message(draft, me, root, max_mb)
    return Outgoing(
        sender=wire_form(me.email)[0],
        recipient=wire_form(draft.address)[0],
        data=data,
        smtputf8=message.policy is _WIRE_UTF8,
    )


def full_message(
    draft: Draft,
    me: Me,
    root: Path,
    max_mb: int,
    when: datetime | None = None,
    extra: Mapping[str, str] | None = None,
) -> tuple[Message, bytes]:
    """The message a draft makes, whole, and its bytes as they go on the wire: its
    attachments (checked and read now, from the workspace ROOT) and its size checked under
    limits.max_message_mb. AttachmentRefused names the draft and the file."""
    found, refused = check_all(root, draft.attachments)
    where = f"drafts/{draft.name}"
    if refused:
        raise AttachmentRefused(*(Problem(where, str(refusal)) for refusal in refused))
    try:
        message = build_message(draft, me, when, extra, attachments=found)
    except Refused as refusal:  # changed between its check and its reading
        raise AttachmentRefused(Problem(where, str(refusal))) from None
    data = message_bytes(message)
    too_big = size_problem(len(data), max_mb)
    if too_big is not None:
        raise AttachmentRefused(Problem(where, too_big))
    return message, data


def build_message(
    draft: Draft,
    me: Me,
    when: datetime | None = None,
    extra: Mapping[str, str] | None = None,
    *,
    attachments: Sequence[Attachment] = (),
) -> Message:
    """The message exactly as it will go out: the draft's own Message-ID, Date, From, Reply-To,
    In-Reply-To and References, and the ATTACHMENTS (checked: see full_message)."""
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
        "In-Reply-To": draft.in_reply_to,
        "References": " ".join(draft.references),
        **(extra or {}),
    }
    if any(has_line_break(value) for value in headers.values()):
        raise DraftError(Problem(f"drafts/{draft.name}", "a header holds a line break"))
    policy = _WIRE_UTF8 if utf8 else _WIRE
    html = draft.get("html") == "true"
    text: Message | None = None  # the text, where it is a part of a multipart/mixed
    if attachments:
        from email.mime.multipart import MIMEMultipart

        message: Message = MIMEMultipart("mixed", policy=policy)
        text = _alternative(draft.body) if html else _text_part(Message(), draft.body, "plain")
        message.attach(text)
        for attachment in attachments:
            message.attach(_attachment_part(attachment))
    elif html:
        message = _alternative(draft.body, policy)
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
    if not html and text is None:
        _text_part(message, draft.body, "plain")
    return message


def _alternative(body: str, policy: Compat32 | None = None) -> Message:
    """The text and an HTML part rendered from its Markdown, as multipart/alternative."""
    from email.mime.multipart import MIMEMultipart

    from markdown_it import MarkdownIt

    message = (
        MIMEMultipart("alternative", policy=policy) if policy else MIMEMultipart("alternative")
    )
    if policy is None:
        del message["MIME-Version"]  # a part of a multipart/mixed, which says it
    html = MarkdownIt("commonmark", {"html": False}).render(body)
    message.attach(_text_part(Message(), body, "plain"))
    message.attach(_text_part(Message(), html, "html"))
    return message


def _attachment_part(attachment: Attachment) -> Message:
    """The file as it is now, in base64, its type from its name; a name beyond ASCII is
    written the standard way (RFC 2231: filename*=utf-8''...)."""
    from email.encoders import encode_base64

    try:
        data = attachment.file.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise Refused(attachment.path, f"cannot be read ({reason})") from None
    name = attachment.name
    parameter: str | tuple[str, str, str] = name if name.isascii() else ("utf-8", "", name)
    maintype, _, subtype = attachment.content_type.partition("/")
    part = Message()
    part.add_header("Content-Type", f"{maintype}/{subtype}", name=parameter)
    part.add_header("Content-Disposition", "attachment", filename=parameter)
    part.set_payload(data)
    encode_base64(part)
    return part


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
    """The message as it goes on the wire (CRLF line ends; UTF-8 headers where it needs them).

    A message of one text part (what almost every draft makes) is written here, as the email
    package's generator writes it: each header folded by the message's own policy, a blank
    line, and the text (always ASCII: 7bit or quoted-printable) with CRLF line ends. The
    generator's machinery (a buffer per part, a dispatch per content type) cost more than
    building the message itself; anything else still goes through it.
    """
    policy = message.policy
    payload = message.get_payload()
    if not isinstance(policy, _Wire) or not isinstance(payload, str) or not payload.isascii():
        return message.as_bytes()
    head = b"".join(policy.fold_binary(name, value) for name, value in message.raw_items())
    return head + (policy.linesep + policy.linesep.join(_LINE_ENDS.split(payload))).encode()


_LINE_ENDS = re.compile(r"\r\n|\r|\n")  # as the generator splits a text's lines


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
    for part in parsed.walk():
        if part.is_attachment():
            size = len(part.get_payload(decode=True) or b"")
            shown += (
                f"\n[attached: {part.get_filename()} ({part.get_content_type()}, "
                f"{shown_size(size)})]\n"
            )
        elif part.get_content_type() == "text/html":
            shown += "\n[and a text/html part: the text above, rendered]\n"
    return shown
