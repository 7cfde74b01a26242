"""A message's bytes as they go: delivery/mail.py writes a one-part message itself (faster than
the email package's generator); every byte must be what the generator writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from outreach.delivery.mail import build_message, message_bytes
from outreach.drafts.draft import draft_from_bytes
from outreach.workspace.settings import Me

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

BODIES = {
    "ascii": "Hi Ada,\n\nCould we talk?\n\nThank you,\nSam\n",
    "no final line break": "Hi Ada,\n\nThanks",
    "accents": "Hola José,\n\n¿Tienes un momento?\n",
    "another script": "你好,王芳\n",
    "a long line": "word " * 300 + "\n",
    "a leading dot and From": ".hidden\nFrom here on\n..\n",
    "trailing spaces": "Hi Ada,   \n\t\nBye\n",
}
HEADERS = {
    "plain": ("Ada Lovelace <ada@example.org>", "Ada, could I ask your advice?"),
    "accented name": ("José Núñez <jose@example.org>", "José, could I ask your advice?"),
    "other script": ("王芳 <wang@example.org>", "王芳, 你好"),
    "UTF-8 address": ("Zoë <zoë@example.org>", "Zoë, hello"),
    "a long subject": ("Ada <ada@example.org>", "Ada, " + "really " * 40 + "?"),
    "a long encoded subject": ("Ada <ada@example.org>", "Zoë, " + "très " * 40 + "?"),
}


def _draft(tmp_path: Path, to: str, subject: str, body: str, thread: bool) -> bytes:
    lines = [
        "---",
        f"to: {to}",
        f"subject: {subject}",
        "template: request",
        "kind: request",
        "contact: ada",
        "status: approved",
        "message_id: <1.2@example.org>",
        "reply_to: sam.rivera@example.com",
    ]
    if thread:
        lines += [
            "in_reply_to: <0.1@example.org>",
            "references: <0.0@example.org> <0.1@example.org>",
        ]
    return ("\n".join([*lines, "---", body])).encode()


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("headers", HEADERS.values(), ids=HEADERS.keys())
@pytest.mark.parametrize("thread", [False, True], ids=["new", "thread"])
def test_a_one_part_message_is_written_byte_for_byte_as_the_email_package_writes_it(
    tmp_path: Path, body: str, headers: tuple[str, str], thread: bool
) -> None:
    to, subject = headers
    path = tmp_path / "ada--request.md"
    draft = draft_from_bytes(path, _draft(tmp_path, to, subject, body, thread))
    assert not draft.broken, draft.broken
    me = Me(name="Sam Rivera", email="sam@example.org")
    message = build_message(draft, me, WHEN)
    assert not message.is_multipart()
    assert message_bytes(message) == message.as_bytes()


def test_a_multipart_message_still_goes_through_the_email_package(tmp_path: Path) -> None:
    body = "Hi Ada,\n\n**Could** we talk?\n"
    data = _draft(tmp_path, "Ada <ada@example.org>", "Hello", body, False)
    draft = draft_from_bytes(
        tmp_path / "ada--request.md", data.replace(b"---\nHi", b"html: true\n---\nHi")
    )
    assert not draft.broken, draft.broken
    message = build_message(draft, Me(name="Sam", email="sam@example.org"), WHEN)
    assert message.is_multipart()
    assert message_bytes(message) == message.as_bytes()
