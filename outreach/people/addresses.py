"""Email addresses, checked by email-validator (syntax only: nothing leaves the machine).

email-validator takes a tenth of a millisecond or more per address, most of it on the
domain (IDNA and Unicode checks), and a list of thousands of people has only a few
domains. So the domain is checked once per domain, by email-validator itself, and an
address whose part before the @ is plain ASCII (letters, digits and . _ + -, which the
library accepts and keeps as written) is put together from the two verdicts. Anything
else, and any address the library would lowercase or find too long, is checked whole.
The answer is the same either way.

The library's verdicts on domains are also kept between runs (`remember` and `recall`,
stamped with the library's version): importing it compiles large Unicode regular
expressions, 40 ms that a send re-checking hundreds of drafts to a few domains need not pay.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from pathlib import Path

from outreach.support.text import has_line_break

_SIMPLE_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")
_MAX_LENGTH = 254  # the library's limit on a whole address, in UTF-8 bytes


@cache
def check_address(text: str) -> tuple[str, str | None]:
    """The normalized address and None, or the text as given and the reason it is not valid."""
    if has_line_break(text):
        return text, "an address must be one line"
    quick = _quick(text)
    if quick is not None:
        return quick, None
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        return text, f"'{text}' is not a valid email address: {error}"
    return str(result.normalized), None


def _quick(text: str) -> str | None:
    """The normalized address when the fast path applies and the address is valid, else None."""
    local, at, domain = text.partition("@")
    if not at or not _SIMPLE_LOCAL.fullmatch(local):
        return None
    lowercased = _case_insensitive()
    if lowercased is None or local.lower() in lowercased:
        return None
    domains = _domain(domain)
    if domains is None:
        return None
    normalized, ascii_domain = domains
    address = f"{local}@{normalized}"
    for form in (text, address, f"{local}@{ascii_domain}"):
        if len(form.encode("utf-8")) > _MAX_LENGTH:
            return None
    return text if address == text else address  # the same string: one copy of each address


class _Verdicts:
    """What the library said, in this run or (recalled) in an earlier one with the same library."""

    def __init__(self) -> None:
        self.domains: dict[str, tuple[str, str] | None] = {}
        self.mailbox_names: frozenset[str] | None = None  # None until asked
        self.library_has_names = True
        # What the file read by recall() holds: remember() writes only what it lacks.
        self.kept_domains: frozenset[str] = frozenset()
        self.kept_names = False
        self.kept_file: Path | None = None  # named by recall(), read when first needed


_VERDICTS = _Verdicts()


def _take_up_kept() -> None:
    """Read the file recall() named, once: a command that checks no address never reads it
    (nor imports orjson for it: a tenth of a warm `contacts --json`)."""
    verdicts = _VERDICTS
    if verdicts.kept_file is not None:
        path, verdicts.kept_file = verdicts.kept_file, None
        _read_kept(path)


def _domain(domain: str) -> tuple[str, str] | None:
    """The library's normalized and ASCII forms of a domain it accepts; None otherwise."""
    verdicts = _VERDICTS
    if domain not in verdicts.domains and verdicts.kept_file is not None:
        _take_up_kept()
    if domain not in verdicts.domains:
        from email_validator import EmailNotValidError, validate_email

        try:
            result = validate_email(f"a@{domain}", check_deliverability=False, allow_smtputf8=True)
        except EmailNotValidError:
            verdicts.domains[domain] = None
        else:
            good = result.local_part == "a" and result.domain and result.ascii_domain
            verdicts.domains[domain] = (
                (str(result.domain), str(result.ascii_domain)) if good else None
            )
    return verdicts.domains[domain]


def _case_insensitive() -> frozenset[str] | None:
    """Mailbox names (postmaster, abuse, ...) the library lowercases: these take the slow path.

    None (every address takes the slow path) if a later library no longer has the list."""
    verdicts = _VERDICTS
    if verdicts.mailbox_names is None and verdicts.kept_file is not None:
        _take_up_kept()
    if verdicts.mailbox_names is None and verdicts.library_has_names:
        try:
            from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
        except ImportError:  # pragma: no cover
            verdicts.library_has_names = False
        else:
            names = frozenset(name.lower() for name in CASE_INSENSITIVE_MAILBOX_NAMES)
            verdicts.mailbox_names = names
    return verdicts.mailbox_names


@cache
def _library_version() -> str | None:
    """email-validator's version, read from its files without importing it (once a run)."""
    for folder in sys.path:
        try:
            with open(os.path.join(folder or ".", "email_validator", "version.py")) as file:
                return file.read().strip()
        except OSError:
            continue
    return None


def recall(path: Path) -> None:
    """Take up the verdicts an earlier run kept in `path`, if the same library gave them
    (read when an address is first checked)."""
    verdicts = _VERDICTS
    verdicts.kept_domains, verdicts.kept_names = frozenset(), False
    verdicts.kept_file = path


def _read_kept(path: Path) -> None:
    import orjson

    verdicts = _VERDICTS
    try:
        kept = orjson.loads(path.read_bytes())
        library = kept["library"]
        names = frozenset(str(name) for name in kept["mailbox_names"])
        domains = {str(domain): (str(a), str(b)) for domain, (a, b) in kept["domains"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # nothing kept, or not in this shape: the library answers again
    if library is None or library != _library_version():
        return
    if verdicts.mailbox_names is None:
        verdicts.mailbox_names = names
    for domain, forms in domains.items():
        verdicts.domains.setdefault(domain, forms)
    verdicts.kept_domains, verdicts.kept_names = frozenset(domains), True


def remember(path: Path) -> None:
    """Keep this run's verdicts in `path` for the next run, if it learned anything new."""
    verdicts = _VERDICTS
    if verdicts.mailbox_names is None:  # no address was checked: nothing learned
        return
    # What the file holds, if no check needed it: an earlier command in this process may
    # have checked the same addresses already.
    _take_up_kept()
    accepted = {domain: forms for domain, forms in verdicts.domains.items() if forms}
    if verdicts.kept_names and accepted.keys() <= verdicts.kept_domains:
        return
    library = _library_version()
    if library is None:
        return
    import orjson

    from outreach.support.files import atomic_write

    kept = {
        "library": library,
        "mailbox_names": sorted(verdicts.mailbox_names),
        "domains": dict(sorted(accepted.items())),
    }
    atomic_write(path, orjson.dumps(kept))
    verdicts.kept_domains, verdicts.kept_names = frozenset(accepted), True


@cache
def wire_form(address: str) -> tuple[str, bool]:
    """The address as it goes in the envelope and the headers, and whether it needs SMTPUTF8.

    A domain in another script goes in its ASCII (IDNA) form, which every server takes. A
    mailbox name with letters beyond ASCII has no such form: only a server that offers
    SMTPUTF8 takes it. `address` has been checked already (check_address).
    """
    if address.isascii():
        return address, False
    from email_validator import validate_email

    result = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    if result.ascii_email:
        return str(result.ascii_email), False
    return str(result.normalized), True
