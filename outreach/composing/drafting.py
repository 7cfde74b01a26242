"""Drafting: choose the people, render a template for each, write the drafts, all or nothing."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import make_msgid
from pathlib import Path

from outreach.composing.loading import load_checked
from outreach.composing.renderer import Fields, Renderer
from outreach.drafts.draft import draft_file_name, format_address, render_draft
from outreach.keeping.readers import (
    follow_up_warnings,
    giving_warnings,
    journal_summaries,
    plan_for,
)
from outreach.keeping.rules import due_items
from outreach.people.contact import Contact
from outreach.people.lookup import find_person
from outreach.support.errors import (
    DraftError,
    OutreachError,
    Problem,
    TemplateError,
    raise_if_errors,
)
from outreach.support.files import write_all_or_nothing
from outreach.workspace.folder import Workspace
from outreach.workspace.goal import Goal, load_goal, require_clear
from outreach.workspace.settings import Settings
from outreach.workspace.templates import Template, list_templates


@dataclass(frozen=True)
class Selection:
    people: list[Contact]
    notices: list[str] = field(default_factory=list)  # batch members left out, and why
    warnings: list[str] = field(default_factory=list)
    named: frozenset[str] = frozenset()  # ids of the people named on the command line


@dataclass(frozen=True)
class DraftResult:
    written: list[Path]
    notices: list[str]
    warnings: list[str]
    unchanged: list[Path] = field(default_factory=list)  # --replace found them as they would be


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
    return Selection(list(chosen.values()), sorted(set(notices)), warnings, named)


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
    contacts: Sequence[Contact],
    template: Template,
    *,
    plan: bool,
    due: bool,
    today: date | None = None,
) -> list[Contact]:
    """The people `draft --plan` or `draft --due` means for this template."""
    as_of = today or date.today()
    chosen: list[Contact] = []
    if plan:
        if template.kind != "request":
            raise OutreachError(f"--plan drafts requests; '{template.name}' is a {template.kind}")
        chosen.extend(p.person for p in plan_for(workspace, as_of).proposals)
    if due:
        if template.kind == "request":
            raise OutreachError(
                "a request is never due: use --plan, or a follow-up, check-in or thank-you template"
            )
        summaries = journal_summaries(workspace, as_of)
        chosen.extend(
            item.person
            for item in due_items(contacts, summaries, as_of, until=as_of)
            if item.reason == template.kind
        )
    return chosen


def me_fields(settings: Settings) -> dict[str, str]:
    me = {"name": settings.me.name, "email": settings.me.email}
    if settings.me.reply_to:
        me["reply_to"] = settings.me.reply_to
    return me


def goal_for(workspace: Workspace, template: Template) -> tuple[Goal, list[str]]:
    """The goal, and for a request its warnings (vague wording, no offer ...): a request is
    refused while the goal has errors, and drafted with its warnings shown."""
    goal, problems = load_goal(workspace.goal_file)
    if template.kind != "request":
        return goal, []
    require_clear(goal, problems)
    return goal, [str(problem) for problem in problems if not problem.is_error]


def last_entries(workspace: Workspace) -> dict[str, dict[str, object]]:
    if not workspace.journal_file.exists():
        return {}
    from outreach.journal.database import open_journal

    with open_journal(workspace.journal_file) as journal:
        return {person: entry.template_fields() for person, entry in journal.latest().items()}


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
    settings = workspace.settings
    days = settings.limits.follow_up_after
    template = load_checked(workspace.templates_dir, template_name, days)
    goal, goal_warnings = goal_for(workspace, template)
    contacts = workspace.load_contacts()
    batch: list[Contact] = []
    if plan or due:
        batch = batch_for(workspace, contacts, template, plan=plan, due=due, today=today)
    selection = select_people(contacts, names=names, tags=tags, everyone=everyone, batch=batch)
    warnings = goal_warnings + selection.warnings
    if template.kind == "request":
        warnings.extend(giving_warnings(workspace, selection.people, goal))
    elif template.kind == "follow-up":
        warnings.extend(follow_up_warnings(workspace, selection.people))
    renderer = Renderer(template)
    today = today or date.today()
    last = last_entries(workspace)
    me = me_fields(settings)
    goal_fields = goal.template_fields()
    domain = settings.me.email.rpartition("@")[2]
    reply_to = template.reply_to or settings.me.reply_to
    notices = list(selection.notices)
    problems: list[Problem] = []
    planned: list[tuple[Path, str]] = []
    unchanged: list[Path] = []
    started = _started_ids(workspace)
    drafted = datetime.now().astimezone().isoformat(timespec="seconds")
    waiting = _file_names(workspace.drafts_dir)
    for person in selection.people:
        path = workspace.drafts_dir / draft_file_name(person.id, template.name)
        message_id = None
        existing_text = None
        if path.name in waiting:
            existing_text = path.read_text(encoding="utf-8", errors="replace")
            existing_id = _front_value(existing_text, "message_id")
            if not replace:
                message = f"drafts/{path.name} is waiting already; add --replace to draft it again"
                if person.id in selection.named:
                    problems.append(Problem(person.label, message))
                else:
                    notices.append(f"skipped {person.label}: {message}")
                continue
            if existing_id in started:
                problems.append(
                    Problem(
                        f"drafts/{path.name}",
                        "a send of this message was started; settle it with "
                        "'outreach send --retry-unknown' before drafting it again",
                    )
                )
                continue
            message_id = existing_id
        try:
            rendered = renderer.render(
                contact=Fields("contact", person.template_fields()),
                who=person.label,
                goal=goal_fields,
                me=me,
                today=today,
                last=last.get(person.id),
                note=note,
            )
        except TemplateError as error:
            problems.extend(error.problems)
            continue
        assert person.email is not None
        headers = {
            "to": format_address(person.name, person.email),
            "subject": rendered.subject,
            "template": template.name,
            "kind": template.kind,
            "contact": person.id,
            "status": "draft",
            "message_id": message_id or make_msgid(domain=domain),
        }
        if template.follow_up_text:
            headers["follow_up_after"] = template.follow_up_text
        if reply_to:
            headers["reply_to"] = reply_to
        if template.html:
            headers["html"] = "true"
        headers["drafted"] = drafted
        if existing_text is not None and _same_draft(existing_text, headers, rendered.body):
            unchanged.append(path)
            continue
        planned.append((path, render_draft(headers, rendered.body)))
    raise_if_errors(dict.fromkeys(problems))  # one line per problem, however many people share it
    try:
        write_all_or_nothing(planned)
    except OSError as error:
        raise DraftError(f"drafts could not be written ({error}); none were changed") from None
    return DraftResult([path for path, _ in planned], notices, warnings, unchanged)


def _started_ids(workspace: Workspace) -> set[str]:
    """Message ids whose send the journal has begun (cut off, or sent and not yet filed)."""
    if not workspace.journal_file.exists():
        return set()
    from outreach.journal.database import open_journal

    with open_journal(workspace.journal_file) as journal:
        return journal.unfinished() | journal.sent_ids()


def _file_names(folder: Path) -> set[str]:
    try:
        return {entry.name for entry in os.scandir(folder)}
    except FileNotFoundError:
        return set()


def _front_value(text: str, key: str) -> str | None:
    """One field of a draft's front matter, read without parsing the rest."""
    match = re.search(rf"^{key}:[ \t]*(.*?)[ \t]*$", text.split("\n---", 1)[0], re.MULTILINE)
    return match.group(1) or None if match else None


