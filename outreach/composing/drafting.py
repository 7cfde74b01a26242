"""Drafting: choose the people, render a template for each, write the drafts, all or nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from outreach.composing.context import Shared, own_arguments, render_for, shared_context
from outreach.composing.drafted import Entry, Record, inputs_key, read_record, shared_key
from outreach.composing.loading import Loaded, load_for_drafting, load_renderer
from outreach.composing.threads import Thread, earlier_messages
from outreach.drafts.attachments import check_all, estimated_size, format_list, size_problem
from outreach.drafts.draft import draft_file_name, format_address, front_fields, render_draft
from outreach.keeping.readers import (
    bounce_warnings,
    follow_up_warnings,
    giving_warnings,
    journal_summaries,
    plan_from,
)
from outreach.keeping.rules import due_items
from outreach.people.contact import Contact
from outreach.people.lookup import find_person
from outreach.support.errors import (
    DraftError,
    OutreachError,
    Problem,
    TemplateError,
    at,
    raise_if_errors,
)
from outreach.support.files import AllOrNothing
from outreach.workspace.folder import Workspace
from outreach.workspace.goal import Goal, load_goal, require_clear
from outreach.workspace.settings import Settings
from outreach.workspace.templates import Template, list_templates

if TYPE_CHECKING:  # renderer.py imports Jinja: only where something is rendered
    from outreach.composing.coach import Coaching, Known
    from outreach.composing.renderer import Rendered, Renderer
    from outreach.journal.database import Journal

    Coach = Callable[[Mapping[str, str], str], Coaching | None]  # a draft's headers, body


@dataclass(frozen=True)
class Audience:
    """Whom a draft command names: people, tags, everyone, the plan's people, the due ones."""

    names: Sequence[str] = ()
    tags: Sequence[str] = ()
    everyone: bool = False
    plan: bool = False
    due: bool = False


@dataclass(frozen=True)
class Selection:
    people: tuple[Contact, ...]
    notices: tuple[str, ...] = ()  # batch members left out, and why
    warnings: tuple[str, ...] = ()
    named: frozenset[str] = frozenset()  # ids of the people named on the command line
    plan: tuple[tuple[str, str], ...] = ()  # with --plan: each person proposed, and why


@dataclass(frozen=True)
class DraftResult:
    written: tuple[Path, ...]
    notices: tuple[str, ...]
    warnings: tuple[str, ...]
    unchanged: tuple[str, ...] = ()  # the names of those --replace found as they would be
    plan: tuple[tuple[str, str], ...] = ()  # with --plan: each person proposed, and why
    coaching: tuple[Coaching, ...] = ()  # the coach's, one for each draft written


def select_people(
    contacts: Sequence[Contact],
    *,
    names: Sequence[str] = (),
    tags: Sequence[str] = (),
    everyone: bool = False,
    batch: Sequence[Contact] = (),
) -> Selection:
    """Named people (an error without email, a warning with doubts) and batch members
    (skipped without email, left out with doubts)."""
    chosen: dict[str, Contact] = {}
    notices: list[str] = []
    warnings: list[str] = []
    problems: list[Problem] = []
    for name in names:
        try:
            person = find_person(contacts, name)
        except OutreachError as error:
            problems.extend(error.problems)
            continue
        if not person.email:
            problems.append(Problem(person.label, "has no email in contacts.yaml"))
            continue
        if person.doubts:
            warnings.append(
                f"{person.label} is marked 'doubts: true'; drafting because you named them"
            )
        chosen[person.id] = person
    problems.extend(_unused_tags(contacts, tags))
    raise_if_errors(problems)
    members = list(batch)
    if everyone:
        members.extend(contacts)
    if tags:
        members.extend(c for c in contacts if set(tags) & set(c.tags))
    named = frozenset(chosen)
    for person in members:
        if person.id in chosen:
            continue
        if person.doubts:
            notices.append(f"left out {person.label}: marked 'doubts: true'")
        elif not person.email:
            notices.append(f"skipped {person.label}: no email in contacts.yaml")
        else:
            chosen[person.id] = person
    return Selection(tuple(chosen.values()), tuple(sorted(set(notices))), tuple(warnings), named)


