"""A send run: the approved drafts, each sent at most once, every outcome in the journal.

The journal records an attempt once the server has accepted sender and
recipient, right before the message goes, and the outcome after. A run that
dies between the two leaves the attempt open: that draft is `unknown` and is
never resent unless the person asks (`--retry-unknown`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from outreach.delivery.mail import AttachmentRefused, Outgoing, outgoing
from outreach.delivery.transport import Dropped, Refused, Session, Stalled, Unanswered
from outreach.drafts.draft import Draft, draft_from_bytes, list_drafts, sent_name, set_status
from outreach.journal.database import Entry, Journal, now
from outreach.support import durations
from outreach.support.errors import Busy, DiskFull, OutreachError, Problem, SendError
from outreach.support.files import atomic_write, private_folder, private_opener
from outreach.workspace.folder import Workspace
from outreach.workspace.settings import Settings, load_settings

if TYPE_CHECKING:
    from outreach.delivery.credentials import Password

TRIES = 4


def retry_delay() -> float:
    """The first back-off delay in seconds; it doubles with each try."""
    return float(os.environ.get("OUTREACH_RETRY_DELAY", "2"))


@contextlib.contextmanager
def send_lock(workspace: Workspace) -> Iterator[None]:
    """One send per workspace at a time; the kernel drops the lock when a process dies."""
    private_folder(workspace.state_dir)
    with open(workspace.lock_file, "a", opener=private_opener) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(
                "another 'outreach send' is running in this workspace; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# What became of a draft a run took up: `left` is not sent, and may go in a later run.
SendResult = Literal["sent", "failed", "unknown", "left"]
SEND_RESULTS: tuple[SendResult, ...] = get_args(SendResult)


@dataclass
class Outcome:
    draft: Draft
    result: SendResult
    detail: str = ""
    server_down: bool = False  # left because the server could not be reached: stop the run
    notice: bool = False  # left because the person changed it meanwhile: a warning, no error
    refused: bool = False  # left because an attachment cannot go: one error, in the report


@dataclass(frozen=True)
class Queue:
    """What a run will send, and what it holds back and why."""

    ready: list[Draft]
    retrying: frozenset[str] = frozenset()  # ids of `unknown` drafts sent again
    unknown: list[Draft] = field(default_factory=list)
    broken: list[Draft] = field(default_factory=list)  # no longer parse; may have been approved
    broken_unapproved: list[Draft] = field(default_factory=list)  # no longer parse; not approved
    pushed: list[Draft] = field(
        default_factory=list
    )  # in the account's Drafts: not without --force
    filed: list[Path] = field(default_factory=list)  # sent earlier, filed now
    kept: list[tuple[Draft, Path]] = field(default_factory=list)  # changed after they went
    over_day: int = 0  # approved drafts left for the rolling per_day limit
    over_limit: int = 0  # approved drafts left by --limit
    next_slot: datetime | None = None


@dataclass
class _Sorted:
    """The drafts in drafts/, sorted by what a run does with each."""

    ready: list[Draft] = field(default_factory=list)  # approved, or unknown and retried
    retrying: set[str] = field(default_factory=set)
    unknown: list[Draft] = field(default_factory=list)
    broken: list[Draft] = field(default_factory=list)
    broken_unapproved: list[Draft] = field(default_factory=list)
    left_behind: list[Draft] = field(default_factory=list)  # sent, the run died before filing
    pushed: list[Draft] = field(default_factory=list)  # held back: pushed, and no --force


def prepare(
    workspace: Workspace,
    journal: Journal,
    *,
    limit: int | None,
    retry_unknown: bool,
    force: bool = False,
) -> Queue:
    """Settle what earlier runs left, then choose the approved drafts this run may send
    (`force`: the pushed ones too, which the person may have sent from their mail program)."""
    _put_back_set_aside(workspace)
    journal.summarise_sent()  # a run cut off before it could
    found = _sort_drafts(workspace, journal, retry_unknown, force)
    filed: list[Path] = []
    kept: list[tuple[Draft, Path]] = []
    if found.left_behind:
        filed, kept = file_left_behind(workspace, found.left_behind, date.today())
    allowed = len(found.ready)
    over_day, next_slot = 0, None
    per_day = workspace.settings.limits.per_day
    if per_day:
        day_ago = now() - timedelta(days=1)
        room = max(0, per_day - journal.sent_since(day_ago))
        if room < allowed:
            over_day = allowed - room
            oldest = journal.oldest_sent_since(day_ago)
            next_slot = (oldest + timedelta(days=1)) if oldest else None
            allowed = room
    over_limit = 0
    if limit is not None and limit < allowed:
        over_limit = allowed - limit
        allowed = limit
    return Queue(
        ready=found.ready[:allowed],
        retrying=frozenset(found.retrying),
        unknown=found.unknown,
        broken=found.broken,
        broken_unapproved=found.broken_unapproved,
        pushed=found.pushed,
        filed=filed,
        kept=kept,
        over_day=over_day,
        over_limit=over_limit,
        next_slot=next_slot,
    )


def _sort_drafts(
    workspace: Workspace, journal: Journal, retry_unknown: bool, force: bool = False
) -> _Sorted:
    cut_off = journal.unfinished()
    sent_ids = journal.sent_ids()
    found = _Sorted()
    for draft in list_drafts(workspace.drafts_dir):
        if draft.broken:
            # Only a status line that says the draft was not approved clears it: one that says
            # approved, or unknown, or is missing or wrong, may belong to a message meant to go.
            if draft.get("status") in ("draft", "failed"):
                found.broken_unapproved.append(draft)
            else:
                found.broken.append(draft)
        elif draft.message_id in sent_ids:  # sent, but the run died before filing it
            found.left_behind.append(draft)
        elif draft.message_id in cut_off:
            if retry_unknown:
                found.ready.append(draft)
                found.retrying.add(draft.message_id)
            else:
                if draft.status != "unknown":
                    draft = set_status(draft, "unknown")
                found.unknown.append(draft)
        elif draft.status == "approved" or (draft.status == "pushed" and force):
            found.ready.append(draft)
        elif draft.status == "pushed":
            found.pushed.append(draft)
    return found


def file_as_sent(workspace: Workspace, drafts: Sequence[Draft], day: date) -> Filing:
    """File sent drafts as sent/YYYY-MM-DD--PERSON--TEMPLATE.md, each as it went.

    Each draft's bytes are those read right before its message went, so the file in sent/ is
    byte for byte the text that went, whatever the drafts folder holds by now. A draft still
    those bytes is moved into sent/ (renamed aside first and compared there, so that a draft
    saved under its name meanwhile is never the one moved); otherwise the bytes that went are
    written into sent/ (0600), and a draft changed after its message went stays in drafts/.
    """
    filer = Filer(workspace, day)
    for draft in drafts:
        filer.file(draft)
    return Filing(filer.filed, filer.kept)


@dataclass(frozen=True)
class Filing:
    filed: list[Path]  # in sent/
    kept: list[tuple[Draft, Path]]  # drafts changed after their message went, and its file


@dataclass
class Filer:
    """Files sent drafts one at a time, as file_as_sent says; sent/ is read once."""

    workspace: Workspace
    day: date
    filed: list[Path] = field(default_factory=list)
    kept: list[tuple[Draft, Path]] = field(default_factory=list)
    _taken: set[str] | None = None  # the names in sent/, once read

    def file(self, draft: Draft) -> None:
        workspace = self.workspace
        if self._taken is None:
            private_folder(workspace.sent_dir)
            self._taken = {entry.name for entry in os.scandir(workspace.sent_dir)}
        name = sent_name(self.day, draft, self._taken)
        self._taken.add(name)
        target = workspace.sent_dir / name
        went = _as_filed(draft.data)
        aside = _set_aside(draft.path)
        now = _read(aside) if aside is not None else None
        if aside is not None and now == went:
            os.rename(aside, target)  # the same bytes: a move creates no file
            if os.stat(target).st_mode & 0o077:  # a draft made by hand, readable by others
                os.chmod(target, 0o600)
        else:
            atomic_write(target, went)
            if aside is not None and now == draft.data:
                os.unlink(aside)
            elif aside is not None:
                _put_back(workspace, aside, draft.path)
                self.kept.append((draft, target))
        self.filed.append(target)


def file_left_behind(
    workspace: Workspace, drafts: Sequence[Draft], day: date
) -> tuple[list[Path], list[tuple[Draft, Path]]]:
    """File drafts the journal says were sent by a run that died before filing them.

    The text that went is not known any more: the draft is filed as it is, unless sent/ holds
    its message already (the run died after filing it, before taking it out of drafts/):
    then the draft leaves drafts/ if it is the same text, and is kept and named if not.
    """
    private_folder(workspace.sent_dir)
    unfiled: list[Draft] = []
    kept: list[tuple[Draft, Path]] = []
    for draft in drafts:
        filed = _filed_already(workspace, draft)
        if filed is None:
            unfiled.append(draft)
        elif not _remove_if_unchanged(workspace, draft.path, filed.read_bytes()):
            kept.append((draft, filed))
    filing = file_as_sent(workspace, unfiled, day) if unfiled else Filing([], [])
    return filing.filed, kept + filing.kept


def _filed_already(workspace: Workspace, draft: Draft) -> Path | None:
    """The file in sent/ that holds this draft's message, if there is one (by its id)."""
    line = f"message_id: {draft.message_id}".encode()
    with os.scandir(workspace.sent_dir) as entries:
        names = [entry.path for entry in entries]
    for path in names:
        if f"--{draft.person}--{draft.template}" in os.path.basename(path):
            with contextlib.suppress(OSError):
                if re.search(rb"(?m)^" + re.escape(line) + rb"[ \t]*$", _read(path)):
                    return Path(path)
    return None


