"""Shared helpers for the benchmarks: timing commands, synthetic workspaces, the report.

Every benchmark runs its commands as subprocesses, interleaved round by round (A, B, C,
A, B, C, ...), so that the machine's mood affects every side alike, and prints the
figures and their ratios next to the targets. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"  # gitignored; used with --keep


# --- finding the programs ----------------------------------------------------------


def program(name: str) -> str:
    """A console script installed next to this Python (the venv's bin), else on PATH."""
    for folder in (Path(sys.executable).parent, Path(sys.executable).resolve().parent):
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"bench: '{name}' is not installed next to {sys.executable} nor on PATH")
    return found


_PYCACHE: list[Path] = []  # set by work_folder: where the commands keep their bytecode


def clean_env() -> dict[str, str]:
    """The environment for every command: no workspace override, no debug switches, and
    bytecode written and reused (as after a normal install) in the run's own folder, so
    that a PYTHONDONTWRITEBYTECODE in the caller's environment does not make every run
    compile every module again, and nothing is written into the source tree."""
    env = dict(os.environ)
    for name in (
        "OUTREACH_WORKSPACE",
        "OUTREACH_DEBUG",
        "PYTHONPROFILEIMPORTTIME",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONPYCACHEPREFIX",
    ):
        env.pop(name, None)
    if _PYCACHE:
        env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE[-1])
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run(argv: Sequence[str], cwd: Path | None = None) -> str:
    """Run a command untimed; stop the benchmark with its error output if it fails."""
    result = subprocess.run(
        list(argv), cwd=cwd, env=clean_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(
            f"bench: {' '.join(argv)} (in {cwd or Path.cwd()}) failed with exit "
            f"{result.returncode}:\n{result.stderr.strip()}"
        )
    return result.stdout or ""


# --- timing ------------------------------------------------------------------------


@dataclass
class Case:
    """One command to time: its label, argv and folder; `setup` runs untimed before each run,
    `check` untimed after each run (it stops the benchmark when the run did not do its job)."""

    label: str
    argv: Sequence[str]
    cwd: Path | None = None
    setup: Callable[[], None] | None = None
    check: Callable[[], None] | None = None
    times: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)  # the child's peak RSS, MiB, each run

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak_mib(self) -> float:
        return statistics.median(self.peaks)

    @property
    def best(self) -> float:
        return min(self.times)


# A child's ru_maxrss (from wait4) is at least its parent's RSS when it was forked: Linux keeps
# the high-water mark of the copy it replaces at exec. Measured through GNU time, a small
# program, the figure is the command's own; without it, a command smaller than this bench
# process shows the bench's size.
_GNU_TIME = shutil.which("time", path="/usr/bin:/bin")