def _unused_tags(contacts: Sequence[Contact], tags: Sequence[str]) -> list[Problem]:
    """A --tag that nobody has is a typo or a forgotten tag: an error naming the tags in use."""
    in_use = sorted({tag for person in contacts for tag in person.tags})
    listed = f"the tags in use: {', '.join(in_use)}" if in_use else "nobody has a tag yet"
    return [
        Problem(f"--tag {tag}", f"nobody in contacts.yaml has this tag ({listed})")
        for tag in dict.fromkeys(tags)
        if tag not in in_use
    ]


def batch_for(
    workspace: Workspace,
    journal: Journal | None,
    contacts: Sequence[Contact],
    template: Template,
    *,
    plan: bool,
    due: bool,
    as_of: date,
) -> tuple[list[Contact], list[tuple[str, str]]]:
    """The people `draft --plan` or `draft --due` means for this template, and with --plan
    the plan's reason for each."""
    chosen: list[Contact] = []
    reasons: list[tuple[str, str]] = []
    if plan:
        if template.kind != "request":
            raise OutreachError(f"--plan drafts requests; '{template.name}' is a {template.kind}")
        proposals = plan_from(workspace, journal, as_of).proposals
        chosen.extend(p.person for p in proposals)
        reasons.extend((p.person.label, p.reason) for p in proposals)
    if due:
        if template.kind == "request":
            raise OutreachError(
                "a request is never due: use --plan, or a follow-up, check-in or thank-you template"
            )
        summaries = journal_summaries(journal, as_of)
        chosen.extend(
            item.person
            for item in due_items(contacts, summaries, as_of, until=as_of)
            if item.reason == template.kind
        )
    return chosen, reasons


def goal_for(workspace: Workspace, template: Template) -> tuple[Goal, list[str]]:
    """The goal, and for a request its warnings (vague wording, no offer ...): a request is
    refused while the goal has errors, and drafted with its warnings shown."""
    goal, problems = load_goal(workspace.goal_file)
    if template.kind != "request":
        return goal, []
    require_clear(goal, problems)
    return goal, [str(problem) for problem in problems if not problem.is_error]


def draft_messages(
    workspace: Workspace,
    template_name: str,
    *,
    names: Sequence[str] = (),
    tags: Sequence[str] = (),
    everyone: bool = False,
    plan: bool = False,
    due: bool = False,
    note: str | None = None,
    replace: bool = False,
    today: date | None = None,
) -> DraftResult:
    """Render the template for every chosen person, then write every draft, or none."""
    from outreach.journal.database import existing_journal

    days = workspace.settings.limits.follow_up_after
    record = read_record(workspace.state_dir)
    loaded = load_for_drafting(workspace.templates_dir, template_name, days, record)
    audience = Audience(names, tags, everyone, plan, due)
    with existing_journal(workspace.journal_file) as journal:
        return draft_with(
            workspace,
            loaded,
            journal,
            audience,
            note=note,
            replace=replace,
            today=today,
            record=record,
        )