def _read(path: str | Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _as_filed(data: bytes) -> bytes:
    """A draft resent by --retry-unknown, or pushed and sent by --force, went as approved: its
    filed copy says so."""
    return re.sub(
        rb"(?m)^status:[ \t]*(?:unknown|pushed)[ \t]*$", b"status: approved", data, count=1
    )


_SET_ASIDE = ".filing"


def _remove_if_unchanged(workspace: Workspace, path: Path, data: bytes) -> bool:
    """Take a sent draft out of drafts/ if its file is still `data`; True if it is gone."""
    aside = _set_aside(path)
    if aside is None:  # deleted by hand meanwhile
        return True
    if _read(aside) == data:
        os.unlink(aside)
        return True
    _put_back(workspace, aside, path)
    return False


def _set_aside(path: Path) -> Path | None:
    """The draft renamed to a hidden name beside it (None if it is gone): what is there now
    is what is compared, moved or put back, never a draft saved under its name meanwhile."""
    aside = path.with_name(f".{path.name}.{os.getpid()}{_SET_ASIDE}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return None
    return aside


def _put_back(workspace: Workspace, aside: Path, path: Path) -> None:
    """Back to its name, unless a newer draft took it: then into drafts/.deleted/."""
    try:
        os.link(aside, path)
    except FileExistsError:
        from outreach.drafts.outbox import deleted_dir

        folder = deleted_dir(workspace)
        private_folder(folder)
        target, number = folder / path.name, 2
        while target.exists():
            target, number = folder / f"{path.stem}--{number}.md", number + 1
        os.rename(aside, target)
        return
    os.unlink(aside)


def _put_back_set_aside(workspace: Workspace) -> None:
    """Drafts a killed run left set aside while filing: back where they were."""
    try:
        with os.scandir(workspace.drafts_dir) as entries:
            names = [entry.name for entry in entries]
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(".") and name.endswith(_SET_ASIDE):
            original = name[1:].rsplit(".", 2)[0]
            _put_back(workspace, workspace.drafts_dir / name, workspace.drafts_dir / original)


def sent_entry(draft: Draft, moment: datetime | None = None, via: str = "outreach") -> Entry:
    """The `sent` entry of a draft that went: now, by outreach, unless `moment` and `via` say
    otherwise (a pushed draft that sync finds in Sent went from the mail program)."""
    moment = moment or now()
    follow_up = draft.get("follow_up_after")
    return Entry(
        person=draft.person,
        kind="sent",
        at=moment,
        day=moment.astimezone().date(),
        subject=draft.get("subject"),
        message_id=draft.message_id,
        template=draft.template,
        template_kind=draft.get("kind"),
        follow_up_after=durations.parse_days(follow_up) if follow_up else None,
        via=via,
    )


class Sender:
    """Sends a queue over one logged-in session, keeping per_minute and retrying what is safe."""

    def __init__(
        self,
        workspace: Workspace,
        journal: Journal,
        session: Session,
        report: Callable[[Outcome], None],
        retrying: frozenset[str] = frozenset(),
        sleep: Callable[[float], None] = time.sleep,
        *,
        notify: Callable[[str], None],
        force: bool = False,
    ) -> None:
        self.force = force  # pushed drafts go too (send --force)
        self.retrying = retrying  # message ids of `unknown` drafts the person chose to resend
        self.notify = notify  # says what each retry waits for: no wait is silent
        self.workspace = workspace
        self.settings: Settings = workspace.settings
        self.journal = journal
        self.session = session
        self.report = report
        self.sleep = sleep
        # Work that need not wait is done while the server weighs a command: the next
        # message is built while it weighs the last one, and the last one's `sent` entry
        # is written while it checks the next one's sender, and the draft is filed under
        # sent/ while it checks the next one's recipient.
        self._prepared: dict[str, Outgoing] = {}
        self._accepted: Draft | None = None  # sent; its `sent` entry not yet written
        self._unfiled: list[Draft] = []  # each with the bytes that went
        self._filer: Filer | None = None
        self._filing_failed = False  # the rest wait for the end of the run, which says why
        self._sent_ids: set[str] = set()  # message ids this run sent
        self.outcomes: list[Outcome] = []
        self.kept: list[tuple[Draft, Path]] = []  # changed after they went: left in drafts/
        per_minute = self.settings.limits.per_minute
        self.interval = 60.0 / per_minute if per_minute else 0.0

    def run(self, drafts: Sequence[Draft]) -> list[Outcome]:
        """Send the drafts in turn; every outcome so far is in `outcomes`, also when the run
        stops with an error (a full disk, a refused sender, a silent server)."""
        outcomes = self.outcomes
        interval = self.interval
        last_start: float | None = None
        with _cycle_collector_paused():
            try:
                for number, draft in enumerate(drafts):
                    if interval and last_start is not None:
                        self.sleep(max(0.0, last_start + interval - time.monotonic()))
                    last_start = time.monotonic()
                    following = drafts[number + 1] if number + 1 < len(drafts) else None
                    outcome = self._send_one(draft, following)
                    outcomes.append(outcome)
                    self.report(outcome)
                    if outcome.server_down:
                        break
                    if interval:
                        self._record_accepted()
            except BaseException:
                self._finish()  # the error that stopped the run is the one to report
                raise
            self._finish(raising=True)
        return outcomes

    def _finish(self, raising: bool = False) -> None:
        """Record, close and file what the run did; with `raising`, a full disk here is
        raised once everything else is done."""
        problem: OutreachError | None = None
        try:
            self._record_accepted()
        except OutreachError as error:
            problem = error
        self.session.close()
        try:  # the `sent` entries into the journal's summaries, all at once
            self.journal.summarise_sent()
        except OutreachError as error:
            problem = problem or error
        try:
            self._file_sent()
        except OutreachError as error:
            problem = problem or error
        if raising and problem is not None:
            raise problem

    def _record_accepted(self) -> None:
        """Write the `sent` entry of the message the server accepted last, if not yet done."""
        draft, self._accepted = self._accepted, None
        if draft is None:
            return
        try:
            self.journal.record_sent(sent_entry(draft))
        except DiskFull as full:
            raise DiskFull(
                *full.problems,
                Problem(
                    f"drafts/{draft.name}",
                    "its message went (the server accepted it), but the journal could not "
                    "record it: the next send shows it as unknown; it arrived, so delete the "
                    "draft rather than send it again",
                ),
            ) from None
        self._unfiled.append(draft)

    def _message(self, draft: Draft) -> Outgoing:
        prepared = self._prepared.pop(draft.message_id, None)
        return prepared or self._build(draft)

    def _build(self, draft: Draft) -> Outgoing:
        """The message as it goes, its attachments read now (AttachmentRefused if they cannot)."""
        return outgoing(
            draft, self.settings.me, self.workspace.root, self.settings.limits.max_message_mb
        )

    def _meanwhile(self, following: Draft | None) -> None:
        # With a per_minute pause the next message is built after it, so that its Date
        # says when it went.
        if self.interval:
            return
        if following is not None and following.message_id not in self._prepared:
            with contextlib.suppress(OutreachError):  # raised again when its turn comes
                self._prepared[following.message_id] = self._message(following)

    def _file_sent(self) -> None:
        """File every draft whose message went and whose `sent` entry is written."""
        if self._filer is None:
            self._filer = Filer(self.workspace, date.today())
        while self._unfiled:
            self._filer.file(self._unfiled[0])
            del self._unfiled[0]
        self.kept = self._filer.kept

    def _file_meanwhile(self) -> None:
        """While the server checks a recipient; a problem waits for the end of the run."""
        if self._unfiled and not self._filing_failed:
            try:
                self._file_sent()
            except (OutreachError, OSError):
                self._filing_failed = True

    def _as_it_is_now(self, draft: Draft) -> Draft | Outcome:
        """The draft read again right before its message goes: one read, and a parse only
        where the file changed since the run read it. A changed draft goes as it is now if it
        is still approved and sound; otherwise it is left, with a notice."""
        try:
            data = draft.path.read_bytes()
        except FileNotFoundError:
            return Outcome(draft, "left", "deleted since this run read it; not sent", notice=True)
        except OSError as error:
            return Outcome(draft, "left", f"cannot be read ({error.strerror}); not sent")
        if data == draft.data:
            return draft
        self._prepared.pop(draft.message_id, None)
        now_draft = draft_from_bytes(draft.path, data)
        changed = "changed since this run read it"
        if now_draft.broken:
            return Outcome(draft, "left", f"{changed}, and no longer parses: {now_draft.broken}")
        retrying = draft.message_id in self.retrying
        if now_draft.message_id != draft.message_id and self._used(now_draft.message_id):
            return Outcome(
                draft, "left", f"{changed}, and its message_id is one sent already; not sent"
            )
        allowed: tuple[str, ...] = ("approved", "unknown") if retrying else ("approved",)
        if self.force:
            allowed += ("pushed",)
        if now_draft.status not in allowed:
            return Outcome(
                now_draft,
                "left",
                f"{changed} and is no longer approved (status: {now_draft.status}); not sent",
                notice=True,
            )
        return now_draft

    def _used(self, message_id: str) -> bool:
        """Whether a message under this id went, or may have (an attempt without outcome)."""
        if message_id in self._sent_ids:
            return True
        attempt = self.journal.attempt(message_id)
        return attempt is not None and attempt.outcome in (None, "sent")

    def _send_one(self, draft: Draft, following: Draft | None) -> Outcome:
        me = self.settings.me
        current = self._as_it_is_now(draft)
        if isinstance(current, Outcome):
            return current
        draft = current
        try:
            message = self._message(draft)
        except AttachmentRefused as refusal:
            return self._refused(draft, refusal)
        if message.smtputf8 and not self._offers_smtputf8():
            return self._not_offered(draft, message)
        delay = retry_delay()
        last_problem = ""
        server_down = False
        for attempt in range(TRIES):
            if attempt:
                self.notify(
                    f"drafts/{draft.name}: {last_problem}; trying again in {delay:g} s "
                    f"(try {attempt + 1} of {TRIES})"
                )
                self.sleep(delay)
                delay *= 2
                current = self._as_it_is_now(draft)
                if isinstance(current, Outcome):
                    return current
                draft = current
                try:
                    message = self._build(draft)  # its Date: when it goes
                except AttachmentRefused as refusal:
                    return self._refused(draft, refusal)
            server_down = False
            try:
                try:
                    self.session.send(
                        message.sender,
                        message.recipient,
                        message.data,
                        while_checking_sender=self._record_accepted,
                        while_checking_recipient=self._file_meanwhile,
                        before_data=functools.partial(
                            self.journal.begin_attempt, draft.message_id, draft.person, draft.name
                        ),
                        while_waiting=lambda: self._meanwhile(following),
                        smtputf8=message.smtputf8,
                    )
                finally:
                    self._record_accepted()  # where the sender never went
            except Refused as refusal:
                if refusal.stage == "message":
                    self._known_not_sent(draft)
                if refusal.stage == "sender" and not refusal.temporary:
                    raise SendError(
                        f"{self.settings.smtp.host} refused the sender {me.email}: {refusal}; "
                        "nothing more was sent"
                    ) from None
                if refusal.temporary:
                    last_problem = f"temporarily refused: {refusal}"
                    continue
                self.journal.record_failed(draft.message_id, str(refusal))
                failed = set_status(draft, "failed", error=f"{refusal.stage} refused: {refusal}")
                return Outcome(failed, "failed", f"{refusal.stage} refused: {refusal}")
            except Dropped as drop:
                self._known_not_sent(draft)
                last_problem = f"connection lost before the message went: {drop}"
                server_down = True
                continue
            except Stalled as stall:
                self._known_not_sent(draft)
                raise SendError(
                    f"{stall}; the run stops (a server that stopped answering is not waited "
                    "for again), and the rest stay approved"
                ) from None
            except Unanswered as silence:
                unknown = set_status(draft, "unknown")
                if silence.silent:
                    return Outcome(
                        unknown,
                        "unknown",
                        f"{silence}, after the message was sent; it may or may not have "
                        "arrived; the run stops (a server that stopped answering is not "
                        "waited for again), and the rest stay approved",
                        server_down=True,
                    )
                return Outcome(
                    unknown,
                    "unknown",
                    f"the connection dropped after the message was sent ({silence}); "
                    "it may or may not have arrived",
                )
            self._accepted = draft
            self._sent_ids.add(draft.message_id)
            return Outcome(draft, "sent")
        return Outcome(
            draft,
            "left",
            f"{last_problem}; still approved for the next run",
            server_down=server_down,
        )

    @staticmethod
    def _refused(draft: Draft, refusal: AttachmentRefused) -> Outcome:
        """An attachment that cannot go right before sending: the draft stays approved."""
        reasons = "; ".join(problem.message for problem in refusal.problems)
        return Outcome(draft, "left", f"{reasons}; not sent, still approved", refused=True)

    def _offers_smtputf8(self) -> bool:
        try:
            return self.session.offers_smtputf8()
        except Dropped:
            return True  # unknown until the server is back; sending finds out and retries

    def _not_offered(self, draft: Draft, message: Outgoing) -> Outcome:
        """An address beyond ASCII and a server without SMTPUTF8: this message cannot go."""
        me = self.settings.me
        if not message.sender.isascii():
            raise SendError(
                f"{self.settings.smtp.host} does not take addresses with letters beyond ASCII "
                f"(it offers no SMTPUTF8), and {me.email} is one; nothing was sent"
            )
        detail = (
            f"{self.settings.smtp.host} does not take addresses with letters beyond ASCII "
            "(it offers no SMTPUTF8), which this message needs"
        )
        failed = set_status(draft, "failed", error=detail)
        return Outcome(failed, "failed", detail)

    def _known_not_sent(self, draft: Draft) -> None:
        # A resent `unknown` draft stays unknown: its first attempt may still have arrived.
        if draft.message_id not in self.retrying:
            self.journal.forget_attempt(draft.message_id)


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """No cycle collection while messages go: a send run makes no reference cycles (none
    were found after 500 messages), so the collector would only walk each message's
    young objects again and again, a few percent of the run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_sendable(workspace: Workspace) -> None:
    """send refuses to start while outreach.toml holds what plain `init` left to fill in."""
    load_settings(workspace.settings_file, to_send=True)


def open_session(
    workspace: Workspace, password: Password | None, notify: Callable[[str], None]
) -> Session:
    """Log in once for the whole run; `notify` says what each retry waits for."""
    smtp = workspace.settings.smtp
    if not smtp.host:
        raise OutreachError(Problem("outreach.toml", "smtp.host is not set: nowhere to send"))
    if smtp.security == "none" and smtp.user and not smtp.is_loopback:
        raise SendError(
            Problem(
                "outreach.toml",
                "smtp.security is none: the password would cross the network in clear text; "
                "use ssl or starttls (none is allowed only for a server on this machine)",
            )
        )
    if password is None:  # no login: what a refused one would need is not even loaded
        session = Session(smtp, None, notify=notify)
    else:
        from outreach.delivery.credentials import login_hint

        session = Session(
            smtp,
            password.value,
            login_hint=login_hint(password.where, smtp),
            xoauth2=password.xoauth2,
            current=password.current,
            renew=password.renew,
            notify=notify,
        )
    delay = retry_delay()
    for attempt in range(TRIES):
        try:
            session.connect()
            return session
        except Dropped as error:
            if attempt == TRIES - 1:
                raise SendError(f"{error}; nothing was sent") from None
            notify(f"{error}; trying again in {delay:g} s (try {attempt + 2} of {TRIES})")
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
