"""What a message found in the mailbox is, from its headers: pure functions of values.

The contract's order of precedence: a delivery report first (real bounces carry
`Auto-Submitted` too), then an automatic reply (a vacation reply may carry `Precedence:
bulk`), then mail from lists or from yourself, then a reply by thread, then by address.

Tens of thousands of header blocks go through here in one `sync`, and nearly all of them
are nothing to the workspace. The standard library's parser (policy=default) costs tens of
microseconds a block, more than the server takes to send it, so a block is split into its
fields by one regular expression, and only what is shown (a subject, a name) of the few
messages that matter, and a delivery report's parts, go through `email`'s parser.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

# What `sync` fetches of every message, with BODY.PEEK[HEADER.FIELDS (...)].
HEADER_FIELDS = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Auto-Submitted",
    "X-Autoreply",
    "X-Autorespond",
    "Precedence",
    "List-Id",
    "Content-Type",
    "X-Microsoft-Original-Message-ID",
)

_FIELD = re.compile(rb"(?m)^([!-9;-~]+)[ \t]*:[ \t]*(.*(?:\r?\n[ \t].*)*)")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_ANGLE = re.compile(r"<([^<>\s]+)>")
_ADDRESS = re.compile(r"[^\s<>()\",;:@]+@[^\s<>()\",;:@]+")
_REPORT = re.compile(r"(?i)^\s*multipart/report\b.*\breport-type\s*=\s*\"?delivery-status\b")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")

# The start of an automatic reply's subject in the common languages (after any Re:/AW:).
_AUTO_SUBJECTS = (
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "out of office",
    "out of the office",
    "office closed",
    "automatische antwort",
    "abwesenheitsnotiz",
    "abwesend",
    "réponse automatique",
    "reponse automatique",
    "absence du bureau",
    "absent du bureau",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "risposta automatica",
    "fuori sede",
    "fuori ufficio",
    "resposta automática",
    "resposta automatica",
    "fora do escritório",
    "automatisch antwoord",
    "afwezig",
    "niet aanwezig",
    "automatiskt svar",
    "automatisk svar",
    "automatisk besked",
    "automaattinen vastaus",
    "automatyczna odpowiedź",
    "automatická odpověď",
    "автоматический ответ",
    "自動返信",
    "自动回复",
)
_AUTO_SUBJECT = re.compile(
    r"(?i)\s*(?:(?:re|aw|sv|vs|wg|fw|fwd|tr|rif|antw)\s*:\s*)*"  # after any Re:/AW:
    r"(?:" + "|".join(re.escape(start) for start in _AUTO_SUBJECTS) + r")(?![^\W_])"
)


class Fields:
    """A header block split into its fields, unfolded, by lowercase name; values as text
    (UTF-8, or Latin-1 where a header carries other 8-bit bytes)."""

    __slots__ = ("block", "values")

    def __init__(self, block: bytes) -> None:
        self.block = block
        self.values: dict[str, list[str]] = {}
        for name, value in _FIELD.findall(block):
            try:
                text = value.decode()
            except UnicodeDecodeError:
                text = value.decode("latin-1")
            if "\n" in text:
                text = _FOLD.sub("", text)
            self.values.setdefault(name.decode("ascii").lower(), []).append(text.strip())

    def first(self, name: str) -> str:
        found = self.values.get(name)
        return found[0] if found else ""

    def has(self, name: str) -> bool:
        return name in self.values


def message_id(fields: Fields) -> str:
    """The message's own id, or where it has none a stable one made from its headers."""
    value = fields.first("message-id")
    found = _ANGLE.search(value)
    if found and "@" in found[1]:
        return f"<{found[1]}>"
    if value and "@" in value and " " not in value:
        return f"<{value.strip('<>')}>"
    digest = hashlib.sha256(fields.block).hexdigest()[:32]
    return f"<{digest}@no-message-id.outreach.invalid>"


def ids_named(value: str) -> list[str]:
    """The message ids a header names, in its order."""
    return [f"<{token}>" for token in _ANGLE.findall(value)]


def addresses(value: str) -> list[str]:
    """The addresses of an address header, lowercased, in order (names and comments left out)."""
    if "<" in value:
        inner = _ANGLE.findall(value)
        if inner:
            return [token.lower() for token in inner if "@" in token]
    if '"' in value or "(" in value:
        from email.utils import getaddresses

        return [address.lower() for _, address in getaddresses([value]) if "@" in address]
    return [token.lower() for token in _ADDRESS.findall(value)]


def decoded(value: str) -> str:
    """A header's text with its encoded words decoded, read as far as it goes; one line."""
    if "=?" in value:
        from email.header import decode_header, make_header

        try:
            value = str(make_header(decode_header(value)))
        except (ValueError, LookupError, UnicodeError):
            from email.policy import default

            with contextlib.suppress(Exception):  # one email cannot read: shown as it came
                value = str(default.header_factory("subject", value))
    return " ".join(value.split())


def sent_at(fields: Fields, fallback: datetime | None) -> datetime | None:
    """When the message says it was written (its Date), else `fallback` (when it arrived)."""
    value = fields.first("date")
    if value:
        from email.utils import parsedate_to_datetime

        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return fallback
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0)
    return fallback