def _time_once(case: Case) -> float:
    """One timed run; the child's own peak RSS goes into case.peaks (through GNU time where
    it is installed, else from wait4's rusage: see _GNU_TIME)."""
    if case.setup is not None:
        case.setup()
    env = clean_env()
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile("r") as peak:
        argv = list(case.argv)
        if _GNU_TIME is not None:
            argv = [_GNU_TIME, "-q", "-f", "%M", "-o", peak.name, *argv]
        started = time.perf_counter()
        child = subprocess.Popen(
            argv,
            cwd=case.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            error = errors.read().decode("utf-8", "replace").strip()
            sys.exit(f"bench: '{case.label}' failed with exit {child.returncode}:\n{error}")
        written = peak.read().split()
    if _GNU_TIME is not None and written and written[-1].isdigit():
        kib = float(written[-1])
    else:
        kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    case.peaks.append(kib / 1024)
    if case.check is not None:
        case.check()
    return elapsed


def measure(cases: Sequence[Case], runs: int, warmup: int = 1) -> None:
    """Time every case `runs` times, interleaved round by round, after untimed warm-up rounds."""
    progress = sys.stderr.isatty()
    for _ in range(warmup):
        for case in cases:
            _time_once(case)
    for round_number in range(1, runs + 1):
        for case in cases:
            case.times.append(_time_once(case))
        if progress:
            print(f"  round {round_number}/{runs} done", file=sys.stderr, end="\r", flush=True)
    if progress:
        print(" " * 40, file=sys.stderr, end="\r", flush=True)


# --- synthetic people ----------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alan Amara Andrea Anna Ben Carla Chen Chidi Daniel David Diego Elena Emma Ethan Fatima "
    "Felix Grace Hannah Hugo Ibrahim Isla Jack James Jana Julia Kai Kamala Kenji Laura Leo Lina "
    "Lucas Maria Mark Maya Mei Mia Noah Nora Olivia Omar Oscar Paul Priya Rachel Ravi Rosa Ruth "
    "Sam Sara Sofia Tara Theo Tom Uma Victor Wei Yara Yusuf Zara"
)
LAST_NAMES = _words(
    "Adams Ahmed Baker Banerjee Brown Campbell Carter Chen Clark Cohen Davies Diaz Edwards Evans "
    "Fischer Garcia Gupta Hall Harris Hopper Ito Jackson Johnson Jones Kim King Kowalski Lee "
    "Lewis Lopez Lovelace Martin Mensah Miller Moore Murphy Nakamura Nguyen Novak Okafor Park "
    "Patel Perez Petrov Reyes Roberts Rossi Santos Schmidt Scott Silva Singh Smith Tanaka Taylor "
    "Thomas Turner Walker White Williams Wilson Wright Young"
)
# Latin names with accents: their ids drop the accents (José Núñez is jose-nunez).
ACCENTED_FIRST = _words("José Zoë Łukasz Søren Chloé Márta Björn Ângela Dóra Íñigo Ørjan Çağla")
ACCENTED_LAST = _words("Núñez Brontë Wójcik Kierkegård Müller Ibáñez Şahin Dvořák Gómez Lindqvist")
# Names in scripts with no Latin letters: their ids are person- and a short hash.
OTHER_SCRIPT = _words(
    "王芳 李伟 张敏 陈静 刘洋 田中花子 佐藤健 김민준 이서연 Дмитрий Иванов Ольга Смирнова "
    "Αλέξανδρος Παππάς محمد علي"
)
HOW_WE_KNOW = (
    "the Python user group",
    "Brightside, where we shared a desk",
    "Harbor Labs",
    "the climbing gym",
    "the Northwind project",
    "university",
    "the design meetup",
    "my cousin's solar co-op",
    "the hackathon in Lisbon",
    "the neighbourhood choir",
)
NICKNAMES = ("Sasha", "Kit", "Jo", "Bea", "Max", "Teo", "Lu", "Dani")
COMPANIES = (
    "Analytical Energy",
    "Gridwise",
    "Verdant Grid",
    "Northwind Analytics",
    "Cedar Labs",
    "Fjord Solar",
    "Brightside",
    "Harbor Labs",
)
TAGS = ("python", "mentors", "design", "climate", "alumni", "climbing", "music", "friends")
CHANNELS = ("phone", "video", "coffee", "meal", "email")
KEEP_IN_TOUCH = ("30d", "60d", "6w", "3m", "90d")
NOTES = (
    "Asked about my thesis last spring.",
    "Moved to Berlin in March; loves trail running.",
    "Introduced me to the Gridwise team once.",
    "Owes me nothing; I owe her a coffee.",
)


def person_id(person: dict[str, object]) -> str:
    """The id outreach gives the person: the one written, or a slug of the name."""
    from outreach.people.contact import slug

    return str(person.get("id") or slug(str(person["name"])))


def _names(rng: random.Random) -> Iterator[str]:
    """Unique names: mostly plain, one in twelve accented, one in forty in another script."""
    plain = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    accented = [f"{f} {last}" for f in ACCENTED_FIRST for last in ACCENTED_LAST]
    other = [f"{a} {b}" for a in OTHER_SCRIPT for b in OTHER_SCRIPT if a != b]
    for pool in (plain, accented, other):
        rng.shuffle(pool)
    counter = 0
    while True:
        counter += 1
        draw = rng.random()
        pool = other if draw < 0.025 else accented if draw < 0.11 else plain
        if not pool:
            pool = plain
        if pool:
            yield pool.pop()
        else:  # more people than combinations: number the rest
            yield f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {counter}"


def make_people(count: int, seed: int = 2026) -> list[dict[str, object]]:
    """`count` people of realistic shape, every one with a unique email and none with doubts,
    so that every one of them is drafted by `outreach draft request --all`."""
    from outreach.people.contact import slug

    rng = random.Random(seed)
    people: list[dict[str, object]] = []
    ids: set[str] = set()
    names = _names(rng)
    for number in range(1, count + 1):
        name = next(names)
        person: dict[str, object] = {"name": name}
        person_id = slug(name)
        if person_id in ids:  # two names with one slug: the second gets its own id
            person_id = f"{person_id}-{number}"
            person["id"] = person_id
        ids.add(person_id)
        local = person_id.replace("-", ".")
        person["email"] = f"{local}.{number}@example.org"
        if rng.random() < 0.15:
            person["first_name"] = rng.choice(NICKNAMES)
        if rng.random() < 0.7:
            person["how_we_know"] = rng.choice(HOW_WE_KNOW)
        if rng.random() < 0.5:
            person["like"] = True
        if rng.random() < 0.4:
            person["can_help"] = True
        if rng.random() < 0.05:
            person["doubts"] = False
        if rng.random() < 0.6:
            person["channel"] = rng.choice(CHANNELS)
        if rng.random() < 0.5:
            person["keep_in_touch"] = rng.choice(KEEP_IN_TOUCH)
        if rng.random() < 0.4:
            person["last_contact"] = datetime.date(2026, 1, 1) + datetime.timedelta(
                days=rng.randrange(300)
            )
        if rng.random() < 0.6:
            person["tags"] = sorted(rng.sample(TAGS, rng.randint(1, 3)))
        if rng.random() < 0.5:
            person["company"] = rng.choice(COMPANIES)
        if rng.random() < 0.25:
            person["notes"] = rng.choice(NOTES)
        people.append(person)
    return people


