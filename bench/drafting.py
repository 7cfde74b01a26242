"""Drafting speed (issue 3): the request for 5,000 people, three ways, side by side in one run.

  outreach draft request --all              a fresh workspace: contacts.yaml never read before
  outreach draft request --all --replace    again, contacts unchanged (cache warm, drafts waiting)
  ... --replace, the template changed       again, after an edit of the template's words: every
                                            draft rendered and written again (reported)
  mailmerge --no-limit --dry-run            mailmerge 2.3 on the same people as CSV, with the
                                            same text as a mailmerge template; output to /dev/null
  python bench/floor.py                     the floor: PyYAML's C loader, one plain Jinja
                                            template, one file per person; no checks at all

Targets: fresh <= mailmerge (issue 12), fresh <= 1.05x floor (issue 15), --replace <= 0.5x
mailmerge (issue 12) and <= 0.25x mailmerge (issue 15).

--replace keeps a draft unrendered where its inputs and its file are as they were written
(outreach/composing/drafted.py); the case after a template change shows the cost when every
draft must be rendered again.

Run: python bench/drafting.py [--runs N] [--people N] [--keep] [--strict]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from common import (
    BENCH_DIR,
    Case,
    Target,
    arguments,
    clean_env,
    make_people,
    make_workspace,
    measure,
    person_id,
    program,
    report,
    run,
    work_folder,
    write_csv,
)

MAILMERGE_CONFIG = """\
# Never used to send: the benchmark runs mailmerge with --dry-run.
[smtp_server]
host = smtp.example.org
port = 465
security = SSL/TLS
username = sam@example.org
ratelimit = 0
"""


def mailmerge_template(workspace: Path) -> str:
    """The shipped request template's text as a mailmerge template, for the example's goal.

    mailmerge has no goal and no `me`: those parts are written out, as a mailmerge user
    would; the person's fields are Jinja fields of the CSV's columns.
    """
    _, front, story = (workspace / "goal.md").read_text(encoding="utf-8").split("---\n", 2)
    goal = yaml.load(front, Loader=yaml.CSafeLoader)
    me = tomllib.loads((workspace / "outreach.toml").read_text(encoding="utf-8"))["me"]
    me_name, me_email = me["name"], me["email"]
    options = list(goal["options"])
    options_text = f"{', '.join(options[:-1])} or {options[-1]}" if len(options) > 1 else options[0]
    keep_to = (
        f" I'll keep it to {goal['time_needed']}."
        if goal["time_needed"] not in goal["request"]
        else ""
    )
    return (
        "TO: {{ name }} <{{ email }}>\n"
        "SUBJECT: {{ first_name }}, could I ask your advice?\n"
        f"FROM: {me_name} <{me_email}>\n"
        f"REPLY-TO: {me['reply_to']}\n"
        "\n"
        "Hi {{ first_name }},\n"
        "\n"
        "{% if how_we_know %}I still think of our time at {{ how_we_know }}. "
        "{% elif company %}I hope all is well at {{ company }}. {% endif %}"
        f"I'm looking for {goal['looking_for']}. I'd love your advice.\n"
        "\n"
        f"{story.strip()}\n"
        "\n"
        f"{goal['request']}{keep_to} Whatever suits you best: {options_text}.\n"
        "\n"
        f"{goal['offer']} If now is a bad time, there is no need to reply.\n"
        "\n"
        "Thank you,\n"
        f"{me_name}\n"
    )


def body_of_draft(text: str) -> str:
    return text.split("\n---\n", 1)[1].strip()


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs, each on one line: outreach wraps its lines at 72, mailmerge
    leaves them as the template has them."""
    return [" ".join(paragraph.split()) for paragraph in text.strip().split("\n\n")]


