"""The coach's cost (issue 12): drafting the request for 5,000 people with the coach and without.

  with the coach       outreach draft request --all, as shipped: every draft written is
                       measured (words, questions, reading grade ...) and the command says
                       how many have advice
  without the coach    the same command with the coach's step replaced by one that does
                       nothing (outreach.composing.drafting._coached gives a coach
                       that measures nothing)

Both run as a subprocess of their own, in a fresh copy of the same workspace (contacts.yaml
never read before), interleaved round by round after a warm-up round. Target: with the coach
at most 1.2x without it (the coach adds at most 20% to drafting).

Run: python bench/coach.py [--runs N] [--people N] [--keep] [--strict]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from common import (
    Case,
    Target,
    arguments,
    make_people,
    make_workspace,
    measure,
    report,
    work_folder,
)

DRAFT = ["draft", "request", "--all"]


def draft_in_process(workspace: Path, *, coach: bool) -> None:
    """`outreach draft request --all` in this process; without the coach where told."""
    from outreach.cli import cli

    if not coach:
        from outreach.composing import drafting

        drafting._coached = lambda *args: lambda headers, body: None  # type: ignore[assignment]
    cli.main(["--workspace", str(workspace), *DRAFT], prog_name="outreach")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--draft":  # one timed run: --draft WORKSPACE [off]
        draft_in_process(Path(sys.argv[2]), coach=sys.argv[3:] != ["off"])
        return 0
    args = arguments(__doc__.split("\n")[0], runs=5, people=5_000)
    with work_folder("coach", args.keep) as folder:
        print(f"making a workspace with {args.people:,} people ...", file=sys.stderr)
        people = make_people(args.people)
        pristine = make_workspace(folder / "pristine", people)
        script = str(Path(__file__).resolve())

        def case(label: str, name: str, *switch: str) -> Case:
            workspace = folder / name

            def fresh() -> None:
                shutil.rmtree(workspace, ignore_errors=True)
                shutil.copytree(pristine, workspace)

            def drafted_everyone() -> None:
                drafted = len(list((workspace / "drafts").glob("*.md")))
                if drafted != len(people):
                    sys.exit(f"bench: '{label}' drafted {drafted} of {len(people)} people")

            argv = [sys.executable, script, "--draft", str(workspace), *switch]
            return Case(label, argv, setup=fresh, check=drafted_everyone)

        with_coach = case("outreach draft request --all (with the coach)", "with")
        without = case("the same without the coach", "without", "off")
        cases = [with_coach, without]
        print(f"timing {len(cases)} commands, {args.runs} runs each ...", file=sys.stderr)
        measure(cases, args.runs, warmup=1)
    passed = report(
        f"the coach on {args.people:,} drafts (issue 12)",
        cases,
        [Target("with the coach / without", with_coach, without, 1.2)],
        args.runs,
    )
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
