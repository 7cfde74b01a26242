"""Memory and time as the address book grows (issue 15), measured side by side in one run.

  outreach contacts, cold (no contacts cache),    peak RSS at 10,000 and 100,000 people:
  at 1,000, 10,000 and 100,000 people             at most 200 MiB at 100,000; the time each
                                                  person adds must stay flat (from 10,000 to
                                                  100,000 at most 1.2x what it is from 1,000
                                                  to 10,000)
  outreach draft request --all, cold (a fresh     peak RSS: at most 150 MiB
  workspace), 50,000 people

The peak RSS is each child's own (os.wait4's rusage), the median over the runs. A child's
peak counts the memory of the process it was started from, as it was when it started: the
workspaces are made in a process of their own, so that this one never holds 100,000 people
(it did, and every child's peak read 584 MiB). The time per
person is printed whole (start-up included, so small sizes read high) and step by step: what
each person adds from one size to the next, where start-up cancels out.

Run: python bench/scale.py [--runs N] [--people N] [--keep] [--strict]
     (--people sets the largest contacts size, default 100,000; drafting takes half of it)
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from common import (
    Case,
    arguments,
    clean_env,
    make_people,
    make_workspace,
    measure,
    program,
    work_folder,
)

RSS_CONTACTS_MIB = 200
RSS_DRAFTS_MIB = 150
FLAT = 1.2  # the most the time per person may grow from the smallest size to the largest


def make_workspaces(folder: Path, sizes: list[int], drafted: int) -> None:
    """The workspaces (run in a process of its own: see the peak RSS above)."""
    people = make_people(max(sizes))
    for size in sizes:
        print(f"making a workspace with {size:,} people ...", file=sys.stderr)
        make_workspace(folder / f"contacts-{size}", people[:size])
    print(f"making a workspace with {drafted:,} people ...", file=sys.stderr)
    make_workspace(folder / "pristine", people[:drafted])


def main() -> int:
    if sys.argv[1:2] == ["--make"]:  # python scale.py --make FOLDER DRAFTED SIZE...
        folder, drafted, *sizes = sys.argv[2:]
        make_workspaces(Path(folder), [int(size) for size in sizes], int(drafted))
        return 0
    args = arguments(__doc__.split("\n")[0], runs=3, people=100_000)
    outreach = program("outreach")
    largest = args.people
    sizes = sorted({max(1, largest // 100), max(1, largest // 10), largest})
    drafted = largest // 2
    with work_folder("scale", args.keep) as folder:
        make = [sys.executable, str(Path(__file__).resolve()), "--make", str(folder)]
        subprocess.run([*make, str(drafted), *map(str, sizes)], env=clean_env(), check=True)
        workspaces = {size: folder / f"contacts-{size}" for size in sizes}
        pristine = folder / "pristine"
        fresh = folder / "fresh"

        def cold(workspace: Path) -> None:
            (workspace / ".outreach" / "contacts.json").unlink(missing_ok=True)

        def fresh_workspace() -> None:
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.copytree(pristine, fresh)

        contacts = [
            Case(
                f"outreach contacts, cold, {size:,} people",
                [outreach, "contacts"],
                cwd=workspaces[size],
                setup=lambda w=workspaces[size]: cold(w),  # type: ignore[misc]
            )
            for size in sizes
        ]
        draft = Case(
            f"outreach draft request --all, cold, {drafted:,} people",
            [outreach, "draft", "request", "--all"],
            cwd=fresh,
            setup=fresh_workspace,
        )
        cases = [*contacts, draft]
        print(f"timing {len(cases)} commands, {args.runs} runs each ...", file=sys.stderr)
        measure(cases, args.runs, warmup=1)

    print()
    print("memory and time as the address book grows (issue 15)")
    print(f"{args.runs} timed runs of each, interleaved, after a warm-up")
    print()
    width = max(len(case.label) for case in cases)
    print(f"{'command'.ljust(width)}  {'median':>9}  {'per person':>11}  {'peak RSS':>9}")
    for size, case in zip([*sizes, drafted], cases, strict=True):
        print(
            f"{case.label.ljust(width)}  {case.median:>7.3f} s  "
            f"{case.median / size * 1e6:>8.1f} µs  {case.peak_mib:>5.0f} MiB"
        )
    # Each step's cost per person added (start-up cancels out): flat means equal steps.
    timed = dict(zip(sizes, contacts, strict=True))
    pairs = list(itertools.pairwise(sizes))
    steps = [
        (timed[big].median - timed[small].median) / (big - small) * 1e6 for small, big in pairs
    ]
    print()
    for (small, big), each in zip(pairs, steps, strict=True):
        print(f"each person from {small:,} to {big:,}: {each:.1f} µs")
    growth = steps[-1] / steps[0]
    spread = (
        max(statistics.quantiles(c.times, n=4)[-1] / c.median for c in cases)
        if args.runs > 1
        else 1.0
    )
    checks = [
        (f"peak RSS, contacts cold, {largest:,}", contacts[-1].peak_mib, RSS_CONTACTS_MIB, "MiB"),
        (f"peak RSS, draft --all cold, {drafted:,}", draft.peak_mib, RSS_DRAFTS_MIB, "MiB"),
        ("time per person, last step / first step", growth, FLAT, "x"),
    ]
    print()
    passed = True
    for label, value, limit, unit in checks:
        ok = value <= limit
        passed = passed and ok
        verdict = "PASS" if ok else "FAIL"
        print(f"{label:42} {value:8.2f} {unit:3}  target <= {limit:g} {unit}  {verdict}")
    print(f"(the slowest quarter of the runs of any command was up to {spread:.2f}x its median)")
    print()
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