def draft_with(
    workspace: Workspace,
    loaded: Loaded,
    journal: Journal | None,
    audience: Audience,
    *,
    note: str | None = None,
    replace: bool = False,
    today: date | None = None,
    warnings: Sequence[str] = (),
    record: Record | None = None,
) -> DraftResult:
    """draft_messages with the template loaded and the journal open (None where there is
    none yet); `warnings` go first among the result's. `record`: the record of drafts, where
    it is read already."""
    template = loaded.template
    as_of = today or date.today()
    goal, goal_warnings = goal_for(workspace, template)
    selection = _select(workspace, journal, template, audience, as_of)
    warned = (
        *warnings,
        *goal_warnings,
        *selection.warnings,
        *_kind_warnings(journal, template, selection.people, goal),
        *bounce_warnings(journal, selection.people),
    )
    threads, thread_warnings = _threads(workspace, journal, template, selection.people)
    # A follow-up to someone never sent anything is warned about already ("nothing to follow").
    warned = (*warned, *(w for w in thread_warnings if not _said(w, warned)))
    shared = shared_context(
        workspace.settings, goal, journal, today=as_of, note=note, threads=threads
    )
    coach = _coached(selection.people, goal, journal, shared)
    # Drafts are written aside as they are rendered (a few hundred at a time), and all are put
    # in place at the end, or none (leaving the block removes what was written aside): the
    # rendered drafts are never all held at once.
    waiting = _file_entries(workspace.drafts_dir)
    # Into an empty drafts/, the drafts go in a new folder put in its place whole (files.py).
    with AllOrNothing(empty_folder=None if waiting else workspace.drafts_dir) as staged:
        if record is None:
            record = read_record(workspace.state_dir)
        drafts = _Drafts(list(selection.notices), staged, coach, record)
        started = _started_ids(journal)
        _render_drafts(workspace, loaded, shared, selection, replace, started, drafts, waiting)
        raise_if_errors(dict.fromkeys(drafts.problems))  # one line per problem, however many
        drafts.write_pending()
        with _not_written():
            staged.commit()
    drafts.record.save([*waiting, *(path.name for path in drafts.written)])
    return DraftResult(
        tuple(drafts.written),
        tuple(drafts.notices),
        warned,
        tuple(drafts.unchanged),
        selection.plan,
        tuple(drafts.coaching),
    )


@contextlib.contextmanager
def _not_written() -> Iterator[None]:
    """A draft that cannot be written (but for a full disk, which says so itself)."""
    try:
        yield
    except OSError as error:
        raise DraftError(f"drafts could not be written ({error}); none were changed") from None


def _threads(
    workspace: Workspace, journal: Journal | None, template: Template, people: Sequence[Contact]
) -> tuple[dict[str, Thread], list[str]]:
    """For a `thread: true` template, the message each person's draft answers; a warning for
    each person with none, whose draft starts a new conversation."""
    if not template.thread:
        return {}, []
    threads = earlier_messages(journal, workspace.sent_dir, (p.id for p in people))
    warnings = [
        f"{person.label}: no message sent to them is in the journal, so this "
        f"{template.kind} starts a new conversation (templates/{template.path.name} "
        "has thread: true)"
        for person in people
        if person.id not in threads
    ]
    return threads, warnings


def _said(warning: str, warned: Sequence[str]) -> bool:
    """Whether another warning names the person this one starts with."""
    person = warning.partition(": ")[0]
    return any(other.startswith(person) for other in warned)


def _coached(
    people: Sequence[Contact], goal: Goal, journal: Journal | None, shared: Shared
) -> Coach:
    """The coach's measure of one draft (its front matter and body) as it is rendered:
    advice only, never a reason not to write it. What it knows is gathered at the first
    draft written: a --replace that writes none does without it (and its import)."""
    known: list[Known] = []

    def coached(headers: Mapping[str, str], body: str) -> Coaching:
        from outreach.composing.coach import coach_fields, known_from

        if not known:
            notes = {
                person: str(entry["note"])
                for person, entry in shared.last.items()
                if entry.get("note")
            }
            known.append(known_from(people, goal, journal, notes))
        return coach_fields(headers, body, known[0])

    return coached


def _select(
    workspace: Workspace,
    journal: Journal | None,
    template: Template,
    audience: Audience,
    as_of: date,
) -> Selection:
    contacts = workspace.load_contacts()
    batch: list[Contact] = []
    reasons: list[tuple[str, str]] = []
    if audience.plan or audience.due:
        batch, reasons = batch_for(
            workspace,
            journal,
            contacts,
            template,
            plan=audience.plan,
            due=audience.due,
            as_of=as_of,
        )
    selection = select_people(
        contacts,
        names=audience.names,
        tags=audience.tags,
        everyone=audience.everyone,
        batch=batch,
    )
    return dataclasses.replace(selection, plan=tuple(reasons)) if audience.plan else selection


def _kind_warnings(
    journal: Journal | None, template: Template, people: Sequence[Contact], goal: Goal
) -> list[str]:
    """A request to someone owed a give; a follow-up with nothing to follow."""
    if template.kind == "request":
        return giving_warnings(journal, people, goal)
    if template.kind == "follow-up":
        return follow_up_warnings(journal, people)
    return []


