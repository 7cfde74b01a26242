"""The contacts cache: the validated people of contacts.yaml, kept in .outreach/contacts.json.

A first line of JSON names the format, the key (a hash of contacts.yaml's bytes) and the
fields; then one JSON object holds a column per field, each the values of that field for
every person in order, with `tags` and `written` as numbers into tables of the distinct
values (thousands of people share a few dozen of each). The first line is checked before
the rest is parsed. Column by column, each field is put right by one call over the whole
column, and each person becomes a Contact without a line of Python running per person:
loading 10,000 people is then mostly orjson's parse. JSON, never pickle: a workspace may
come from someone else, and reading it must not run their code.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from outreach import __version__
from outreach.people.contact import Contact
from outreach.support.files import atomic_write

# The number changes whenever the checks in reading.py do (4: control characters and the
# bound on ids), so that a file cached under the old rules is checked again under the new,
# and whenever the layout does (5: a column per field).
_CACHE_FORMAT = f"contacts-cache-5-{__version__}"

_FIELDS = Contact._fields


def read_cache(cache_file: Path, key: str) -> list[Contact] | None:
    collecting = gc.isenabled()
    try:
        with cache_file.open("rb") as handle:
            header = orjson.loads(handle.readline())
            if (
                header.get("format") != _CACHE_FORMAT
                or header.get("key") != key
                or header.get("fields") != list(_FIELDS)
            ):
                return None
            data = handle.read()
        # Tens of thousands of new containers, and no cycles among them: without the
        # cycle collector running again and again over them, loading is a fifth faster.
        gc.disable()
        return _from_body(orjson.loads(data))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None
    finally:
        if collecting:
            gc.enable()


def write_cache(cache_file: Path, key: str, contacts: Sequence[Contact]) -> None:
    header = {"format": _CACHE_FORMAT, "key": key, "fields": list(_FIELDS)}
    # A cache that cannot be written only costs time.
    with contextlib.suppress(OSError, TypeError, ValueError):
        atomic_write(cache_file, _chunks(orjson.dumps(header) + b"\n", contacts))


def _chunks(header: bytes, contacts: Sequence[Contact]) -> Iterator[bytes]:
    """The file, a column at a time: one field of every person in memory as JSON at once,
    never the whole file (for 100,000 people it would double the memory of reading them)."""
    tags: dict[tuple[str, ...], int] = {}
    written: dict[tuple[str, ...], int] = {}
    yield header + b'{"columns":['
    for number, name in enumerate(_FIELDS):
        column: list[Any] = [getattr(contact, name) for contact in contacts]
        if name == "last_contact":
            column = [None if day is None else day.isoformat() for day in column]
        elif name == "tags":
            column = [tags.setdefault(tuple(value), len(tags)) for value in column]
        elif name == "written":
            column = [written.setdefault(tuple(sorted(value)), len(written)) for value in column]
        elif name == "custom":
            column = [dict(value) for value in column]
        yield (b"," if number else b"") + orjson.dumps(column)
    yield b'],"tags":' + orjson.dumps(list(tags)) + b',"written":' + orjson.dumps(list(written))
    yield b"}\n"


_EMPTY: Mapping[str, Any] = MappingProxyType({})
_new_contact = partial(tuple.__new__, Contact)  # Contact._make without its frame per person


def _from_body(body: dict[str, Any]) -> list[Contact]:
    """The people of the columns (ValueError where two columns differ in length)."""
    columns = dict(zip(_FIELDS, body["columns"], strict=True))
    from_iso = date.fromisoformat
    columns["last_contact"] = [
        None if day is None else from_iso(day) for day in columns["last_contact"]
    ]
    columns["tags"] = list(map([tuple(item) for item in body["tags"]].__getitem__, columns["tags"]))
    columns["written"] = list(
        map([frozenset(item) for item in body["written"]].__getitem__, columns["written"])
    )
    columns["custom"] = [
        MappingProxyType(value) if value else _EMPTY for value in columns["custom"]
    ]
    return list(map(_new_contact, zip(*(columns[name] for name in _FIELDS), strict=True)))
