"""An export's bytes as text: UTF-8, UTF-16 or UTF-32 by its byte-order mark, else Windows-1252.

Outlook saves contacts as "CSV (Windows)" in the system's ANSI code page (Windows-1252 in
Western Europe and the Americas) and as "Unicode text" in UTF-16 with a byte-order mark,
tab-separated; other programs write UTF-8, with or without a mark.
"""

from __future__ import annotations

import codecs

from outreach.support.errors import OutreachError, Problem, at

FALLBACK = "windows-1252"
# UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's.
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def known_encoding(name: str) -> str | None:
    """The codec's own name for NAME ('cp1252' -> 'cp1252'), or None where Python has none."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_export(
    data: bytes, filename: str, encoding: str | None = None
) -> tuple[str, str | None]:
    """The file's text, and a notice where its encoding was guessed.

    ENCODING, where given, decides; else a byte-order mark; else UTF-8; else Windows-1252.
    """
    if encoding:
        return _decode(data, encoding, filename).removeprefix("\ufeff"), None
    for mark, codec in _MARKS:
        if data.startswith(mark):
            return _decode(data, codec, filename), None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise OutreachError(
            Problem(
                at(filename, line),
                "the file holds NUL bytes, as UTF-16 without a byte-order mark does; "
                "give its encoding, as in --encoding utf-16-le",
            )
        )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    text = _decode(data, FALLBACK, filename, "neither UTF-8 nor Windows-1252")
    return text, (
        f'{filename} is not UTF-8: read as Windows-1252 (Outlook\'s "ANSI"); where a name '
        "looks wrong, give the file's encoding with --encoding"
    )


def _decode(data: bytes, codec: str, filename: str, what: str | None = None) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        line = data[: error.start].decode(codec, errors="replace").count("\n") + 1
        byte = data[error.start]
        raise OutreachError(
            Problem(
                at(filename, line),
                f"{what or 'not ' + codec + ' text'} (byte 0x{byte:02x}); give the file's "
                "encoding with --encoding, or save it as UTF-8",
            )
        ) from None