@dataclass
class _Drafts:
    """What rendering a batch gives, person by person: the drafts written aside (to be put
    in place together) with the coach's measure of each, or why not."""

    notices: list[str]
    staged: AllOrNothing
    coach: Coach
    record: Record  # what each draft was made from (composing/drafted.py)
    written: list[Path] = field(default_factory=list)
    coaching: list[Coaching] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # names in drafts/
    problems: list[Problem] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)  # attachments that cannot go
    distinct: dict[Coaching, Coaching] = field(default_factory=dict)
    pending: list[tuple[Path, str, str | None, str]] = field(default_factory=list)

    def add(self, path: Path, headers: dict[str, str], body: str, key: str | None) -> None:
        """One draft, coached, and written aside with the few rendered before it. Once the
        batch cannot be written, the rest are still rendered (every problem at once) but
        neither written nor kept."""
        if self.problems or self.refused:
            self.pending.clear()
            return
        self.pending.append((path, render_draft(headers, body), key, headers["message_id"]))
        if len(self.pending) >= _WRITTEN_AT_ONCE:
            self.write_pending()
        coaching = self.coach(headers, body)
        if coaching is not None:  # the same measures for many drafts: one object for them all
            self.coaching.append(self.distinct.setdefault(coaching, coaching))

    def write_pending(self) -> None:
        with _not_written():
            for path, text, key, message_id in self.pending:
                stat = self.staged.write(path, text)
                self.written.append(path)
                self.record.keep(path.name, key, stat, message_id)
        self.pending.clear()

    def share(self, draft: Callable[[Contact], None], people: Sequence[Contact]) -> _Share:
        """In the second process (which starts with a copy of everything): these people
        drafted, and what that made alone, written aside where the batch can still be."""
        for kept in (self.written, self.coaching, self.unchanged, self.notices):
            kept.clear()
        self.record.new.clear()
        already = len(self.staged.temporaries)
        for person in people:
            draft(person)
        if not (self.problems or self.refused):
            self.write_pending()
        return _Share(
            [path.name for path in self.written],  # a Path takes ten times as long to unpickle
            self.coaching,
            self.unchanged,
            self.notices,
            self.problems,
            self.refused,
            self.record.new,
            self.staged.temporaries[already:],
        )

    def join(self, share: _Share) -> None:
        """The second process's share, after this one's, as if drafted here in that order."""
        folder = self.written[0].parent  # the first person's, written before the fork
        self.written += (folder / name for name in share.written)
        self.coaching += (self.distinct.setdefault(c, c) for c in share.coaching)
        self.unchanged += share.unchanged
        self.notices += share.notices
        self.problems += share.problems
        self.refused += share.refused
        self.record.new.update(share.record)
        self.staged.take_over(share.temporaries)


class _Share(NamedTuple):
    """What the second process made of its people (see _draft_in_two)."""

    written: list[str]  # names in drafts/
    coaching: list[Coaching]
    unchanged: list[str]
    notices: list[str]
    problems: list[Problem]
    refused: list[Problem]
    record: dict[str, Entry | None]
    temporaries: list[tuple[str, str]]


# From this many drafts into a new folder, half are rendered in a second process (on a second
# CPU): the fork and the hand-back cost about 15 ms, a draft about 80 us.
IN_TWO_FROM = 500


def _second_half(people: Sequence[Contact], drafts: _Drafts) -> int | None:
    """Where the second process's half of the people starts, or None where this process
    drafts them all: a small batch, one CPU, or drafts/ not empty (only a new folder of
    their own can be removed whole, whatever the other process left in it)."""
    from outreach.support.forked import other_cpus

    if len(people) < IN_TWO_FROM or not drafts.staged.into_new_folder or not other_cpus():
        return None
    return len(people) // 2


