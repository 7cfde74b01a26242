"""Keeping in touch at scale (issue 5), measured side by side in one run.

  outreach due --json, outreach due,             vs  outreach --help   target: each at most 4x
  outreach contacts --json, outreach contacts
  (10,000 people, 100,000 journal entries,
  contacts cache warm)

Run: python bench/keeping.py [--runs N] [--people N] [--entries N] [--keep] [--strict]
"""

from __future__ import annotations

import datetime
import json
import sys

from common import (
    Case,
    Target,
    arguments,
    make_journal,
    make_people,
    make_workspace,
    measure,
    person_id,
    program,
    report,
    run,
    work_folder,
)


def main() -> int:
    args = arguments(__doc__.split("\n")[0], runs=10, people=10_000, entries=100_000)
    outreach = program("outreach")
    with work_folder("keeping", args.keep) as folder:
        print(
            f"making a workspace with {args.people:,} people and {args.entries:,} journal "
            "entries ...",
            file=sys.stderr,
        )
        people = make_people(args.people)
        workspace = make_workspace(folder / "workspace", people)
        kinds = make_journal(
            workspace / ".outreach" / "journal.sqlite",
            [person_id(person) for person in people],
            args.entries,
            datetime.date.today(),
        )
        print(
            "journal: " + ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items())),
            file=sys.stderr,
        )
        # Untimed: fills the contacts cache, and checks that both commands see everyone.
        listed = json.loads(run([outreach, "contacts", "--json"], cwd=workspace))
        if len(listed) != len(people):
            sys.exit(f"bench: outreach contacts --json listed {len(listed)} of {len(people)}")
        due = json.loads(run([outreach, "due", "--json"], cwd=workspace))
        reasons: dict[str, int] = {}
        for item in due:
            reasons[item["reason"]] = reasons.get(item["reason"], 0) + 1
        print(
            f"due today: {len(due):,} items ("
            + ", ".join(f"{n:,} {reason}" for reason, n in sorted(reasons.items()))
            + ")",
            file=sys.stderr,
        )
        if not all(reasons.get(r) for r in ("follow-up", "thank-you", "check-in")):
            print("warning: not every kind of due item is present", file=sys.stderr)

        help_ = Case("outreach --help", [outreach, "--help"], cwd=workspace)
        commands = [
            Case(f"outreach {' '.join(argv)}", [outreach, *argv], cwd=workspace)
            for argv in (["due", "--json"], ["due"], ["contacts", "--json"], ["contacts"])
        ]
        cases = [help_, *commands]
        print(f"timing {len(cases)} commands, {args.runs} runs each ...", file=sys.stderr)
        measure(cases, args.runs, warmup=2)
    passed = report(
        f"due and contacts on {args.people:,} people and {args.entries:,} journal entries "
        "(issue 5)",
        cases,
        [Target(f"{c.label.removeprefix('outreach ')} / --help", c, help_, 4.0) for c in commands],
        args.runs,
    )
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
