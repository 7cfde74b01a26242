"""What a send run says: what it holds back before it starts, and at its end the tally of
outcomes, the summary line and the problems that make its exit status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from outreach.delivery.sending import SEND_RESULTS, Outcome, Queue
from outreach.support.errors import OutreachError, Problem


def broken_note(queue: Queue) -> str:
    """How many drafts no longer parse, as a sentence and a space; empty when none."""
    count = len(queue.broken) + len(queue.broken_unapproved)
    if not count:
        return ""
    if count == 1:
        return "1 draft in drafts/ no longer parses (named above). "
    return f"{count} drafts in drafts/ no longer parse (named above). "


def waiting_note(queue: Queue) -> str:
    """What approved drafts wait for: tomorrow (per_day) or another run (--limit)."""
    parts = []
    if queue.over_day:
        slot = queue.next_slot
        when = f" (from about {slot:%Y-%m-%d %H:%M})" if slot else ""
        parts.append(f"{queue.over_day} wait for tomorrow: per_day is reached{when}.")
    if queue.over_limit:
        parts.append(f"{queue.over_limit} left by --limit.")
    return " ".join(parts)


@dataclass(frozen=True)
class RunReport:
    """The end of a send run."""

    tally: tuple[tuple[str, int], ...]  # each outcome with its count, in SEND_RESULTS' order
    broken: str  # broken_note
    waiting: str  # waiting_note
    problems: tuple[Problem, ...]  # what failed or was left, and why the run stopped

    @property
    def summary(self) -> str:
        """'3 sent, 0 failed, 0 unknown, 1 left.', then what was held back."""
        return (
            ", ".join(f"{n} {outcome}" for outcome, n in self.tally)
            + "."
            + (f" {self.broken}".rstrip() if self.broken else "")
            + (f" {self.waiting}" if self.waiting else "")
        )


def run_report(
    queue: Queue, outcomes: Sequence[Outcome], stopped: OutreachError | None
) -> RunReport:
    """The report of a run that tried `outcomes` of `queue.ready`, stopped by `stopped`."""
    counts = {outcome: sum(o.result == outcome for o in outcomes) for outcome in SEND_RESULTS}
    untried = len(queue.ready) - len(outcomes)
    counts["left"] += untried
    problems = [
        Problem(f"drafts/{o.draft.name}", o.detail)
        for o in outcomes
        if o.result in ("failed", "left") and not o.notice
    ]
    if stopped is not None:
        problems[:0] = stopped.problems
    if untried:
        problems.append(
            Problem("", f"{untried} approved draft(s) were not tried; run send again later")
        )
    return RunReport(
        tally=tuple(counts.items()),
        broken=broken_note(queue),
        waiting=waiting_note(queue),
        problems=tuple(problems),
    )