def _draft_in_two(
    people: Sequence[Contact], half: int, draft: Callable[[Contact], None], drafts: _Drafts
) -> None:
    """The first half of the people drafted here and the rest in a second process at the
    same time. The first person's draft is made and written aside before the fork: the
    template compiled, the coach loaded and the new folder made, once, for both."""
    from outreach.support.forked import Forked, Lost

    draft(people[0])
    if drafts.problems or drafts.refused or not drafts.pending:
        for person in people[1:]:  # the batch cannot be written: every problem, here
            draft(person)
        return
    drafts.write_pending()
    try:
        second = Forked(lambda: drafts.share(draft, people[half:]))
    except OSError:  # no second process to be had: all of them here
        for person in people[1:]:
            draft(person)
        return
    try:
        with second:
            for person in people[1:half]:
                draft(person)
            if not (drafts.problems or drafts.refused):
                drafts.write_pending()  # this half's files first, as they are listed
            share = second.result()
    except Lost as lost:
        raise DraftError(f"drafting stopped: {lost}; no draft was written") from None
    drafts.join(share)


# Drafts are written aside a few hundred at a time: a file created between every two renders
# made rendering slower (the system calls between them), and a few hundred texts are small.
_WRITTEN_AT_ONCE = 256


def _render_drafts(
    workspace: Workspace,
    loaded: Loaded,
    shared: Shared,
    selection: Selection,
    replace: bool,
    started: set[str],
    drafts: _Drafts,
    waiting: Mapping[str, os.DirEntry[str]],
) -> None:
    """Each chosen person's draft rendered into `drafts`, unless one waits that is not to be
    drafted again, or (with --replace) one waits that was made from the same inputs and is
    as it was written (composing/drafted.py). `waiting`: the files in drafts/, by name.
    The template is compiled at the first render, where it was not yet (composing/loading.py)."""
    template = loaded.template
    settings = workspace.settings
    domain = settings.me.email.rpartition("@")[2]
    reply_to = template.reply_to or settings.me.reply_to
    drafted = datetime.now().astimezone().isoformat(timespec="seconds")
    prefix = shared_key(loaded, shared, reply_to, loaded.source)
    record = drafts.record

    def draft(person: Contact) -> None:
        name = draft_file_name(person.id, template.name)
        existing, fields, stat = None, {}, None
        own = own_arguments(loaded, person, shared)
        key = inputs_key(prefix, loaded, person, shared, own) if prefix is not None else None
        entry = waiting.get(name)
        if entry is not None and replace and key is not None:
            stat = _stat(entry)
            kept_id = record.unchanged(name, key, stat)
            if kept_id is not None and stat is not None:
                kept = _kept_back(
                    name, {"message_id": kept_id}, person, selection.named, True, started
                )
                if isinstance(kept, Problem):
                    drafts.problems.append(kept)
                else:
                    drafts.unchanged.append(name)
                    record.keep(name, key, stat, kept_id)
                return
        # Made only past the skip above: the Paths were 40 M instructions of a --replace of
        # 5,000 unchanged drafts (1,108 M).
        path = workspace.drafts_dir / name
        if entry is not None:
            # Its stat taken before it is read (a DirEntry keeps it): a change made meanwhile
            # then differs from the record next time.
            stat = _stat(entry) if key is not None else None
            existing = path.read_text(encoding="utf-8", errors="replace")
            fields = front_fields(existing)  # read once, asked for three fields
            kept = _kept_back(name, fields, person, selection.named, replace, started)
            if isinstance(kept, Problem):
                drafts.problems.append(kept)
                return
            if kept is not None:
                drafts.notices.append(kept)
                return
        try:
            rendered = render_for(loaded.renderer(), person, shared, own)
        except TemplateError as error:
            drafts.problems.extend(error.problems)
            return
        refused = _attachment_problems(workspace, rendered)
        if refused:
            where = f"drafts/{path.name}"
            drafts.refused.extend(Problem(where, f"{reason}; not drafted") for reason in refused)
            return
        message_id = fields.get("message_id") if existing is not None else None
        headers = _headers(
            person, rendered.subject, template, message_id or new_message_id(domain), reply_to
        )
        headers.update(_envelope_headers(shared.threads.get(person.id), rendered, template))
        headers["drafted"] = drafted
        if existing is not None and _same_draft(existing, fields, headers, rendered.body):
            drafts.unchanged.append(name)
            if stat is not None:
                record.keep(name, key, stat, headers["message_id"])
        else:
            drafts.add(path, headers, rendered.body, key)

    people = selection.people
    half = _second_half(people, drafts)
    if half is None:
        for person in people:
            draft(person)
    else:
        _draft_in_two(people, half, draft, drafts)
    drafts.problems.extend(_grouped(drafts.refused))
    if prefix is not None and loaded.compiled and loaded.source is not None:
        record.compiled(template.name, loaded.source)


