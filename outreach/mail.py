"""Messages, built by the project with the standard library: plain text, UTF-8, one id each."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime

from outreach.drafts import Draft
from outreach.errors import DraftError, Problem
from outreach.settings import Me


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def build_message(draft: Draft, me: Me, when: datetime | None = None) -> EmailMessage:
    """The message exactly as it will go out: the draft's own Message-ID, Date, From, Reply-To."""
    message = EmailMessage(policy=policy.SMTP)
    try:
        message["From"] = _address(me.name, me.email)
        message["To"] = _address(draft.display_name, draft.address)
        message["Subject"] = draft.get("subject")
        message["Date"] = format_datetime((when or datetime.now()).astimezone())
        message["Message-ID"] = draft.message_id
        reply_to = draft.get("reply_to")
        if reply_to:
            message["Reply-To"] = reply_to
    except (ValueError, TypeError, IndexError) as error:
        raise DraftError(
            Problem(f"drafts/{draft.name}", f"a header cannot be built: {error}")
        ) from None
    body = draft.body
    is_ascii = body.isascii() and all(len(line) <= 998 for line in body.splitlines())
    message.set_content(body, cte=None if is_ascii else "quoted-printable")
    if draft.get("html") == "true":
        from markdown_it import MarkdownIt

        message.add_alternative(
            MarkdownIt("commonmark", {"html": False}).render(body), subtype="html"
        )
    return message


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire (CRLF line ends)."""
    return message.as_bytes(policy=_policy(message))


def _policy(message: EmailMessage) -> Policy:
    """Headers of plain ASCII stay on one line (up to 998 characters).

    Folded at 78, a subject of 70-odd characters starts on the line after `Subject:`, and
    Python's own email parser then reads it back with a leading space. Encoded (non-ASCII)
    headers keep the standard folding, which keeps each encoded word short.
    """
    if all(str(value).isascii() for value in message.values()):
        return message.policy.clone(max_line_length=998)
    return message.policy