def is_delivery_report(fields: Fields) -> bool:
    return bool(_REPORT.search(fields.first("content-type")))


def automatic(fields: Fields) -> str | None:
    """How the message shows it is an automatic reply, or None."""
    submitted = fields.first("auto-submitted")
    if submitted and submitted.split(";")[0].strip().lower() != "no":
        return f"Auto-Submitted: {submitted.split(';')[0].strip()}"
    for name, shown in (("x-autoreply", "X-Autoreply"), ("x-autorespond", "X-Autorespond")):
        if fields.has(name):
            return shown
    if fields.first("precedence").lower() == "auto_reply":
        return "Precedence: auto_reply"
    subject = fields.first("subject")
    if _AUTO_SUBJECT.match(decoded(subject) if "=?" in subject else subject):
        return "its subject"
    return None


def from_list(fields: Fields) -> str | None:
    if fields.has("list-id"):
        return "List-Id"
    precedence = fields.first("precedence").lower()
    if precedence in ("bulk", "list", "junk"):
        return f"Precedence: {precedence}"
    return None


# --- the few messages worth reading ---------------------------------------------------------

_TOKENS = re.compile(rb"<([^<>\s]+)>")
# A From field with no angle brackets, matched where a line starts with "from:" (found with
# bytes.find: a multiline ^ makes the regular expression try every position of every block).
_BARE_FROM = re.compile(rb"from:[^<\r\n]*(?:\r?\n[ \t][^<\r\n]*)*\r?\n(?![ \t])")


def _bare_from(lowered: bytes) -> bool:
    text = b"\n" + lowered
    at = text.find(b"\nfrom:")
    while at != -1:
        line_end = text.find(b"\n", at + 1)
        # the usual From, "Name <address>", fails on its first line: no regular expression
        first_line_bare = text.find(b"<", at, len(text) if line_end == -1 else line_end) == -1
        if first_line_bare and _BARE_FROM.match(text, at + 1):
            return True
        at = text.find(b"\nfrom:", at + 1)
    return False


def prefilter(known: Known) -> Callable[[bytes], bool]:
    """A quick test on a header block, as it came, of whether any row of the table could fit
    it: it names a message this workspace sent, or a contact's address, or it is a delivery
    report, or its From has no angle brackets (read in full). False for nearly every message
    of a big mailbox, which is then never split into its fields; compared lowercased, so it
    only ever lets more through than `incoming` takes."""
    names = {message.strip("<>").lower().encode() for message in known.sent}
    names.update(address.encode() for address in known.contacts)

    def worth_reading(block: bytes) -> bool:
        lowered = block.lower()
        if b"multipart/report" in lowered or _bare_from(lowered):
            return True
        return not names.isdisjoint(_TOKENS.findall(lowered))

    return worth_reading


# --- delivery reports -------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What a delivery report (RFC 3464) says: per failed or delayed recipient, the status and
    the server's words, and the ids of the message it returns."""

    status: str  # 5.1.1; "" where the report gives none
    words: str  # the Diagnostic-Code, else the Action
    recipient: str  # the address it was for, lowercased; "" where it names none
    returned_ids: tuple[str, ...]  # the returned message's Message-ID (and Outlook's original)

    @property
    def permanent(self) -> bool:
        return self.status.startswith("5")

    @property
    def delayed(self) -> bool:
        return self.status.startswith("4")


def read_report(status_part: bytes, returned: bytes) -> Report:
    """The report's first failed (else delayed) recipient, from its message/delivery-status
    part and the headers of the message it returns (either may be empty)."""
    groups = re.split(rb"\r?\n[ \t]*\r?\n", status_part.replace(b"\r\n", b"\n"))
    best: tuple[int, str, str, str] | None = None  # (rank, status, words, recipient)
    for group in groups[1:] or groups:  # the first group is about the message, not a recipient
        fields = Fields(group.strip(b"\n") + b"\n")
        status_match = _STATUS.search(fields.first("status"))
        action = fields.first("action").lower()
        if status_match:
            status = ".".join(status_match.groups())
        elif action == "failed":
            status = "5.0.0"
        elif action == "delayed":
            status = "4.0.0"
        else:
            continue
        words = decoded(fields.first("diagnostic-code"))
        if ";" in words:
            words = words.split(";", 1)[1].strip()
        recipient = fields.first("final-recipient") or fields.first("original-recipient")
        if ";" in recipient:
            recipient = recipient.split(";", 1)[1]
        rank = {"5": 0, "4": 1}.get(status[0], 2)
        found = (rank, status, words or action or "", recipient.strip().strip("<>").lower())
        if best is None or found[0] < best[0]:
            best = found
    end = re.search(rb"\r?\n\r?\n", returned)
    headers = Fields(returned[: end.start()] if end else returned) if returned else None
    ids: list[str] = []
    if headers is not None:
        for name in ("message-id", "x-microsoft-original-message-id"):
            ids.extend(ids_named(headers.first(name)))
    if best is None:
        return Report("", "", "", tuple(ids))
    return Report(best[1], best[2], best[3], tuple(ids))


