"""Messages, built by the project with the standard library: plain text, UTF-8, one id each.

The email package's classic API (compat32) is used: it writes standard messages (RFC 2047
encoded words for non-ASCII headers, quoted-printable for non-ASCII bodies) several
times faster than the newer header registry, which matters in a batch of hundreds.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import datetime
from email.header import Header
from email.message import Message
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from typing import Any, cast

from outreach.drafts import Draft
from outreach.errors import DraftError, Problem
from outreach.settings import Me


class _Wire(Compat32):
    """compat32 on the wire (CRLF), writing a plain-ASCII header as one line.

    Such a line may be up to 998 characters long (RFC 5322); folding it through the Header
    class costs more than building the rest of the message. Encoded headers fold as usual.
    """

    def fold(self, name: str, value: str) -> str:
        if _one_line(name, value):
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if _one_line(name, value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


def _one_line(name: str, value: object) -> bool:
    return isinstance(value, str) and value.isascii() and len(name) + len(value) < _MAX_LINE


_WIRE = _Wire(linesep="\r\n")
_MAX_LINE = 998  # RFC 5322's limit for a line; longer lines are quoted-printable encoded


def build_message(
    draft: Draft, me: Me, when: datetime | None = None, extra: Mapping[str, str] | None = None
) -> Message:
    """The message exactly as it will go out: the draft's own Message-ID, Date, From, Reply-To."""
    headers = {
        "From": formataddr((me.name, me.email), "utf-8"),
        "To": formataddr((draft.display_name, draft.address), "utf-8"),
        "Subject": draft.get("subject"),
        "Date": format_datetime((when or datetime.now()).astimezone()),
        "Message-ID": draft.message_id,
        "Reply-To": draft.get("reply_to"),
        **(extra or {}),
    }
    if any("\n" in value or "\r" in value for value in headers.values()):
        raise DraftError(Problem(f"drafts/{draft.name}", "a header holds a line break"))
    if draft.get("html") == "true":
        from email.mime.multipart import MIMEMultipart

        from markdown_it import MarkdownIt

        message: Message = MIMEMultipart("alternative")
        html = MarkdownIt("commonmark", {"html": False}).render(draft.body)
        message.attach(_text_part(Message(), draft.body, "plain"))
        message.attach(_text_part(Message(), html, "html"))
    else:
        message = Message()
        message["MIME-Version"] = "1.0"
    for name, value in headers.items():
        if value:
            # compat32 messages take a Header for a value that needs encoding
            message[name] = (
                value if value.isascii() else cast(Any, Header(value, "utf-8", header_name=name))
            )
    if draft.get("html") != "true":
        _text_part(message, draft.body, "plain")
    return message


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
    """The message as it goes on the wire (CRLF line ends)."""
    return message.as_bytes(policy=_WIRE)
