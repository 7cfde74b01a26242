"""`drafts push`: approved drafts put into the account's Drafts folder, to send from elsewhere.

Each draft's message (built as `send` builds it) is appended with `\\Draft` (without it Outlook
shows it as sent mail) and `\\Seen`; its UID (from APPENDUID, else found by its Message-ID) is
written into the draft with the status `pushed`. Pushing again appends the new copy first, then
deletes the old ones by UID: the remembered one, and any other copy of the same Message-ID in
the folder (one a push cut off before it could mark its draft left behind), so the account never
fills with copies. A draft is marked only once its copy is in the folder: cut off, each draft is
pushed and marked, or still as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from outreach.delivery.mail import build_message, message_bytes
from outreach.drafts.draft import Draft, read_draft, save, with_headers
from outreach.mailbox.connection import Mailbox
from outreach.support.errors import DraftError, MailboxError, Problem
from outreach.workspace.folder import Workspace
from outreach.workspace.settings import Me

PUSHABLE = ("approved", "pushed")
FLAGS = ("\\Draft", "\\Seen")
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)


@dataclass(frozen=True)
class Pushed:
    draft: Draft  # as marked: status pushed, its folder and UID
    folder: str
    uid: int
    replaced: int  # older copies deleted


def choose(drafts: Sequence[Draft], *, named: bool) -> list[Draft]:
    """What a push takes: named drafts must each be approved (or pushed, to push again), and
    all are refused if one is not; `--all` takes the approved ones."""
    if not named:
        return [d for d in drafts if not d.broken and d.status == "approved"]
    problems = [
        Problem(
            f"drafts/{d.name}",
            d.broken
            or f"is {d.status}, not approved: approve it first (outreach approve {d.person})",
        )
        for d in drafts
        if d.broken or d.status not in PUSHABLE
    ]
    if problems:
        raise DraftError(*problems)
    return list(drafts)


def uid_of(draft: Draft) -> tuple[int, int] | None:
    """The (UIDVALIDITY, UID) of the draft's copy in the account, where it was pushed."""
    validity, _, uid = draft.get("pushed_uid").partition(":")
    if validity.isdigit() and uid.isdigit():
        return int(validity), int(uid)
    return None


def push(
    mailbox: Mailbox,
    drafts: Sequence[Draft],
    me: Me,
    on_pushed: Callable[[Pushed], None] | None = None,
) -> list[Pushed]:
    """Push each draft in turn into the Drafts folder; each marked as soon as it is there."""
    folder = mailbox.drafts_folder()
    client = mailbox.client
    selected = client.select_folder(folder)
    validity = int(selected[b"UIDVALIDITY"])
    done = []
    for draft in drafts:
        pushed = _push_one(mailbox, folder, validity, draft, me)
        done.append(pushed)
        if on_pushed is not None:
            on_pushed(pushed)
    return done


def _copies(client: object, message_id: str) -> set[int]:
    """The UIDs of the messages in the selected folder with this Message-ID."""
    found = client.search(["HEADER", "Message-ID", message_id])  # type: ignore[attr-defined]
    return {int(uid) for uid in found}


def _push_one(mailbox: Mailbox, folder: str, validity: int, draft: Draft, me: Me) -> Pushed:
    client = mailbox.client
    now = read_draft(draft.path)  # as the file is now: an edit since it was chosen goes too
    if now.broken or now.message_id != draft.message_id or now.status not in PUSHABLE:
        raise DraftError(
            Problem(f"drafts/{draft.name}", "changed while it was pushed; push it again")
        )
    data = message_bytes(build_message(now, me))
    earlier = _copies(client, now.message_id)
    remembered = uid_of(now)
    if remembered is not None and remembered[0] == validity:
        earlier.add(remembered[1])
    answer = client.append(folder, data, flags=FLAGS, msg_time=datetime.now().astimezone())
    uid = _appended_uid(answer, validity)
    if uid is None:  # no UIDPLUS: the new copy is the one of this id that was not there before
        fresh = _copies(client, now.message_id) - earlier
        if not fresh:
            raise MailboxError(
                f"{mailbox.where}: the copy of drafts/{draft.name} cannot be found in {folder} "
                "after it was appended; the draft stays as it was"
            )
        uid = max(fresh)
    earlier.discard(uid)
    marked = save(
        with_headers(now, status="pushed", pushed_folder=folder, pushed_uid=f"{validity}:{uid}")
    )
    replaced = _delete(mailbox, earlier)
    return Pushed(marked, folder, uid, replaced)


def _appended_uid(answer: bytes | str, validity: int) -> int | None:
    text = answer if isinstance(answer, bytes) else answer.encode()
    match = _APPENDUID.search(text)
    if match is None or int(match.group(1)) != validity:
        return None
    return int(match.group(2))


def _delete(mailbox: Mailbox, uids: set[int]) -> int:
    """Delete these messages of the selected folder by UID: UID EXPUNGE where the server has
    UIDPLUS; elsewhere they are only marked deleted (a plain EXPUNGE would also remove
    whatever else the person marked so), which mail programs hide."""
    if not uids:
        return 0
    listed = mailbox.client.search(["UID", ",".join(str(uid) for uid in sorted(uids))])
    present = sorted(uids & {int(uid) for uid in listed})
    if not present:
        return 0
    mailbox.client.add_flags(present, ["\\Deleted"], silent=True)
    if mailbox.has("UIDPLUS"):
        mailbox.client.uid_expunge(present)
    return len(present)


def push_drafts(
    workspace: Workspace,
    names: Sequence[str],
    *,
    prompt: Callable[[str], str] | None,
    on_pushed: Callable[[Pushed], None] | None = None,
) -> list[Pushed]:
    """`drafts push`: the named drafts (all the approved ones where none is named), pushed
    into the account that `[imap]` names."""
    from outreach.drafts.draft import list_drafts
    from outreach.drafts.outbox import find_drafts
    from outreach.mailbox.connection import connect

    settings = workspace.settings
    if settings.imap is None:
        raise MailboxError(
            Problem(
                "outreach.toml",
                "there is no [imap] section: add one to push drafts into your mail account "
                "(see the README: The mail account)",
            )
        )
    drafts = find_drafts(workspace, names) if names else list_drafts(workspace.drafts_dir)
    chosen = choose(drafts, named=bool(names))
    if not chosen:
        return []
    with connect(settings.imap, prompt=prompt) as mailbox:
        return push(mailbox, chosen, settings.me, on_pushed)
