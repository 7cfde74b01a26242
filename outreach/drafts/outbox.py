"""The drafts that wait: their status as the files and the journal know it; approving,
taking an approval back, deleting (into drafts/.deleted/, from where a draft can come back)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from outreach.drafts.draft import Draft, ShownStatus, list_drafts, select_drafts, set_status
from outreach.support.errors import DraftError, PersonNotFound, Problem, raise_if_errors
from outreach.support.files import private_folder
from outreach.workspace.folder import Workspace


@dataclass(frozen=True)
class Waiting:
    draft: Draft
    status: ShownStatus


def waiting(workspace: Workspace, cut_off: set[str] | None = None) -> list[Waiting]:
    """Every draft in drafts/, `unknown` where the journal holds a send that was cut off
    (cut_off: those message ids, where the caller has read them already)."""
    drafts = list_drafts(workspace.drafts_dir)
    if cut_off is None:
        cut_off = cut_off_ids(workspace) if drafts else set()
    return [
        Waiting(d, "unknown" if not d.broken and d.message_id in cut_off else d.status)
        for d in drafts
    ]


def find_drafts(workspace: Workspace, names: Sequence[str]) -> list[Draft]:
    """Drafts named by path, file name or person; an error names what matched nothing.

    A person is named as everywhere else: by id, by email or by a unique part of the name.
    """
    from outreach.people.lookup import find_person

    drafts = list_drafts(workspace.drafts_dir)
    people = {d.person for d in drafts}
    chosen: dict[Path, Draft] = {}
    problems: list[Problem] = []
    for name in names:
        matched = select_drafts(drafts, name, people)
        if not matched and not name.endswith(".md") and "/" not in name:
            try:
                person = find_person(workspace.load_contacts(), name)
            except PersonNotFound as error:
                if error.ambiguous:  # say who it could be
                    problems.extend(error.problems)
                    continue
            else:
                matched = [d for d in drafts if d.person == person.id]
                if not matched:
                    problems.append(Problem(person.label, "has no waiting draft"))
                    continue
        if not matched:
            problems.append(
                Problem("", f"no waiting draft matches '{name}' (see: outreach drafts)")
            )
        chosen.update((d.path, d) for d in matched)
    raise_if_errors(problems)
    return list(chosen.values())


def _refuse_broken_or_cut_off(drafts: Sequence[Draft], cut_off: set[str] | None) -> None:
    """Every broken draft, then every draft whose send was cut off, as one error."""
    problems = [Problem(f"drafts/{d.name}", d.broken) for d in drafts if d.broken]
    problems.extend(
        Problem(
            f"drafts/{d.name}",
            "its send was cut off (unknown): use 'outreach send --retry-unknown' or delete it",
        )
        for d in drafts
        if cut_off and not d.broken and d.message_id in cut_off
    )
    if problems:
        raise DraftError(*problems)


def approve(drafts: Sequence[Draft], cut_off: set[str] | None = None) -> list[Draft]:
    """Mark drafts approved; every header is checked first; none is approved if one is broken
    or was cut off, and every such draft is named."""
    _refuse_broken_or_cut_off(drafts, cut_off)
    return [set_status(d, "approved") if d.status != "approved" else d for d in drafts]


def to_approve(drafts: Sequence[Draft], cut_off: set[str]) -> list[Draft]:
    """What `approve --all` approves: every draft in status draft whose send was not cut off.
    A broken draft stays in, so that its error is shown and nothing is approved."""
    return [d for d in drafts if d.broken or (d.message_id not in cut_off and d.status == "draft")]


def to_unapprove(drafts: Sequence[Draft], cut_off: set[str]) -> list[Draft]:
    """What `unapprove --all` takes back: every sound approved draft whose send was not cut
    off."""
    return [
        d for d in drafts if not d.broken and d.status == "approved" and d.message_id not in cut_off
    ]


def cut_off_ids(workspace: Workspace) -> set[str]:
    """Message ids whose send was cut off: the journal holds an attempt with no outcome."""
    from outreach.journal.database import existing_journal

    with existing_journal(workspace.journal_file) as journal:
        return journal.unfinished() if journal is not None else set()


def unapprove(drafts: Sequence[Draft], cut_off: set[str] | None = None) -> list[Draft]:
    """Take approvals back (status `draft` again); none is changed if one cannot be.

    A broken draft cannot be rewritten without losing what does not parse, and a draft whose
    send was cut off is not for taking back: both are errors, naming the file.
    """
    _refuse_broken_or_cut_off(drafts, cut_off)
    return [set_status(d, "draft") for d in drafts if d.status == "approved"]


def deleted_dir(workspace: Workspace) -> Path:
    return workspace.drafts_dir / ".deleted"


def delete(workspace: Workspace, draft: Draft) -> Path | None:
    """Move a draft into drafts/.deleted/ (`--2`, `--3` ... before `.md` where its name is
    taken there), from where it can be moved back; where it went, or None if it was gone."""
    folder = deleted_dir(workspace)
    private_folder(folder)
    target = folder / draft.name
    number = 2
    while target.exists():
        target = folder / f"{draft.path.stem}--{number}.md"
        number += 1
    try:
        draft.path.rename(target)
    except FileNotFoundError:  # deleted by hand meanwhile
        return None
    return target


def deleted_names(workspace: Workspace) -> list[str]:
    """The drafts in drafts/.deleted/, by file name."""
    folder = deleted_dir(workspace)
    return sorted(p.name for p in folder.glob("*.md")) if folder.is_dir() else []
