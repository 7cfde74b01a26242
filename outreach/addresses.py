"""Email addresses, checked by email-validator (syntax only: nothing leaves the machine)."""

from __future__ import annotations

from functools import cache


@cache
def check_address(text: str) -> tuple[str, str | None]:
    """The normalized address and None, or the text as given and the reason it is not valid."""
    from email_validator import EmailNotValidError, validate_email

    if "\n" in text or "\r" in text:
        return text, "an address must be one line"
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        return text, f"'{text}' is not a valid email address: {error}"
    return str(result.normalized), None
