"""What each draft was rendered from, kept in `.outreach/drafted.json`, so that `draft
--replace` need not render again a draft whose inputs have not changed since it was written.

A draft is left unrendered only when both are proven:

- its inputs are the same: a hash of everything its render and its front matter depend on
  (`inputs_key`: the template file's bytes, the whole render context of the person, the
  settings that shape the front matter, today's date, the versions of outreach, Jinja and
  Python), the same as when it was written;
- its file is the one written then: the same inode, size and modification time (in
  nanoseconds), so an edit, an approval, or any other program's write makes it differ.

Anything else (no record, another key, another file, a template whose output is not fixed by
its inputs, or one with attachments, which are checked again at each drafting) is rendered
as before. The record is a cache: one that is missing, unreadable or stale only costs time.

The record also keeps, for each template whose drafts it holds, the proof that its file
compiled, with none of `random` or `lipsum` in it (`compiled_proof`: a hash of the file's
bytes and the versions of outreach, Jinja and Python). A template whose proof matches is
compiled at its first render (composing/loading.py), so a --replace that renders nothing
never imports Jinja; a compile cannot fail then, since the same bytes compiled before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from outreach.composing.context import BY_PERSON, Own, Shared

if TYPE_CHECKING:
    from outreach.people.contact import Contact
    from outreach.workspace.templates import Template

try:  # the built-in module: hashlib would load OpenSSL's first
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b as _blake2b

_FORMAT = 2  # 2: Jinja's release read from its file, and the templates' proofs
RECORD_NAME = "drafted.json"

# One draft's entry: (inputs key, inode, size, mtime_ns, message_id).
Entry = tuple[str, int, int, int, str]


def file_proof(stat: os.stat_result) -> tuple[int, int, int]:
    """What tells the file written apart from any later one: inode, size, mtime in ns."""
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class Keyed(Protocol):
    """What a key is made from: a template, and whether its output is fixed by its inputs
    (a Renderer, or a template loaded and not compiled yet: composing/loading.py)."""

    @property
    def template(self) -> Template: ...

    @property
    def deterministic(self) -> bool: ...


def _versions() -> tuple[object, ...]:
    from outreach import __version__

    return (_FORMAT, __version__, jinja_release(), sys.version)


@functools.cache
def jinja_release() -> str:
    """Which Jinja renders (autoescape is off: MarkupSafe makes no text): the hash of its
    package's `__init__.py`, which names its release, found without importing Jinja (a
    --replace that renders nothing does without it)."""
    import importlib.util

    spec = importlib.util.find_spec("jinja2")
    origin = spec.origin if spec is not None else None
    try:
        data = Path(origin).read_bytes() if origin else b""
    except OSError:
        data = b""
    return _blake2b(data, digest_size=16).hexdigest()


def compiled_proof(source: bytes) -> str:
    """What the record keeps for a template whose file compiled, with output fixed by its
    inputs: these bytes, with these versions of what compiles them."""
    digest = _blake2b(source, digest_size=16)
    digest.update(repr(_versions()).encode())
    return digest.hexdigest()


def shared_key(
    renderer: Keyed, shared: Shared, reply_to: str | None, source: bytes | None = None
) -> bytes | None:
    """The part of every person's key that a command shares, or None where the template's
    drafts may not be skipped (output not fixed by its inputs, or attachments to check).
    `source`: the template file's bytes it was made from (else the file is read)."""
    template = renderer.template
    if not renderer.deterministic or template.attachments:
        return None
    if source is None:
        try:
            source = template.path.read_bytes()
        except OSError:
            return None
    # Every field of Shared but each person's parts (in inputs_key): goal, me, today, note.
    common = [
        (item.name, getattr(shared, item.name))
        for item in dataclasses.fields(shared)
        if item.name not in BY_PERSON
    ]
    parts = (
        *_versions(),
        template.name,
        template.follow_up_text,
        reply_to,
        common,
    )
    digest = _blake2b(source, digest_size=16)
    digest.update(repr(parts).encode("utf-8", "surrogatepass"))
    return digest.digest()