# --- what a message is ------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """What the workspace knows that a message is matched against."""

    sent: dict[str, str]  # message id -> person: what this workspace sent, and its copies'
    first_sent: dict[str, datetime]  # person -> when the first message to them went
    contacts: Mapping[str, str]  # lowercased address -> person id
    me: frozenset[str]  # my own addresses, lowercased


FindingKind = Literal["replied", "auto-reply", "bounced", "delayed", "sent", "copy", "nothing"]


@dataclass(frozen=True)
class Finding:
    """What one message is to the workspace, and how that was found."""

    kind: FindingKind
    how: str  # "In-Reply-To names ...", "from ada@example.org", "List-Id"
    person: str | None = None
    via: Literal["thread", "address", "mailbox"] = "mailbox"
    original: str | None = None  # the id of the message this workspace sent it answers
    note: str | None = None


def _by_thread(fields: Fields, known: Known) -> tuple[str, str, str] | None:
    """(person, the sent id it names, which header) where the message answers one of ours."""
    for name, shown in (("in-reply-to", "In-Reply-To"), ("references", "References")):
        named = ids_named(" ".join(fields.values.get(name, ())))
        for candidate in reversed(named):  # the latest message of a thread is named last
            person = known.sent.get(candidate)
            if person is not None:
                return person, candidate, shown
    return None


Moment = datetime | Callable[[], datetime]  # when the message was written, or how to find it


def _contact_written_to(address: str, known: Known, moment: Moment) -> str | None:
    person = known.contacts.get(address)
    if person is None:
        return None
    first = known.first_sent.get(person)
    if first is None:
        return None
    return person if first <= (moment if isinstance(moment, datetime) else moment()) else None


def incoming(fields: Fields, known: Known, moment: Moment, report: Report | None = None) -> Finding:
    """What a message in a folder of imap.folders is. `report`: for a delivery report, what
    its status part and returned headers say (None: not read, so matched by headers only)."""
    if report is not None or is_delivery_report(fields):
        return _delivery(report or Report("", "", "", ()), known, moment)
    sender = next(iter(addresses(fields.first("from"))), "")
    thread = _by_thread(fields, known)
    if thread is None and sender not in known.contacts:
        # Nearly every message: whatever else it is, it concerns nobody (no row can fit).
        return Finding("nothing", "nothing this workspace sent or anyone it wrote to")
    auto = automatic(fields)
    if auto is not None:
        if thread is not None:
            person, original, header = thread
            return Finding(
                "auto-reply", f"{auto}; {header} names {original}", person, "mailbox", original
            )
        written_to = _contact_written_to(sender, known, moment)
        if written_to is not None:
            return Finding("auto-reply", f"{auto}; from {sender}", written_to)
        return Finding("nothing", f"an automatic reply ({auto}) to nothing this workspace sent")
    listed = from_list(fields)
    if listed is not None:
        return Finding("nothing", f"mail from a list ({listed})")
    if sender and sender in known.me:
        return Finding("nothing", "mail from yourself")
    if thread is not None:
        person, original, header = thread
        return Finding("replied", f"{header} names {original}", person, "thread", original)
    by_address = _contact_written_to(sender, known, moment)
    if by_address is not None:
        return Finding("replied", f"from {sender}, after a message to them", by_address, "address")
    return Finding("nothing", "nothing this workspace sent or anyone it wrote to")


def _delivery(report: Report, known: Known, moment: Moment) -> Finding:
    person = original = None
    how = ""
    for candidate in report.returned_ids:
        if candidate in known.sent:
            person, original = known.sent[candidate], candidate
            how = f"returns {candidate}"
            break
    if person is None and report.recipient:
        person = _contact_written_to(report.recipient, known, moment)
        how = f"for {report.recipient}" if person else ""
    if person is None:
        return Finding("nothing", "a delivery report for nothing this workspace sent")
    words = f"{report.status} {report.words}".strip()
    if report.permanent:
        return Finding("bounced", how, person, "mailbox", original, words)
    if report.delayed:
        return Finding("delayed", how, person, "mailbox", original, f"delivery delayed: {words}")
    return Finding("nothing", "a delivery report that says the message was delivered")


def in_sent(fields: Fields, known: Known, pushed: Sequence[str] = ()) -> Finding:
    """What a message in the Sent folder is: a copy of one this workspace sent or pushed
    (`copy`, its id in `original`), one the person wrote to a contact (`sent`), or nothing."""
    own = message_id(fields)
    for name in ("x-microsoft-original-message-id", "message-id"):
        for candidate in ids_named(fields.first(name)):
            if candidate in known.sent or candidate in pushed:
                how = "its Message-ID" if candidate == own else f"Outlook's original id {candidate}"
                return Finding("copy", how, known.sent.get(candidate), original=candidate)
    for name in ("to", "cc"):
        for address in addresses(" ".join(fields.values.get(name, ()))):
            person = known.contacts.get(address)
            if person is not None:
                return Finding("sent", f"to {address}", person)
    return Finding("nothing", "to nobody in contacts.yaml")
