"""`outreach sync`: the account's new mail read, header by header, into the journal.

Nothing in the account changes: folders are opened with EXAMINE (read-only) and read with
BODY.PEEK, so nothing is marked read, moved or deleted. Where each folder stopped
(UIDVALIDITY and the last UID finished) is kept in `.outreach/sync.json`, written after each
batch once its entries are in the journal, so a run cut off starts the next one after the
last message it finished; the journal takes each incoming Message-ID once, so nothing is
logged twice.

imapclient (through mailbox/connection.py) logs in and finds the folders; the bulk header
fetch is sent on its imaplib connection and read off the socket here, message by message:
imapclient's response parser, and imaplib's own reader, cost more than the server takes to send
50,000 header blocks (bench/mailbox.py measures it).

Up to three connections to the account: the first lists the folders and reads Sent; a second,
which never sends LIST, reads the folders of imap.folders (_Unlisted), and opens the first of
them while Sent is read; a long read fetches its delivery reports on a third while its headers
stream in (_Bodies). Each falls back to the one before where the server refuses another
connection. Each batch's fetch is sent before the batch before it is logged (_Reader.ask), so
the server is never idle between batches.
"""

from __future__ import annotations

import imaplib
import json
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from outreach.journal.database import Entry, Journal
from outreach.mailbox.classify import (
    HEADER_FIELDS,
    Fields,
    Finding,
    Known,
    Report,
    decoded,
    in_sent,
    incoming,
    is_delivery_report,
    message_id,
    prefilter,
    read_report,
    sent_at,
)
from outreach.support.errors import MailboxError, OutreachError
from outreach.support.files import atomic_write
from outreach.workspace.folder import Workspace

if TYPE_CHECKING:
    from outreach.drafts.draft import Draft

BATCH = 5000  # messages a fetch asks for: memory stays flat whatever the folder holds
FIRST_RUN_DAYS = 90
STATE_FILE = "sync.json"
# No INTERNALDATE: on a Maildir, Dovecot stats every message's file for it. The few messages
# that matter and carry no Date ask for it after their batch (_Reader.arrivals).
_FETCH_ITEMS = f"(UID BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})])"
_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_RETURNED_BYTES = 65536  # of a delivery report's returned message: its headers come first

Progress = Callable[[str, int, int], None]  # folder, messages done, messages to read


# --- where each folder stopped ----------------------------------------------------------


@dataclass
class FolderMark:
    uidvalidity: int
    last_uid: int


@dataclass
class SyncState:
    """`.outreach/sync.json`: where each folder stopped, the day of the last finished run,
    and the ids servers gave the copies of this workspace's messages (Outlook rewrites them)."""

    folders: dict[str, FolderMark] = field(default_factory=dict)
    last_run: date | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # the server's id -> ours

    @classmethod
    def read(cls, path: Path) -> SyncState:
        try:
            raw = json.loads(path.read_bytes())
            return cls(
                folders={
                    str(name): FolderMark(int(mark["uidvalidity"]), int(mark["last_uid"]))
                    for name, mark in raw.get("folders", {}).items()
                },
                last_run=date.fromisoformat(raw["last_run"]) if raw.get("last_run") else None,
                aliases={str(k): str(v) for k, v in raw.get("aliases", {}).items()},
            )
        except FileNotFoundError:
            return cls()
        except (ValueError, TypeError, KeyError, AttributeError):
            # A damaged state only costs a rescan: the journal keeps anything from being
            # logged twice.
            return cls()

    def encoded(self) -> bytes:
        data = {
            "folders": {
                name: {"uidvalidity": mark.uidvalidity, "last_uid": mark.last_uid}
                for name, mark in self.folders.items()
            },
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "aliases": self.aliases,
        }
        return json.dumps(data, indent=1, sort_keys=True).encode()

    def write(self, path: Path, unless: bytes | None = None) -> None:
        """Written whole (or not at all); not at all where it would say what `unless` says."""
        data = self.encoded()
        if data != unless:
            atomic_write(path, data)


# --- what a run found -------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    entry: Entry  # as written (with its id), or as it would be on a dry run
    how: str  # how it was matched, in words
    folder: str
    filed: Path | None = None  # a pushed draft filed into sent/


