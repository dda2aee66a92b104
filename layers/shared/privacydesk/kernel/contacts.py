"""Email addresses and phone numbers as PrivacyDesk stores and looks them up: one normal form, so
a subject is found by the same address whether it came through the API, email or a correction."""

from __future__ import annotations

from privacydesk.kernel.errors import InvalidInput

DEFAULT_PHONE_REGION = "PH"
# Providers that ignore dots in the local part, and their aliases (one mailbox, several spellings).
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def normalise_email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # first use only: keeps cold start light

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput("email is not a valid address", code="invalid_email") from error


def normalise_phone(raw: str) -> str:
    import phonenumbers  # first use only: keeps cold start light

    try:
        number = phonenumbers.parse(raw.strip(), DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise InvalidInput("phone is not a valid number", code="invalid_phone") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone is not a valid number", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def person_email(address: str) -> str:
    """One spelling per mailbox, for limits and duplicate detection only (mail still goes to the
    address as written): lower case, no plus-tag, and the provider's own rules (Gmail ignores dots
    and answers at googlemail.com too). Idempotent."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return address.strip().lower()
    local = local.split("+", 1)[0] or local
    domain = domain.rstrip(".")
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"
