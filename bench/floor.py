"""The floor for drafting: the least work that turns contacts.yaml into one file per person.

Loads contacts.yaml with PyYAML's C loader, renders the workspace's request template with
plain Jinja (no sandbox, no checks), and writes one file per person. Nothing is validated:
this is what any drafting tool must at least do, and outreach is measured against it.

Usage: python bench/floor.py WORKSPACE OUTPUT_DIR
"""

from __future__ import annotations

import hashlib
import re
import sys
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import jinja2
import yaml


def split(text: str) -> tuple[dict[str, Any], str]:
    _, front, body = text.split("---\n", 2)
    return yaml.load(front, Loader=yaml.CSafeLoader), body


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    if words:
        return "-".join(words)
    return "person-" + hashlib.sha1(name.encode()).hexdigest()[:6]


def join_or(items: Any, conjunction: str = "or") -> str:
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def main(workspace: Path, output: Path) -> None:
    people = yaml.load((workspace / "contacts.yaml").read_bytes(), Loader=yaml.CSafeLoader)
    goal, story = split((workspace / "goal.md").read_text(encoding="utf-8"))
    goal["story"] = story.strip()
    settings = tomllib.loads((workspace / "outreach.toml").read_text(encoding="utf-8"))
    front, body = split((workspace / "templates" / "request.md").read_text(encoding="utf-8"))
    env = jinja2.Environment(
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False
    )
    env.filters["join_or"] = join_or
    subject_template = env.from_string(front["subject"])
    body_template = env.from_string(body)
    context: dict[str, Any] = {"goal": goal, "me": settings["me"]}
    output.mkdir(parents=True, exist_ok=True)
    for person in people:
        name = person["name"]
        contact = dict(person)
        contact.setdefault("first_name", name.split()[0])
        context["contact"] = contact
        subject = subject_template.render(context)
        text = body_template.render(context).strip("\n")
        draft = f"---\nto: {name} <{person['email']}>\nsubject: {subject}\n---\n{text}\n"
        path = output / f"{person.get('id') or slug(name)}--request.md"
        path.write_text(draft, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