@dataclass(frozen=True)
class Skipped:
    folder: str
    uid: int
    reason: str

    def __str__(self) -> str:
        return f"{self.folder} UID {self.uid}: {self.reason}; skipped"


@dataclass
class SyncResult:
    logged: list[Logged] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    read: int = 0  # messages whose headers were read
    folders: list[str] = field(default_factory=list)
    since: date | None = None


# --- the run ----------------------------------------------------------------------------


def first_day(journal: Journal, today: date) -> date:
    """How far back a first run reads: 90 days, or the first message sent, whichever later."""
    row = journal.db.execute("SELECT MIN(day) FROM entries WHERE kind = 'sent'").fetchone()
    default = today - timedelta(days=FIRST_RUN_DAYS)
    if row and row[0]:
        return max(default, date.fromisoformat(row[0]))
    return default


def known_to(workspace: Workspace, journal: Journal, aliases: dict[str, str]) -> Known:
    """What messages are matched against: the sent messages and their copies' ids, the
    contacts' addresses and when each was first written to, and my own addresses."""
    sent: dict[str, str] = {}
    first_sent: dict[str, datetime] = {}
    for person, message, at in journal.db.execute(
        "SELECT person, message_id, at FROM entries WHERE kind = 'sent' ORDER BY at"
    ):
        if message:
            sent[message] = person
        moment = datetime.fromisoformat(at)
        if person not in first_sent:
            first_sent[person] = moment
    for server_id, ours in aliases.items():
        if ours in sent:
            sent[server_id] = sent[ours]
    contacts = {
        contact.email.lower(): contact.id for contact in workspace.load_contacts() if contact.email
    }
    settings = workspace.settings
    mine = {settings.me.email, settings.smtp.user, settings.imap.user if settings.imap else None}
    me = frozenset(address.lower() for address in mine if address and "@" in address)
    return Known(sent, first_sent, contacts, me)


