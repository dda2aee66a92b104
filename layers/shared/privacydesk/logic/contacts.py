"""Email addresses and phone numbers as PrivacyDesk stores and looks them up: one normal form, so
a subject is found by the same address whether it came through the API, email or a correction."""

from __future__ import annotations

from privacydesk.logic.errors import InvalidInput

DEFAULT_PHONE_REGION = "PH"


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