def _attachment_problems(workspace: Workspace, rendered: Rendered) -> list[str]:
    """Why the attachments of one person's message cannot go, each naming the file."""
    if not rendered.attachments:
        return []
    found, refused = check_all(workspace.root, rendered.attachments)
    reasons = [str(refusal) for refusal in refused]
    if not refused:
        size = estimated_size(rendered.body, found)
        too_big = size_problem(size, workspace.settings.limits.max_message_mb)
        if too_big:
            reasons.append(too_big)
    return reasons


def _grouped(problems: Sequence[Problem]) -> list[Problem]:
    """The same refusal for many drafts: the first draft named, with how many more."""
    first: dict[str, Problem] = {}
    counts: dict[str, int] = {}
    for problem in problems:
        first.setdefault(problem.message, problem)
        counts[problem.message] = counts.get(problem.message, 0) + 1
    return [
        Problem(p.where, p.message + (f" (and {counts[key] - 1} more)" if counts[key] > 1 else ""))
        for key, p in first.items()
    ]


def _envelope_headers(
    thread: Thread | None, rendered: Rendered, template: Template
) -> dict[str, str]:
    """A reply's In-Reply-To and References; the attachments' paths."""
    headers = {}
    if thread is not None and template.thread:
        headers["in_reply_to"] = thread.message_id
        headers["references"] = " ".join(thread.reply_references)
    if rendered.attachments:
        headers["attachments"] = format_list(rendered.attachments)
    return headers


def _kept_back(
    name: str,
    existing: Mapping[str, str],
    person: Contact,
    named: frozenset[str],
    replace: bool,
    started: set[str],
) -> Problem | str | None:
    """Why the draft `name` that waits in drafts/ is not drafted again: an error (a Problem),
    a notice for a batch member (a str), or None when it may be."""
    if not replace:
        message = f"drafts/{name} is waiting already; add --replace to draft it again"
        if person.id in named:
            return Problem(person.label, message)
        return f"skipped {person.label}: {message}"
    if (existing.get("message_id") or None) in started:
        return Problem(
            f"drafts/{name}",
            "a send of this message was started; settle it with "
            "'outreach send --retry-unknown' before drafting it again",
        )
    return None


def _headers(
    person: Contact, subject: str, template: Template, message_id: str, reply_to: str | None
) -> dict[str, str]:
    """A draft's front matter, in the order of the file, but for `drafted`, which is last."""
    assert person.email is not None
    headers = {
        "to": format_address(person.name, person.email),
        "subject": subject,
        "template": template.name,
        "kind": template.kind,
        "contact": person.id,
        "status": "draft",
        "message_id": message_id,
    }
    if template.follow_up_text:
        headers["follow_up_after"] = template.follow_up_text
    if reply_to:
        headers["reply_to"] = reply_to
    if template.html:
        headers["html"] = "true"
    return headers


def new_message_id(domain: str) -> str:
    """A new Message-ID, as email.utils.make_msgid makes it (the time in hundredths of a
    second, the process id, 64 random bits): written out, since importing email.utils for it
    alone took 18 ms of every draft command."""
    return f"<{int(time.time() * 100)}.{os.getpid()}.{random.getrandbits(64)}@{domain}>"


def _started_ids(journal: Journal | None) -> set[str]:
    """Message ids whose send the journal has begun (cut off, or sent and not yet filed)."""
    if journal is None:
        return set()
    return journal.unfinished() | journal.sent_ids()


def _file_entries(folder: Path) -> dict[str, os.DirEntry[str]]:
    try:
        return {entry.name: entry for entry in os.scandir(folder)}
    except FileNotFoundError:
        return {}