def sync(
    workspace: Workspace,
    journal: Journal,
    mailbox: Any,
    *,
    since: date | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> SyncResult:
    """Read what is new in the Sent folder, then in imap.folders, into the journal.

    `mailbox`: a logged-in connection.Mailbox. A missing folder is an error before anything
    is read; a message that cannot be read is skipped and named."""
    settings = workspace.settings.imap
    assert settings is not None  # the command checks first
    today = today or date.today()
    state_path = workspace.state_dir / STATE_FILE
    state = SyncState.read(state_path)
    read = state.encoded()  # as the last run left it: written again only where it changed
    # logs in while the first connection lists the folders
    with _Unlisted(mailbox, settings.folders[0] if settings.folders else None) as unlisted:
        mailbox.check_folders(settings.folders)
        sent_folder = mailbox.sent_folder()
        folders = [sent_folder] if sent_folder else []
        folders += [name for name in settings.folders if name != sent_folder]
        start_day = since or first_day(journal, today)
        result = SyncResult(folders=folders, since=start_day)
        reader = _Reader(mailbox.client)
        run: _Run | None = None  # made for the first folder with something to read
        # A first read of a folder (or a --since window) is likely long: the connection for
        # its delivery reports logs in and opens it while Sent is read.
        first = next((name for name in folders if name != sent_folder), None)
        early = None
        if first is not None and (since is not None or first not in state.folders):
            early = _Bodies(mailbox)

        def ready_run() -> _Run:
            """What messages are matched against, found only when a folder has new mail: a run
            with nothing new reads neither contacts nor drafts."""
            nonlocal run
            if run is None:
                from outreach.drafts.draft import list_drafts

                known = known_to(workspace, journal, state.aliases)
                pushed = {
                    draft.message_id: draft
                    for draft in list_drafts(workspace.drafts_dir)
                    if draft.get("status") == "pushed" and not draft.broken
                }
                run = _Run(workspace, journal, state, known, pushed, result, dry_run)
            return run

        try:
            for folder in folders:
                is_sent = folder == sent_folder
                if not is_sent:
                    reader = unlisted.reader(fallback=reader)
                uidvalidity, uidnext = reader.examine(folder)
                mark = state.folders.get(folder)
                if mark is not None and mark.uidvalidity != uidvalidity:
                    mark = None  # the folder was rebuilt: its old UIDs mean nothing now
                if since is None and mark is not None:
                    if uidnext and uidnext <= mark.last_uid + 1:
                        continue  # nothing new
                    start = mark.last_uid + 1
                else:
                    window = start_day
                    if since is None and folder in state.folders and state.last_run is not None:
                        window = state.last_run  # UIDVALIDITY changed: from the last run's day
                    start = reader.first_uid_since(window)
                mark = mark or FolderMark(uidvalidity, 0)
                # A long read fetches its delivery reports on a connection of their own
                bodies = None
                if not is_sent and uidnext - start > BATCH:
                    bodies = early if folder == first and early else _Bodies(mailbox)
                    bodies.open(folder)
                if folder == first and early is not None and bodies is not early:
                    early.close()  # not needed after all
                try:
                    status = (uidvalidity, uidnext)
                    ready_run().folder(
                        reader, folder, is_sent, start, status, mark, progress, bodies
                    )
                finally:
                    if bodies is not None:
                        bodies.close()
        except (OSError, imaplib.IMAP4.error) as error:
            kept = "nothing was logged" if dry_run else f"{len(result.logged)} entries were logged"
            raise MailboxError(
                f"{mailbox.where}: the connection was lost while reading ({_words(error)}); "
                f"{kept}, and the next sync starts after the last message finished"
            ) from None
        finally:
            if early is not None:
                early.close()
        if not dry_run:
            state.last_run = today
            state.write(state_path, unless=read)
        return result


@dataclass
class _Batch:
    """One batch of a folder read: what it found, its delivery reports and their fetch."""

    last_asked: int
    last: int = 0  # the highest UID read so far in the folder, once the batch is read
    found: list[tuple[int, tuple[Logged, Draft | None]]] = field(default_factory=list)
    reports: list[tuple[int, Fields, bytes]] = field(default_factory=list)
    fetched: Future[dict[int, Report]] | None = None

    @property
    def ready(self) -> bool:
        return self.fetched is None or self.fetched.done()


def _done_reader(reader: _Reader | None) -> Future[_Reader | None]:
    future: Future[_Reader | None] = Future()
    future.set_result(reader)
    return future


def _done(reports: dict[int, Report]) -> Future[dict[int, Report]]:
    future: Future[dict[int, Report]] = Future()
    future.set_result(reports)
    return future


class _Run:
    """One run's work on the messages read: matched, logged batch by batch, marked."""

    def __init__(
        self,
        workspace: Workspace,
        journal: Journal,
        state: SyncState,
        known: Known,
        pushed: dict[str, Draft],
        result: SyncResult,
        dry_run: bool,
    ) -> None:
        self.workspace = workspace
        self.journal = journal
        self.state = state
        self.known = known
        self.pushed = pushed
        self.result = result
        self.dry_run = dry_run
        self.logged_ids: set[str] = set()
        if dry_run:
            self.logged_ids = {
                row[0]
                for row in journal.db.execute(
                    "SELECT message_id FROM entries WHERE message_id IS NOT NULL"
                )
            }

    def folder(
        self,
        reader: _Reader,
        folder: str,
        is_sent: bool,
        start: int,
        status: tuple[int, int],
        mark: FolderMark,
        progress: Progress | None,
        bodies: _Bodies | None = None,
    ) -> None:
        """Read the folder's headers batch by batch. A batch's delivery reports go to `bodies`
        (a second connection, where there is one) while the next batches stream in; a batch is
        logged and marked done once its reports are in, in order, so a run cut off resumes
        after the last batch logged."""
        uidvalidity, uidnext = status
        # Up to the UID the folder gives its next message: what arrives meanwhile is the next
        # run's. A server that does not say reads from `start` to the end in one fetch.
        end = uidnext - 1 if uidnext else start
        total = end - start + 1
        waiting: deque[_Batch] = deque()
        last = mark.last_uid  # never lower: a --since window read again starts below it

        def finish(batch: _Batch) -> None:
            try:
                fetched = batch.fetched.result() if batch.fetched is not None else {}
            except _NoSecondConnection:  # the first connection is free between batches
                fetched = reader.reports([uid for uid, _, _ in batch.reports])
            self._finish(folder, batch, fetched)
            if not self.dry_run:
                self.state.folders[folder] = FolderMark(uidvalidity, batch.last)
                self.state.write(self.workspace.state_dir / STATE_FILE)
            if progress is not None:
                progress(folder, batch.last_asked - start + 1, total)

        for first in range(start, end + 1, BATCH):
            last_asked = min(first + BATCH - 1, end)
            batch = _Batch(last_asked)
            undated: list[tuple[int, Fields]] = []
            worth_reading = prefilter(self.known)  # again each batch: Sent adds ids
            for uid, block in reader.headers(first, last_asked if uidnext else None):
                self.result.read += 1
                if uid > last:
                    last = uid
                if not is_sent and not worth_reading(block):
                    continue
                try:
                    fields = Fields(block)
                    if sent_at(fields, None) is None:
                        undated.append((uid, fields))  # when it arrived: asked after the batch
                        continue
                    self._sort(batch, uid, folder, is_sent, fields, b"")
                except Exception as error:  # one unreadable message never stops the run
                    self.result.skipped.append(Skipped(folder, uid, f"cannot be read: {error}"))
            batch.last = last
            if undated:
                arrivals = reader.arrivals([uid for uid, _ in undated])
                for uid, fields in undated:
                    try:
                        self._sort(batch, uid, folder, is_sent, fields, arrivals.get(uid, b""))
                    except Exception as error:
                        self.result.skipped.append(Skipped(folder, uid, f"cannot be read: {error}"))
                batch.found.sort(key=lambda numbered: numbered[0])
            if batch.reports:
                uids = [uid for uid, _, _ in batch.reports]
                batch.fetched = bodies.reports(uids) if bodies else _done(reader.reports(uids))
            if last_asked < end:
                # The next batch is asked for now: the server reads it while this one is
                # logged and marked, instead of waiting for its command.
                reader.ask(last_asked + 1, min(last_asked + BATCH, end))
            waiting.append(batch)
            while waiting and waiting[0].ready:  # in order: the marks only ever move forward
                finish(waiting.popleft())
        while waiting:
            finish(waiting.popleft())
        # Read to the end: what is older than the window is never read, so the next run starts
        # at the UID the folder gives its next message.
        mark = FolderMark(uidvalidity, max(last, uidnext - 1))
        if not self.dry_run and self.state.folders.get(folder) != mark:
            self.state.folders[folder] = mark
            self.state.write(self.workspace.state_dir / STATE_FILE)

    def _sort(
        self, batch: _Batch, uid: int, folder: str, is_sent: bool, fields: Fields, prefix: bytes
    ) -> None:
        """A message worth reading into its batch: a delivery report to fetch, or matched."""
        if not is_sent and is_delivery_report(fields):
            batch.reports.append((uid, fields, prefix))
            return
        item = self._match(prefix, folder, is_sent, fields)
        if item is not None:
            batch.found.append((uid, item))

    def _finish(self, folder: str, batch: _Batch, fetched: dict[int, Report]) -> None:
        """A batch's delivery reports matched, then its entries logged (one transaction)."""
        found = [item for _, item in batch.found]
        for uid, fields, prefix in batch.reports:
            try:
                report = fetched.get(uid) or Report("", "", "", ())
                moment = _moment(fields, prefix)
                finding = incoming(fields, self.known, moment, report)
                logged = self._logged(folder, fields, moment, finding)
                if logged is None and not report.returned_ids and not report.recipient:
                    self.result.skipped.append(
                        Skipped(folder, uid, "a delivery report that names no message")
                    )
            except Exception as error:
                self.result.skipped.append(Skipped(folder, uid, f"cannot be read: {error}"))
                continue
            if logged is not None:
                found.append((logged, None))
        self._keep(found)

    def _match(
        self, prefix: bytes, folder: str, is_sent: bool, fields: Fields
    ) -> tuple[Logged, Draft | None] | None:
        if not is_sent:
            finding = incoming(fields, self.known, lambda: _moment(fields, prefix))
            if finding.kind == "nothing":
                return None
            moment = _moment(fields, prefix)
            item = self._logged(folder, fields, moment, finding)
            return (item, None) if item is not None else None
        finding = in_sent(fields, self.known, tuple(self.pushed))
        if finding.kind == "copy" and finding.original is not None:
            own = message_id(fields)
            if own != finding.original and own not in self.known.sent:
                self.state.aliases[own] = finding.original  # replies may name the new id
                person = self.known.sent.get(finding.original)
                if person is not None:
                    self.known.sent[own] = person
            draft = self.pushed.get(finding.original)
            if draft is None:
                return None
            from outreach.delivery.sending import sent_entry

            entry = sent_entry(draft, _moment(fields, prefix), via="mailbox")
            self.known.sent[draft.message_id] = draft.person
            if own != draft.message_id:
                self.known.sent[own] = draft.person
            how = f"your pushed draft drafts/{draft.name}, found in Sent by {finding.how}"
            return Logged(entry, how, folder), draft
        if finding.kind == "nothing":
            return None
        item = self._logged(folder, fields, _moment(fields, prefix), finding)
        return (item, None) if item is not None else None

    def _logged(
        self, folder: str, fields: Fields, moment: datetime, finding: Finding
    ) -> Logged | None:
        kind = {
            "replied": "replied",
            "auto-reply": "auto-reply",
            "bounced": "bounced",
            "delayed": "note",
            "sent": "sent",
        }.get(finding.kind)
        if kind is None or finding.person is None:
            return None
        subject = decoded(fields.first("subject")) or None
        entry = Entry(
            person=finding.person,
            kind=kind,  # type: ignore[arg-type]
            at=moment,
            day=moment.astimezone().date(),
            note=finding.note,
            subject=subject,
            message_id=message_id(fields),
            via=finding.via,
        )
        if kind == "sent":
            own = entry.message_id or ""
            self.known.sent[own] = finding.person
            self.known.first_sent.setdefault(finding.person, moment)
        return Logged(entry, finding.how, folder)

    def _keep(self, found: list[tuple[Logged, Draft | None]]) -> None:
        """Log a batch's entries (one transaction), then file the pushed drafts they sent."""
        if not found:
            return
        if self.dry_run:
            for item, _ in found:
                message = item.entry.message_id
                if message not in self.logged_ids:
                    self.logged_ids.add(message or "")
                    self.result.logged.append(item)
            return
        added = {
            entry.message_id: entry for entry in self.journal.add_new(i.entry for i, _ in found)
        }
        for item, draft in found:
            entry = added.pop(item.entry.message_id, None)
            filed = None
            if draft is not None:
                filed = _file_pushed(self.workspace, draft, item.entry.day)
                self.pushed.pop(draft.message_id, None)
            if entry is not None:
                self.result.logged.append(Logged(entry, item.how, item.folder, filed))


def _file_pushed(workspace: Workspace, draft: Draft, day: date) -> Path | None:
    """A pushed draft the person sent from their mail program, filed into sent/ as `send`
    files what it sent (gone from drafts/ already: nothing to file)."""
    from outreach.delivery.sending import file_as_sent
    from outreach.drafts.draft import read_draft

    if not draft.path.exists():
        return None
    filing = file_as_sent(workspace, [read_draft(draft.path)], day)
    return filing.filed[0] if filing.filed else None


def _uid_set(uids: Sequence[int]) -> str:
    """A sorted run of UIDs as IMAP's sequence set: ranges where they are consecutive."""
    parts: list[str] = []
    start = previous = uids[0]
    for uid in uids[1:]:
        if uid != previous + 1:
            parts.append(f"{start}:{previous}" if previous != start else str(start))
            start = uid
        previous = uid
    parts.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(parts)


class _Reader:
    """The few IMAP commands sync sends, over imapclient's imaplib connection."""

    def __init__(self, client: Any, opened: tuple[str, dict[bytes, Any]] | None = None) -> None:
        self.client = client
        self.imap = client._imap  # imaplib.IMAP4: the bulk fetch without imapclient's parser
        self.uidnext = 0
        self.exists = 0
        self.opened = opened  # a folder the connection opened already, and what it said
        # A header fetch sent ahead (see ask): its tag and UIDs; and one read off the socket
        # before another command went out, with its answer.
        self.asked: tuple[bytes, int, int] | None = None
        self.answered: tuple[int, int, list[tuple[int, bytes]]] | None = None

    def ask(self, first: int, last: int) -> None:
        """Send the header fetch of UIDs `first` to `last` now; `headers(first, last)` reads
        its answer. Any other command first reads that answer into memory (one batch)."""
        self._settle()
        # A connection gone already: `headers` sends it again, and says so, once the batches
        # before are logged.
        with suppress(OSError, imaplib.IMAP4.error):
            self.asked = (self._send(_header_fetch(first, last)), first, last)

    def _settle(self) -> None:
        """The answer of a fetch sent ahead read now, so that another command can go out."""
        if self.asked is not None:
            tag, first, last = self.asked
            self.asked = None
            self.answered = (first, last, list(self._headers(tag, first, last)))

    def examine(self, folder: str) -> tuple[int, int]:
        """Open the folder read-only (EXAMINE): its UIDVALIDITY and UIDNEXT (0: not said)."""
        self._settle()
        self.answered = None  # of the folder open before
        if self.opened is not None and self.opened[0] == folder:
            found = self.opened[1]
        else:
            found = self.client.select_folder(folder, readonly=True)
        self.opened = None
        self.uidnext = int(found.get(b"UIDNEXT", 0))
        self.exists = int(found.get(b"EXISTS", 0))
        return int(found[b"UIDVALIDITY"]), self.uidnext

    def first_uid_since(self, day: date) -> int:
        """The UID of the folder's first message that arrived on or after `day`, found by
        halving over the messages' arrival dates (IMAP numbers them in the order they came),
        a few small fetches instead of a SEARCH SINCE over every message; 1 for an empty
        folder."""
        self._settle()
        exists = self.exists
        low, high = 1, exists + 1  # the answer is a message number in low..high
        cutoff = datetime.combine(day, datetime.min.time()).astimezone(UTC)
        if exists:
            uid, arrived = self._uid_and_arrival(1)
            if arrived is not None and arrived >= cutoff:
                return uid  # the whole folder is in the window: one fetch
        while low < high:
            middle = (low + high) // 2
            arrived = self._uid_and_arrival(middle)[1]
            if arrived is None or arrived < cutoff:
                low = middle + 1
            else:
                high = middle
        if low > exists:  # nothing in the window: start where the next message will be
            return self.uidnext or (self._uid_and_arrival(exists)[0] + 1 if exists else 1)
        return self._uid_and_arrival(low)[0]

    def _uid_and_arrival(self, number: int) -> tuple[int, datetime | None]:
        data = self.imap.fetch(str(number), "(UID INTERNALDATE)")[1]
        for item in data:
            prefix = item[0] if isinstance(item, tuple) else item
            if isinstance(prefix, bytes) and (found := _UID.search(prefix)):
                return int(found[1]), _arrived(prefix)
        raise OutreachError(f"the server gave no UID for message {number}")

    def headers(self, first: int, last: int | None) -> Iterator[tuple[int, bytes]]:
        """(UID, the header fields) of each message from UID `first` to `last` (None: to the
        end), in one UID FETCH (sent now, or by `ask` before), each yielded as soon as it is
        read off the socket."""
        if self.answered is not None and self.answered[:2] == (first, last):
            found, self.answered = self.answered[2], None
            yield from found
            return
        if self.asked is not None and self.asked[1:] == (first, last):
            tag, self.asked = self.asked[0], None
        else:
            self._settle()
            tag = self._send(_header_fetch(first, last))
        yield from self._headers(tag, first, last)

    def _headers(self, tag: bytes, first: int, last: int | None) -> Iterator[tuple[int, bytes]]:
        for prefix, literals in self._answers(tag, "FETCH"):
            if not literals or prefix.find(b" FETCH ", 0, 40) == -1:
                continue  # EXISTS, RECENT, an unsolicited FETCH of flags: not ours
            found = _UID.search(prefix)
            if found is None:
                continue
            uid = int(found[1])
            if uid >= first and (last is None or uid <= last):  # `n:*` answers the highest too
                yield uid, literals[0]

    def arrivals(self, uids: Sequence[int]) -> dict[int, bytes]:
        """Each message's FETCH line with its INTERNALDATE (when it arrived), by UID."""
        self._settle()
        found: dict[int, bytes] = {}
        tag = self._send(f"UID FETCH {_uid_set(uids)} (UID INTERNALDATE)")
        for prefix, _ in self._answers(tag, "FETCH"):
            uid = _UID.search(prefix)
            if uid is not None and prefix.find(b" FETCH ", 0, 40) != -1:
                found[int(uid[1])] = prefix
        return found

    def _send(self, command: str) -> bytes:
        """Send one command (its answer is read by _answers); its tag."""
        imap = self.imap
        tag: bytes = imap._new_tag()
        imap.send(tag + b" " + command.encode() + b"\r\n")
        return tag

    def _answers(self, tag: bytes, name: str) -> Iterator[tuple[bytes, list[bytes]]]:
        """Yield each untagged response to the command of `tag` as it is read: its first
        line and its literals. imaplib's own reader keeps every response of a command, and
        logs and matches each line with several regular expressions: more than Dovecot takes
        to send 50,000 header blocks."""
        imap = self.imap
        readline, read = imap.file.readline, imap.file.read
        done = tag + b" "
        try:
            while True:
                line = readline()
                if not line:
                    raise imaplib.IMAP4.abort("the server closed the connection")
                if line.startswith(done):
                    if line[len(done) : len(done) + 2] != b"OK":
                        words = line[len(done) :].decode("utf-8", "replace").strip()
                        raise OutreachError(f"the server refused {name}: {words}")
                    return
                literals: list[bytes] = []
                first_line = line
                # a literal announced at the line's end, {123}: found from the end, as fast as
                # the 50,000 lines of a big folder need
                while line.endswith(b"}\r\n") and (opening := line.rfind(b"{")) != -1:
                    size = line[opening + 1 : -3]
                    if not size.isdigit():
                        break
                    wanted = int(size)
                    literal = read(wanted)
                    if len(literal) < wanted:
                        raise imaplib.IMAP4.abort("the server closed the connection")
                    literals.append(literal)
                    line = readline()
                yield first_line, literals
        except ValueError:
            if not imap.file.closed:
                raise
            # closed under it (imaplib's shutdown) while a fetch sent ahead was unread
            raise imaplib.IMAP4.abort("the connection was closed") from None
        finally:
            imap.tagged_commands.pop(tag, None)

    def reports(self, uids: Sequence[int]) -> dict[int, Report]:
        """Delivery reports' status parts and the start of the messages they return, in one
        UID FETCH; by UID."""
        self._settle()
        kind, data = self.imap.uid(
            "FETCH", _uid_set(uids), f"(UID BODY.PEEK[2] BODY.PEEK[3]<0.{_RETURNED_BYTES}>)"
        )
        if kind != "OK":
            raise OutreachError(f"the server refused to fetch delivery reports: {_words(data)}")
        found: list[tuple[list[int], dict[str, bytes]]] = []
        for item in data:
            # imaplib splits a response at each literal: a message's first piece starts with
            # its number, each piece's prefix names the section whose literal follows it
            prefix = item[0] if isinstance(item, tuple) else item
            if not isinstance(prefix, bytes):
                continue
            if prefix[:1].isdigit() or not found:
                found.append(([], {}))
            uid = _UID.search(prefix)
            if uid:
                found[-1][0].append(int(uid[1]))
            if isinstance(item, tuple):
                found[-1][1]["3" if b"BODY[3]" in prefix else "2"] = item[1] or b""
        return {
            ids[0]: read_report(parts.get("2", b""), parts.get("3", b""))
            for ids, parts in found
            if ids
        }


def _header_fetch(first: int, last: int | None) -> str:
    return f"UID FETCH {first}:{last if last is not None else '*'} {_FETCH_ITEMS}"


def _arrived(prefix: bytes) -> datetime | None:
    found = _INTERNALDATE.search(prefix)
    if found:
        try:
            return datetime.strptime(found[1].decode(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
        except ValueError:
            pass
    return None


class _Unlisted:
    """A second connection, on which no LIST is sent, for the folders of imap.folders; the
    first lists the folders and reads Sent. Dovecot opens a big Maildir folder in a few
    milliseconds, but after a LIST in the same session it reads the folder's whole
    dovecot-uidlist again (half a second at 50,000 messages). Where it cannot be made, the
    first connection reads everything.

    It opens `folder` (the first of imap.folders) as soon as it is logged in, while the first
    connection lists the folders and reads Sent: Dovecot took 80 ms to open the 50,000 of
    bench/mailbox.py, which a run waited for after Sent."""

    def __init__(self, mailbox: Any, folder: str | None = None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outreach-unlisted")
        self.client: Future[Any] = self.pool.submit(mailbox.another)
        self.opened: Future[tuple[str, dict[bytes, Any]] | None] = self.pool.submit(
            self._open, folder
        )
        self.made: _Reader | None = None

    def _open(self, folder: str | None) -> tuple[str, dict[bytes, Any]] | None:
        """The folder opened read-only, and what the server said; None where it could not be
        (a folder the account lacks is an error of the first connection's check)."""
        if folder is None or self.client.exception() is not None:
            return None
        try:
            return folder, self.client.result().select_folder(folder, readonly=True)
        except (OSError, imaplib.IMAP4.error):
            return None

    def __enter__(self) -> _Unlisted:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def reader(self, fallback: _Reader) -> _Reader:
        if self.made is None:
            try:
                self.made = _Reader(self.client.result(), self.opened.result())
            except (OSError, imaplib.IMAP4.error, OutreachError):
                return fallback
        return self.made

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        if self.client.exception() is None:
            try:
                self.client.result().logout()
            except Exception:  # gone already: nothing left to close
                with suppress(Exception):
                    self.client.result().shutdown()


class _NoSecondConnection(Exception):
    """The second connection could not be made after a batch's reports were handed to it."""


class _Bodies:
    """Delivery reports' parts fetched on a second connection, on a thread of their own, while
    the first connection streams the next batches' headers: the first command that opens a
    message's body can take the server far longer than headers do (Dovecot reads a whole
    Maildir folder's listing for it), and the two run side by side. Where the second
    connection cannot be made (a server's limit on connections), the reports are fetched on
    the first connection, between batches (see _Run.folder)."""

    def __init__(self, mailbox: Any) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.client: Any = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outreach-bodies")
        self.reader: Future[_Reader | None] = self.pool.submit(self._connect, mailbox)

    def _connect(self, mailbox: Any) -> _Reader | None:
        try:
            self.client = mailbox.another()
            return _Reader(self.client)
        except (OSError, imaplib.IMAP4.error, OutreachError):
            return None

    def open(self, folder: str) -> None:
        """Open the folder, once the first connection has opened it: Dovecot takes a
        folder's lock to open it, and two at once wait for each other."""
        self.pool.submit(self._open, folder)

    def _open(self, folder: str) -> None:
        reader = self.reader.result()
        if reader is not None:
            try:
                reader.examine(folder)
            except (OSError, imaplib.IMAP4.error, OutreachError):
                self.reader = _done_reader(None)

    def reports(self, uids: Sequence[int]) -> Future[dict[int, Report]]:
        return self.pool.submit(self._reports, list(uids))

    def _reports(self, uids: list[int]) -> dict[int, Report]:
        reader = self.reader.result()
        if reader is None:  # no second connection: the first one is free between batches
            raise _NoSecondConnection()
        return reader.reports(uids)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        client, self.client = self.client, None  # closed once, however often asked
        if client is not None:
            try:
                client.logout()
            except Exception:  # gone already: nothing left to close
                with suppress(Exception):
                    client.shutdown()


def _moment(fields: Fields, prefix: bytes) -> datetime:
    """When a message was written: its Date, else when it arrived (its INTERNALDATE, asked for
    after its batch)."""
    moment = sent_at(fields, None)
    if moment is None:
        moment = _arrived(prefix) or datetime.now(UTC).replace(microsecond=0)
    return moment


def _words(data: object) -> str:
    if isinstance(data, list) and data and isinstance(data[0], bytes):
        return data[0].decode("utf-8", "replace")
    return str(data)