def check_same_text(mailmerge_dir: Path, workspace: Path, person_id: str) -> None:
    """Warn when mailmerge's first message and outreach's draft for that person differ."""
    result = subprocess.run(
        [*mailmerge_argv(mailmerge_dir), "--limit", "1", "--output-format", "text"],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    message = result.stdout.split("\n\n", 1)[-1].split(">>> message 1 sent")[0].strip()
    draft = (workspace / "drafts" / f"{person_id}--request.md").read_text(encoding="utf-8")
    if paragraphs(message) != paragraphs(body_of_draft(draft)):
        print(
            "warning: mailmerge's message and outreach's draft differ in text; the shipped "
            "request template or the example goal changed? (bench/drafting.py: "
            "mailmerge_template)",
            file=sys.stderr,
        )


def mailmerge_argv(folder: Path) -> list[str]:
    return [
        program("mailmerge"),
        "--no-limit",
        "--dry-run",
        "--template",
        str(folder / "request.txt"),
        "--database",
        str(folder / "people.csv"),
        "--config",
        str(folder / "server.conf"),
    ]


def main() -> int:
    args = arguments(__doc__.split("\n")[0], runs=5, people=5_000)
    outreach = program("outreach")
    with work_folder("drafting", args.keep) as folder:
        print(f"making a workspace with {args.people:,} people ...", file=sys.stderr)
        people = make_people(args.people)
        pristine = make_workspace(folder / "pristine", people)

        # mailmerge: the same people as CSV, the same text as its template.
        merge = folder / "mailmerge"
        merge.mkdir()
        write_csv(merge / "people.csv", people)
        (merge / "request.txt").write_text(mailmerge_template(pristine), encoding="utf-8")
        (merge / "server.conf").write_text(MAILMERGE_CONFIG, encoding="utf-8")

        # --replace: a workspace drafted once already, its contacts cache warm.
        again = folder / "replace"
        shutil.copytree(pristine, again)
        run([outreach, "draft", "request", "--all"], cwd=again)
        drafted = len(list((again / "drafts").glob("*.md")))
        if drafted != len(people):
            sys.exit(f"bench: outreach drafted {drafted} of {len(people)} people")
        check_same_text(merge, again, person_id(people[0]))

        # --replace after the template's words changed: a workspace drafted once, whose
        # template is edited before each run (one word, back and forth).
        changed = folder / "changed"
        shutil.copytree(again, changed)
        changed_template = changed / "templates" / "request.md"
        words = changed_template.read_text(encoding="utf-8")
        if "Thank you," not in words:
            sys.exit("bench: the shipped request template no longer says 'Thank you,'")
        variants = [words.replace("Thank you,", "With thanks,"), words]

        closing = ["With thanks,", "Thank you,"]
        sample = changed / "drafts" / f"{person_id(people[-1])}--request.md"

        def edit_template() -> None:
            changed_template.write_text(variants[0], encoding="utf-8")
            variants.reverse()
            closing.reverse()

        def drafted_again() -> None:
            if closing[1] not in sample.read_text(encoding="utf-8"):
                sys.exit("bench: --replace after a template change did not draft again")

        fresh = folder / "fresh"
        floor_out = folder / "floor-drafts"

        def fresh_workspace() -> None:
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.copytree(pristine, fresh)

        def empty_floor() -> None:
            shutil.rmtree(floor_out, ignore_errors=True)

        cases = [
            Case(
                "outreach draft request --all (fresh workspace)",
                [outreach, "draft", "request", "--all"],
                cwd=fresh,
                setup=fresh_workspace,
            ),
            Case(
                "outreach draft request --all --replace",
                [outreach, "draft", "request", "--all", "--replace"],
                cwd=again,
            ),
            Case(
                "outreach ... --replace, the template changed",
                [outreach, "draft", "request", "--all", "--replace"],
                cwd=changed,
                setup=edit_template,
                check=drafted_again,
            ),
            Case("mailmerge --no-limit --dry-run", mailmerge_argv(merge)),
            Case(
                "floor (CSafeLoader + Jinja + write)",
                [sys.executable, str(BENCH_DIR / "floor.py"), str(pristine), str(floor_out)],
                setup=empty_floor,
            ),
        ]
        fresh_case, replace_case, changed_case, mailmerge_case, floor_case = cases
        print(f"timing {len(cases)} commands, {args.runs} runs each ...", file=sys.stderr)
        measure(cases, args.runs, warmup=1)
        written = len(list(floor_out.glob("*.md")))
        if written != len(people):
            sys.exit(f"bench: the floor wrote {written} of {len(people)} files")
    passed = report(
        f"drafting the request for {args.people:,} people (issue 3)",
        cases,
        [
            Target("fresh workspace / mailmerge", fresh_case, mailmerge_case, 1.0),
            Target("fresh workspace / floor", fresh_case, floor_case, 1.05),
            Target("--replace / mailmerge (issue 12)", replace_case, mailmerge_case, 0.5),
            Target("--replace / mailmerge (issue 15)", replace_case, mailmerge_case, 0.25),
        ],
        args.runs,
    )
    print(
        "--replace after a template change / mailmerge (reported, every draft rendered): "
        f"{changed_case.median / mailmerge_case.median:.2f}x median, "
        f"{changed_case.best / mailmerge_case.best:.2f}x min"
    )
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
