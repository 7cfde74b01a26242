"""What a template is rendered with: the person, and what every person's render shares (the
goal, `me`, today, each person's latest journal entry, the command's note), built in one place
for drafting, preview and the template check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from outreach.composing.threads import Thread, reply_subject
from outreach.people.contact import Contact
from outreach.workspace.goal import Goal
from outreach.workspace.settings import Settings

if TYPE_CHECKING:  # renderer.py imports Jinja: only where something is rendered
    from outreach.composing.renderer import Rendered, Renderer
    from outreach.journal.database import Journal
    from outreach.workspace.templates import Template


@dataclass(frozen=True)
class Shared:
    """The parts of the render context that are the same for every person of a command."""

    goal: Mapping[str, object]
    me: Mapping[str, str]
    today: date
    last: Mapping[str, Mapping[str, object]]  # each person's latest journal entry, by id
    note: str | None = None
    # For a `thread: true` template: the latest message sent to each person, by id.
    threads: Mapping[str, Thread] = field(default_factory=dict)
    given: Mapping[str, Sequence[Mapping[str, object]]] = field(default_factory=dict)


def shared_context(
    settings: Settings,
    goal: Goal,
    journal: Journal | None,
    *,
    today: date | None = None,
    note: str | None = None,
    threads: Mapping[str, Thread] | None = None,
) -> Shared:
    return Shared(
        goal=goal.template_fields(),
        me=me_fields(settings),
        today=today or date.today(),
        last=last_entries(journal),
        note=note,
        threads=threads or {},
        given=given_entries(journal),
    )


def render_for(
    renderer: Renderer, person: Contact, shared: Shared, arguments: Own | None = None
) -> Rendered:
    """The subject and body for one person; a TemplateError names template, line and person.
    `arguments`: the person's own, where the caller has them already.

    A reply's subject never stacks its prefix ('Re: Re:')."""
    # The module form: `from ... import` takes importlib's Python path at each call.
    import outreach.composing.renderer as rendering

    contact, own = arguments or own_arguments(renderer, person, shared)
    rendered = renderer.render(
        contact=rendering.Fields("contact", contact),
        who=person.label,
        goal=shared.goal,
        me=shared.me,
        today=shared.today,
        note=shared.note,
        **own,
    )
    subject = reply_subject(rendered.subject)
    return rendered if subject == rendered.subject else replace(rendered, subject=subject)


class Own(NamedTuple):
    """What one person's render is given of their own: the rest is the same for all of a
    command (Shared's other fields). Drafting's record of what each draft was made from
    (drafted.py) hashes exactly these and those."""

    contact: dict[str, Any]
    journal: dict[str, Any]  # last, thread, given: from the journal, for this person


BY_PERSON = ("last", "threads", "given")  # the fields of Shared that hold each person's part


class _Templated(Protocol):
    @property
    def template(self) -> Template: ...


def own_arguments(renderer: _Templated, person: Contact, shared: Shared) -> Own:
    thread = shared.threads.get(person.id) if renderer.template.thread else None
    return Own(
        person.template_fields(),
        {
            "last": shared.last.get(person.id),
            "thread": thread.template_fields() if thread is not None else None,
            "given": shared.given.get(person.id, ()),
        },
    )


def me_fields(settings: Settings) -> dict[str, str]:
    me = {"name": settings.me.name, "email": settings.me.email}
    if settings.me.reply_to:
        me["reply_to"] = settings.me.reply_to
    return me


def last_entries(journal: Journal | None) -> dict[str, dict[str, object]]:
    """Each person's latest journal entry, as templates reach it (`last`)."""
    if journal is None:
        return {}
    return {person: entry.template_fields() for person, entry in journal.latest().items()}


def given_entries(journal: Journal | None) -> dict[str, list[dict[str, object]]]:
    """Each person's `gave` entries since the latest message sent to them (`given`)."""
    if journal is None:
        return {}
    from outreach.journal.database import given_since_sent

    return {
        person: [entry.template_fields() for entry in entries]
        for person, entries in given_since_sent(journal).items()
    }
