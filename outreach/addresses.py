"""Email addresses, checked by email-validator (syntax only: nothing leaves the machine).

email-validator takes a tenth of a millisecond or more per address, most of it on the
domain (IDNA and Unicode checks), and a list of thousands of people has only a few
domains. So the domain is checked once per domain, by email-validator itself, and an
address whose part before the @ is plain ASCII (letters, digits and . _ + -, which the
library accepts and keeps as written) is put together from the two verdicts. Anything
else, and any address the library would lowercase or find too long, is checked whole.
The answer is the same either way.
"""

from __future__ import annotations

import re
from functools import cache

_SIMPLE_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")
_MAX_LENGTH = 254  # the library's limit on a whole address, in UTF-8 bytes


@cache
def check_address(text: str) -> tuple[str, str | None]:
    """The normalized address and None, or the text as given and the reason it is not valid."""
    if "\n" in text or "\r" in text:
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
    return address


@cache
def _domain(domain: str) -> tuple[str, str] | None:
    """The library's normalized and ASCII forms of a domain it accepts; None otherwise."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(f"a@{domain}", check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    if result.local_part != "a" or not result.domain or not result.ascii_domain:
        return None
    return str(result.domain), str(result.ascii_domain)


@cache
def _case_insensitive() -> frozenset[str] | None:
    """Mailbox names (postmaster, abuse, ...) the library lowercases: these take the slow path.

    None (every address takes the slow path) if a later library no longer has the list."""
    try:
        from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
    except ImportError:  # pragma: no cover
        return None
    return frozenset(name.lower() for name in CASE_INSENSITIVE_MAILBOX_NAMES)


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
