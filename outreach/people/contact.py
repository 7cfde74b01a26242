"""A person of contacts.yaml as a value, and the id a name gives."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple

from outreach.support.text import MAX_NAME_LENGTH

BOOLEAN_FIELDS = ("like", "can_help", "doubts")


class Contact(NamedTuple):
    """One person of contacts.yaml, checked. A NamedTuple: cheap to build from the cache."""

    name: str
    id: str
    first_name: str
    email: str | None = None
    how_we_know: str | None = None
    like: bool = False
    can_help: bool = False
    doubts: bool = False
    channel: str | None = None
    keep_in_touch: str | None = None  # as written, e.g. "60d"
    keep_in_touch_days: int | None = None
    last_contact: date | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    custom: Mapping[str, Any] = MappingProxyType({})
    line: int = 0  # where the person starts in contacts.yaml
    written: frozenset[str] = frozenset()  # the keys the person wrote

    @property
    def label(self) -> str:
        """How messages name the person: 'Ada Lovelace (ada)'."""
        return f"{self.name} ({self.id})"

    @property
    def lists(self) -> str:
        """The person's lists in a word or two: 'like, can help'."""
        marks = [word for word, on in (("like", self.like), ("can help", self.can_help)) if on]
        if self.doubts:
            marks.append("doubts")
        return ", ".join(marks)

    def template_fields(self) -> dict[str, Any]:
        """What templates reach as `contact`: written fields, defaults and custom fields.

        Fields the person left out stay undefined, so `is defined` and `default()` work.
        """
        fields: dict[str, Any] = {"name": self.name, "id": self.id, "first_name": self.first_name}
        for key in ("email", "how_we_know", "channel", "keep_in_touch", "notes", "last_contact"):
            value = getattr(self, key)
            if value is not None:
                fields[key] = value
        for key in BOOLEAN_FIELDS:
            fields[key] = getattr(self, key)
        if "tags" in self.written:
            fields["tags"] = list(self.tags)
        fields.update(self.custom)
        return fields


def slug(name: str) -> str:
    """An id from a name: accents dropped, lowercase words joined by hyphens.

    A name with no Latin letters or digits gives `person-` and a short hash of it. A slug
    longer than MAX_NAME_LENGTH keeps the words that fit, then a short hash of the whole
    name, so that two long names that start alike still get two ids, the same every time."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    if not words:
        return "person-" + _short_hash(name)
    whole = "-".join(words)
    if len(whole) <= MAX_NAME_LENGTH:
        return whole
    room = MAX_NAME_LENGTH - 7  # a hyphen and six hex digits follow
    kept = words[0][:room]
    for word in words[1:]:
        if len(kept) + 1 + len(word) > room:
            break
        kept += "-" + word
    return f"{kept}-{_short_hash(name)}"


def _short_hash(name: str) -> str:
    try:  # the built-in module: hashlib would load OpenSSL's first (3 ms of every command)
        from _sha1 import sha1  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import sha1
    return str(sha1(name.encode()).hexdigest()[:6])
