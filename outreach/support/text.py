"""Words and characters shared by contacts, templates and drafts, in a light module."""

from __future__ import annotations

import re
from typing import Literal, get_args

# Unicode category Cc (C0 and C1 controls, DEL) but the tab; these include CR and LF.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# The same, and the Unicode line and paragraph separators: what no header may hold. One
# definition for contacts, settings and the draft reader, so what one accepts the others do.
CONTROL_OR_SEPARATOR = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
# Everything str.splitlines() breaks on: any of them could end a mail header early.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

# What a template is for; it decides how outreach treats its messages.
TemplateKind = Literal["request", "thank-you", "follow-up", "check-in"]
TEMPLATE_KINDS: tuple[TemplateKind, ...] = get_args(TemplateKind)
# What a journal entry records. `log add` offers HAND_KINDS, `sent` last (sends log
# themselves); `bounced` and `auto-reply` are written by the tool only (`sync`).
EntryKind = Literal[
    "replied", "met", "call", "gave", "received", "note", "sent", "bounced", "auto-reply"
]
ENTRY_KINDS: tuple[EntryKind, ...] = get_args(EntryKind)
HAND_KINDS: tuple[EntryKind, ...] = ENTRY_KINDS[: ENTRY_KINDS.index("sent") + 1]
# How an entry came to be: written by `send`, matched by `sync` (by thread, by address, or
# read from the mailbox otherwise), or logged by hand.
Via = Literal["outreach", "thread", "address", "mailbox", "hand"]
VIAS: tuple[Via, ...] = get_args(Via)


def entry_kind(text: str) -> EntryKind:
    """The entry kind that text names; ValueError for any other text."""
    for kind in ENTRY_KINDS:
        if text == kind:
            return kind
    raise ValueError(f"{text!r} is not an entry kind ({', '.join(ENTRY_KINDS)})")


# Ids and template names become parts of file names (drafts/ID--TEMPLATE.md and
# sent/YYYY-MM-DD--ID--TEMPLATE--N.md, each with a temporary twin while it is written):
# at 64 ASCII characters each, every such name stays far below the 255 bytes that file
# systems allow.
MAX_NAME_LENGTH = 64
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# What a terminal would act on rather than show: C0 and C1 controls (the tab too), DEL and
# the Unicode line and paragraph separators.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_line_break(text: str) -> bool:
    """Whether text holds any of LINE_BREAKS."""
    return not LINE_BREAKS.isdisjoint(text)


def header_unsafe(text: str) -> str | None:
    """The first character of text that no mail header may carry, or None."""
    match = CONTROL_OR_SEPARATOR.search(text)
    return match.group() if match else None


def escaped(char: str) -> str:
    """One character as an escape a person can read: `\\x0b`, `\\x9b`, `\\u2028`."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """text with every control character and line separator escaped, so that it shows as one
    line and cannot move a terminal's cursor; other letters (é, ñ, 中) stay as they are.

    Backslashes are left alone, so escaping twice changes nothing."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(lambda match: escaped(match.group()), text)