def contacts_yaml(people: Sequence[dict[str, object]]) -> str:
    """contacts.yaml as a person writes it: a header comment, one blank line between people."""
    try:
        dumper: type = yaml.CSafeDumper
    except AttributeError:  # pragma: no cover - PyYAML without libyaml
        dumper = yaml.SafeDumper
    body = yaml.dump(
        list(people),
        Dumper=dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=100,
    )
    header = f"# {len(people)} synthetic people for the benchmarks (all at example.org).\n\n"
    return header + body.replace("\n- ", "\n\n- ")


CSV_COLUMNS = ("email", "name", "first_name", "how_we_know", "channel", "company", "tags", "notes")


def write_csv(path: Path, people: Sequence[dict[str, object]]) -> None:
    """The same people as a CSV export (what mailmerge reads): first_name filled in."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS)
        writer.writeheader()
        for person in people:
            row = {key: person.get(key, "") for key in CSV_COLUMNS}
            row["first_name"] = person.get("first_name") or str(person["name"]).split()[0]
            row["tags"] = ", ".join(person.get("tags", ()))  # type: ignore[arg-type]
            writer.writerow(row)


def make_workspace(root: Path, people: Sequence[dict[str, object]]) -> Path:
    """`outreach init --example ROOT`, then contacts.yaml replaced by `people`."""
    run([program("outreach"), "init", "--example", str(root)])
    (root / "contacts.yaml").write_text(contacts_yaml(people), encoding="utf-8")
    return root


# --- a synthetic journal --------------------------------------------------------------

JOURNAL_NOTES = (
    "coffee; she suggested the Gridwise team",
    "call about portfolio reviews",
    "sent him the user-research templates",
    "introduced me to a hiring manager",
    "lunch near the office; talked about heat pumps",
    "shared a conference ticket",
    "birthday",
    "moved teams in the spring",
)
FOLLOW_UP_DAYS = {"request": (7, 7, 14), "follow-up": (7, None)}  # others: none
# What happens next with a person, by where their story stands: (kind, template kind), weight.
NEXT_ENTRY: dict[str, tuple[tuple[tuple[str, str | None], int], ...]] = {
    "quiet": (
        (("sent", "request"), 20),
        (("sent", "check-in"), 25),
        (("gave", None), 12),
        (("received", None), 8),
        (("note", None), 15),
        (("replied", None), 10),
        (("met", None), 5),
        (("call", None), 5),
    ),
    "asked": (  # a request or follow-up waits for an answer
        (("replied", None), 40),
        (("met", None), 15),
        (("call", None), 10),
        (("sent", "follow-up"), 20),
        (("note", None), 15),
    ),
    "met": (  # a meeting or call waits for its thank-you
        (("sent", "thank-you"), 60),
        (("gave", None), 10),
        (("note", None), 15),
        (("received", None), 5),
        (("replied", None), 10),
    ),
}


def _story_state(state: str, kind: str, template_kind: str | None) -> str:
    if template_kind in ("request", "follow-up"):
        return "asked"
    if kind in ("met", "call"):
        return "met"
    if kind == "replied" or template_kind == "thank-you":
        return "quiet"
    return state


def make_journal(
    path: Path, person_ids: Sequence[str], count: int, today: datetime.date, seed: int = 2026
) -> dict[str, int]:
    """A journal of `count` entries over the two years before `today`, written in one
    transaction through outreach's own Journal (its schema, its encoding of each entry).

    Most people have a few entries and some have many (one in seven none at all); each
    person's story follows a rhythm: requests answered by replies, meetings and calls,
    thank-yous after those, follow-ups after silence, check-ins, gifts, notes. Sent
    entries keep their template, its kind and follow_up_after, as `outreach send` writes
    them. Entries go in in time order, so ids grow with time as in a real journal.
    Returns how many entries of each kind were written.
    """
    from outreach.journal.database import Entry, Journal

    rng = random.Random(seed)
    active = [pid for pid in person_ids if rng.random() >= 1 / 7]
    weights = [rng.paretovariate(1.6) for _ in active]
    scale = count / sum(weights)
    shares = [max(1, round(w * scale)) for w in weights]
    while sum(shares) > count:  # bring the total to exactly `count`
        index = rng.randrange(len(shares))
        if shares[index] > 1:
            shares[index] -= 1
    while sum(shares) < count:
        shares[rng.randrange(len(shares))] += 1
    first = datetime.datetime.combine(
        today - datetime.timedelta(days=730), datetime.time(), datetime.UTC
    )
    span = 730 * 24 * 3600
    entries: list[Entry] = []
    sends = 0
    for pid, share in zip(active, shares, strict=True):
        seconds = sorted(rng.randrange(span) for _ in range(share))
        state = "quiet"
        for second in seconds:
            moment = first + datetime.timedelta(seconds=second)
            table = NEXT_ENTRY[state]
            kind, template_kind = rng.choices(
                [what for what, _ in table], [weight for _, weight in table]
            )[0]
            state = _story_state(state, kind, template_kind)
            fields: dict[str, object] = {}
            if template_kind is not None:
                sends += 1
                fields = {
                    "subject": f"{template_kind.replace('-', ' ')} for {pid}",
                    "message_id": f"<bench.{sends}@example.org>",
                    "template": template_kind,
                    "template_kind": template_kind,
                    "follow_up_after": rng.choice(FOLLOW_UP_DAYS.get(template_kind, (None,))),
                }
            elif kind != "replied" or rng.random() < 0.3:
                fields = {"note": rng.choice(JOURNAL_NOTES)}
            day = moment.astimezone().date()
            entries.append(Entry(pid, kind, moment, day, **fields))  # type: ignore[arg-type]
    entries.sort(key=lambda entry: entry.at)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Journal(path) as journal, journal.transaction() as db:
        for entry in entries:
            journal._insert(db, entry)  # what Journal.add does, without a transaction each
    kinds: dict[str, int] = {}
    for entry in entries:
        kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
    return kinds


# --- working folders -----------------------------------------------------------------


@contextlib.contextmanager
def work_folder(name: str, keep: bool) -> Iterator[Path]:
    """A temporary folder for the run, removed after; with --keep, bench/.work/NAME, kept."""
    if keep:
        folder = WORK_DIR / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _PYCACHE.append(folder / "pycache")
        try:
            yield folder
        finally:
            _PYCACHE.pop()
        print(f"(working files kept in {folder})", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix=f"outreach-bench-{name}-") as temporary:
        _PYCACHE.append(Path(temporary) / "pycache")
        try:
            yield Path(temporary)
        finally:
            _PYCACHE.pop()


def arguments(
    description: str, runs: int, people: int, entries: int | None = None
) -> argparse.Namespace:
    """The options every benchmark takes; `--entries` (journal entries) where `entries` is given."""
    parser = argparse.ArgumentParser(description=description)
    if entries is not None:
        parser.add_argument(
            "--entries",
            type=int,
            default=entries,
            help=f"entries in the journal (default {entries:,})",
        )
    parser.add_argument(
        "--runs", type=int, default=runs, help=f"timed runs of each (default {runs})"
    )
    parser.add_argument(
        "--people", type=int, default=people, help=f"people in contacts.yaml (default {people})"
    )
    parser.add_argument(
        "--keep", action="store_true", help="work in bench/.work/ and keep the files afterwards"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when any target is missed")
    return parser.parse_args()


# --- the report ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """`numerator` must take at most `limit` times `denominator` (compared on medians)."""

    label: str
    numerator: Case
    denominator: Case
    limit: float

    @property
    def ratio(self) -> float:
        return self.numerator.median / self.denominator.median

    @property
    def best_ratio(self) -> float:
        return self.numerator.best / self.denominator.best

    @property
    def passed(self) -> bool:
        return self.ratio <= self.limit


def _seconds(value: float) -> str:
    return f"{value:.3f} s"


def report(title: str, cases: Sequence[Case], targets: Sequence[Target], runs: int) -> bool:
    """Print the figures and the ratios against their targets; True when every target is met."""
    print()
    print(title)
    print(
        f"{runs} timed runs of each, interleaved, after a warm-up; Python "
        f"{platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    print()
    width = max(len(case.label) for case in cases)
    print(f"{'command'.ljust(width)}  {'median':>9}  {'min':>9}  {'peak RSS':>10}")
    for case in cases:
        print(
            f"{case.label.ljust(width)}  {_seconds(case.median):>9}  {_seconds(case.best):>9}  "
            f"{case.peak_mib:>6.0f} MiB"
        )
    print()
    width = max(len(target.label) for target in targets)
    print(f"{'ratio'.ljust(width)}  {'median':>7}  {'min':>7}  {'target':>8}  result")
    for target in targets:
        print(
            f"{target.label.ljust(width)}  {target.ratio:>6.2f}x  {target.best_ratio:>6.2f}x  "
            f"{'<= ' + format(target.limit, 'g') + 'x':>8}  {'PASS' if target.passed else 'FAIL'}"
        )
    print()
    return all(target.passed for target in targets)