def inputs_key(prefix: bytes, renderer: Keyed, person: Contact, shared: Shared, own: Own) -> str:
    """The hash of everything one person's draft is made from (see the module's text):
    `prefix` from shared_key, `own` the person's own render arguments."""
    thread = shared.threads.get(person.id) if renderer.template.thread else None
    parts = (
        own.contact,  # a plain tuple: a NamedTuple's repr is made in Python
        own.journal,
        person.name,  # the to: line
        person.email,
        thread.reply_references if thread is not None else None,
    )
    digest = _blake2b(prefix, digest_size=16)
    digest.update(repr(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass
class Record:
    """The entries read at the start of a command, and those it leaves for the next one."""

    path: Path
    old: Mapping[str, Entry]
    new: dict[str, Entry | None] = field(default_factory=dict)  # None: no entry any more
    proofs: dict[str, str] = field(default_factory=dict)  # each template's compiled_proof
    old_proofs: Mapping[str, str] = field(default_factory=dict)  # as read

    def compiles(self, name: str, source: bytes) -> bool:
        """Whether the template `name` with these bytes compiled before, with output fixed
        by its inputs (see the module's text)."""
        proof = self.proofs.get(name)
        return proof is not None and proof == compiled_proof(source)

    def compiled(self, name: str, source: bytes) -> None:
        """The template `name` with these bytes compiled, with output fixed by its inputs."""
        self.proofs[name] = compiled_proof(source)

    def unchanged(self, name: str, key: str, stat: os.stat_result | None) -> str | None:
        """The message_id of the draft `name` where it was written from `key` and its file
        is the one written then; else None."""
        entry = self.old.get(name)
        if entry is None or stat is None or entry[0] != key:
            return None
        if (entry[1], entry[2], entry[3]) != file_proof(stat):
            return None
        return entry[4]

    def keep(self, name: str, key: str | None, stat: os.stat_result, message_id: str) -> None:
        """The draft `name` as it is now in drafts/; key None: not to be kept unrendered."""
        self.new[name] = None if key is None else (key, *file_proof(stat), message_id)

    def save(self, present: Iterable[str]) -> None:
        """The entries of the drafts that are in drafts/ now: this command's, and the older
        ones of drafts it did not touch (other templates, other people)."""
        import orjson

        from outreach.support.files import atomic_write

        entries = {name: self.old[name] for name in present if name in self.old}
        for name, entry in self.new.items():
            if entry is None:
                entries.pop(name, None)
            else:
                entries[name] = entry
        if entries == self.old and self.proofs == self.old_proofs:
            return
        data = orjson.dumps({"format": _FORMAT, "drafts": entries, "templates": self.proofs})
        with contextlib.suppress(OSError):  # a record that cannot be written only costs time
            atomic_write(self.path, data)


def read_record(state_dir: Path) -> Record:
    """The record of the drafts, empty where there is none or it does not read."""
    import orjson

    path = state_dir / RECORD_NAME
    try:
        loaded: Any = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return Record(path, {})
    entries: dict[str, Entry] = {}
    proofs: dict[str, str] = {}
    if isinstance(loaded, dict) and loaded.get("format") == _FORMAT:
        drafts = loaded.get("drafts")
        if isinstance(drafts, dict):
            for name, entry in drafts.items():
                if _well_formed(entry):
                    entries[name] = tuple(entry)
        templates = loaded.get("templates")
        if isinstance(templates, dict):
            proofs = {k: v for k, v in templates.items() if isinstance(v, str)}
    return Record(path, entries, proofs=dict(proofs), old_proofs=proofs)


def _well_formed(entry: Any) -> bool:
    return (
        isinstance(entry, list)
        and len(entry) == 5
        and isinstance(entry[0], str)
        and all(type(number) is int for number in entry[1:4])
        and isinstance(entry[4], str)
    )
