"""The contacts cache: the validated people of contacts.yaml, kept in .outreach/contacts.json.

A first line of JSON names the format, the key (a hash of contacts.yaml's bytes) and the
fields; then one JSON object holds a row per person, the values in field order, with `tags`
and `written` as numbers into tables of the distinct values (thousands of people share a
few dozen of each). The first line is checked before the rest is parsed, and each row
becomes a Contact in one call. JSON, never pickle: a workspace may come from someone else,
and reading it must not run their code.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from outreach import __version__
from outreach.people.contact import Contact
from outreach.support.files import atomic_write

# The number changes whenever the checks in reading.py do (4: control characters and the
# bound on ids), so that a file cached under the old rules is checked again under the new.
_CACHE_FORMAT = f"contacts-cache-4-{__version__}"

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


def write_cache(cache_file: Path, key: str, contacts: Iterable[Contact]) -> None:
    header = {"format": _CACHE_FORMAT, "key": key, "fields": list(_FIELDS)}
    # A cache that cannot be written only costs time.
    with contextlib.suppress(OSError, TypeError, ValueError):
        atomic_write(cache_file, _chunks(orjson.dumps(header) + b"\n", contacts))


_ROWS_AT_ONCE = 1000


def _chunks(header: bytes, contacts: Iterable[Contact]) -> Iterator[bytes]:
    """The file, a thousand rows at a time as they are made: the rows of 100,000 people, and
    their JSON, would double the memory of reading them. The tables come after the rows."""
    tags: dict[tuple[str, ...], int] = {}
    written: dict[tuple[str, ...], int] = {}
    remaining = iter(contacts)
    yield header + b'{"rows":['
    separator = b""
    while chunk := list(itertools.islice(remaining, _ROWS_AT_ONCE)):
        yield separator + orjson.dumps([_row(contact, tags, written) for contact in chunk])[1:-1]
        separator = b","
    yield b'],"tags":' + orjson.dumps(list(tags)) + b',"written":' + orjson.dumps(list(written))
    yield b"}\n"


def _row(
    contact: Contact, tags: dict[tuple[str, ...], int], written: dict[tuple[str, ...], int]
) -> list[Any]:
    row: list[Any] = []
    for name in _FIELDS:
        value = getattr(contact, name)
        if name == "last_contact":
            value = value.isoformat() if value is not None else None
        elif name == "tags":
            value = tags.setdefault(tuple(value), len(tags))
        elif name == "written":
            value = written.setdefault(tuple(sorted(value)), len(written))
        elif name == "custom":
            value = dict(value)
        row.append(value)
    return row


def _from_body(body: dict[str, Any]) -> list[Contact]:
    at_date = _FIELDS.index("last_contact")
    at_tags = _FIELDS.index("tags")
    at_written = _FIELDS.index("written")
    at_custom = _FIELDS.index("custom")
    tags = [tuple(item) for item in body["tags"]]
    written = [frozenset(item) for item in body["written"]]
    from_iso = date.fromisoformat
    make = Contact._make
    contacts = []
    for row in body["rows"]:
        if len(row) != len(_FIELDS):
            raise ValueError("a cached row of the wrong width")
        if row[at_date] is not None:
            row[at_date] = from_iso(row[at_date])
        row[at_tags] = tags[row[at_tags]]
        row[at_written] = written[row[at_written]]
        row[at_custom] = MappingProxyType(row[at_custom])
        contacts.append(make(row))
    return contacts