def _stat(entry: os.DirEntry[str]) -> os.stat_result | None:
    """The file's own stat (a link's, not its target's); None where it is gone."""
    try:
        return entry.stat(follow_symlinks=False)
    except OSError:
        return None


def _same_draft(
    existing: str, fields: Mapping[str, str], headers: dict[str, str], body: str
) -> bool:
    """Whether drafting again would give the draft that waits (its text, its front_fields),
    as drafted or approved. Such a draft is left as it is, with its status and its `drafted`
    time.
    """
    status = fields.get("status")
    if status not in ("draft", "approved"):
        return False
    again = dict(headers, status=status, drafted=fields.get("drafted", ""))
    return render_draft(again, body) == existing


def preview(
    workspace: Workspace, template_name: str, person_name: str, note: str | None = None
) -> tuple[Template, Contact, str, str]:
    from outreach.journal.database import existing_journal

    settings = workspace.settings
    renderer = load_renderer(
        workspace.templates_dir, template_name, settings.limits.follow_up_after
    )
    goal, _ = load_goal(workspace.goal_file)
    person = find_person(workspace.load_contacts(), person_name)
    with existing_journal(workspace.journal_file) as journal:
        threads, _ = _threads(workspace, journal, renderer.template, [person])
        shared = shared_context(settings, goal, journal, note=note, threads=threads)
    rendered = render_for(renderer, person, shared)
    return renderer.template, person, rendered.subject, rendered.body


def lint_templates(
    workspace: Workspace,
    settings: Settings,
    goal: Goal,
    goal_problems: Sequence[Problem],
    contacts: Sequence[Contact],
    names: Sequence[str] | None = None,
    journal: Journal | None = None,
) -> list[Problem]:
    """Render every template for every person a batch would reach; one line per problem.
    With `journal`, what the templates see of it is read from that one, opened already."""
    from outreach.journal.database import existing_journal

    problems: list[Problem] = []
    goal_clear = not any(p.is_error for p in goal_problems)
    recipients = [c for c in contacts if c.email and not c.doubts]
    if journal is not None:
        shared = shared_context(settings, goal, journal)
        threads = earlier_messages(journal, workspace.sent_dir, (c.id for c in recipients))
    else:
        with existing_journal(workspace.journal_file) as opened:
            shared = shared_context(settings, goal, opened)
            threads = earlier_messages(opened, workspace.sent_dir, (c.id for c in recipients))
    shared = replace(shared, threads=threads)
    for name in names if names is not None else list_templates(workspace.templates_dir):
        try:
            renderer = load_renderer(workspace.templates_dir, name, settings.limits.follow_up_after)
        except TemplateError as error:
            problems.extend(error.problems)
            continue
        if renderer.template.kind == "request" and not goal_clear:
            problems.append(
                Problem(
                    f"templates/{renderer.template.path.name}",
                    "cannot be drafted until goal.md is clear",
                    "warning",
                )
            )
            continue
        problems.extend(_render_problems(workspace, renderer, recipients, shared))
    return problems


def _render_problems(
    workspace: Workspace, renderer: Renderer, recipients: Sequence[Contact], shared: Shared
) -> list[Problem]:
    """What fails when the template is rendered for each recipient (its attachments too):
    one line per problem, with how many more people it fails for."""
    failures: dict[str, list[str]] = {}
    first: dict[str, Problem] = {}
    where = at(f"templates/{renderer.template.path.name}", renderer.template.attachments_line)
    for person in recipients:
        found: list[Problem]
        try:
            rendered = render_for(renderer, person, shared)
        except TemplateError as error:
            found = list(error.problems)
        else:
            found = [
                Problem(where, f"{reason} (for {person.label})")
                for reason in _attachment_problems(workspace, rendered)
            ]
        if found:
            for problem in found:
                key = problem.message.replace(person.label, "\0")
                first.setdefault(key, problem)
                failures.setdefault(key, []).append(person.label)
    problems = []
    for key, people in failures.items():
        problem = first[key]
        more = f" (and {len(people) - 1} more)" if len(people) > 1 else ""
        problems.append(Problem(problem.where, problem.message + more))
    return problems
