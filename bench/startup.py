"""Start-up speed (issue 2), measured side by side in one run.

  outreach --help                     vs  python -c "import click"        target: at most 2x
  outreach contacts --json (10,000    vs  python -c "import click"        target: at most 1.4x
  people, contacts cache warm)            (issue 15: a floor that does not move, never our
                                          own --help, which every start-up cut also speeds)

Run: python bench/startup.py [--runs N] [--people N] [--keep] [--strict]
"""

from __future__ import annotations

import sys

from common import (
    Case,
    Target,
    arguments,
    make_people,
    make_workspace,
    measure,
    program,
    report,
    run,
    work_folder,
)


def main() -> int:
    args = arguments(__doc__.split("\n")[0], runs=20, people=10_000)
    outreach = program("outreach")
    with work_folder("startup", args.keep) as folder:
        print(f"making a workspace with {args.people:,} people ...", file=sys.stderr)
        workspace = make_workspace(folder / "workspace", make_people(args.people))
        run([outreach, "contacts", "--json"], cwd=workspace)  # fills the contacts cache
        if not (workspace / ".outreach" / "contacts.json").exists():
            print("warning: no .outreach/contacts.json after a first run", file=sys.stderr)
        click = Case("python -c 'import click'", [sys.executable, "-c", "import click"])
        help_ = Case("outreach --help", [outreach, "--help"], cwd=workspace)
        contacts = Case(
            f"outreach contacts --json ({args.people:,} people, warm cache)",
            [outreach, "contacts", "--json"],
            cwd=workspace,
        )
        cases = [click, help_, contacts]
        print(f"timing {len(cases)} commands, {args.runs} runs each ...", file=sys.stderr)
        measure(cases, args.runs, warmup=2)
    passed = report(
        "outreach start-up (issue 2)",
        cases,
        [
            Target("outreach --help / import click", help_, click, 2.0),
            Target("contacts --json / import click", contacts, click, 1.4),
        ],
        args.runs,
    )
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
