"""The fields of a file's mapping, each given once."""

from __future__ import annotations


def given_twice(lines: dict[str, int], key: str, line: int) -> str | None:
    """Why `key` cannot be given again, naming the line it was first given on; else None,
    and `key` is recorded as given on `line`."""
    if key in lines:
        return f"is given twice (also on line {lines[key]})"
    lines[key] = line
    return None