def _same_draft(existing: str, headers: dict[str, str], body: str) -> bool:
    """Whether drafting again would give the draft that waits, as drafted or approved.

    Such a draft is left as it is, with its status and its `drafted` time.
    """
    status = _front_value(existing, "status")
    if status not in ("draft", "approved"):
        return False
    again = dict(headers, status=status, drafted=_front_value(existing, "drafted") or "")
    return render_draft(again, body) == existing


def preview(
    workspace: Workspace, template_name: str, person_name: str, note: str | None = None
) -> tuple[Template, Contact, str, str]:
    settings = workspace.settings
    days = settings.limits.follow_up_after
    template = load_checked(workspace.templates_dir, template_name, days)
    goal, _ = load_goal(workspace.goal_file)
    person = find_person(workspace.load_contacts(), person_name)
    rendered = Renderer(template).render(
        contact=Fields("contact", person.template_fields()),
        who=person.label,
        goal=goal.template_fields(),
        me=me_fields(settings),
        today=date.today(),
        last=last_entries(workspace).get(person.id),
        note=note,
    )
    return template, person, rendered.subject, rendered.body


def lint_templates(
    workspace: Workspace,
    settings: Settings,
    goal: Goal,
    goal_problems: Sequence[Problem],
    contacts: Sequence[Contact],
    names: Sequence[str] | None = None,
) -> list[Problem]:
    """Render every template for every person a batch would reach; one line per problem."""
    problems: list[Problem] = []
    goal_clear = not any(p.is_error for p in goal_problems)
    recipients = [c for c in contacts if c.email and not c.doubts]
    last = last_entries(workspace)
    me = me_fields(settings)
    goal_fields = goal.template_fields()
    for name in names if names is not None else list_templates(workspace.templates_dir):
        try:
            template = load_checked(workspace.templates_dir, name, settings.limits.follow_up_after)
        except TemplateError as error:
            problems.extend(error.problems)
            continue
        if template.kind == "request" and not goal_clear:
            problems.append(
                Problem(
                    f"templates/{template.path.name}",
                    "cannot be drafted until goal.md is clear",
                    "warning",
                )
            )
            continue
        renderer = Renderer(template)
        failures: dict[str, list[str]] = {}
        first: dict[str, Problem] = {}
        for person in recipients:
            try:
                renderer.render(
                    contact=Fields("contact", person.template_fields()),
                    who=person.label,
                    goal=goal_fields,
                    me=me,
                    today=date.today(),
                    last=last.get(person.id),
                )
            except TemplateError as error:
                for problem in error.problems:
                    key = problem.message.replace(person.label, "\0")
                    first.setdefault(key, problem)
                    failures.setdefault(key, []).append(person.label)
        for key, people in failures.items():
            problem = first[key]
            more = f" (and {len(people) - 1} more)" if len(people) > 1 else ""
            problems.append(Problem(problem.where, problem.message + more))
    return problems
