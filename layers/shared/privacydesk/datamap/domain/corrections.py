"""Field-level corrections (Update): which fields can be corrected, and their validation.

A field is correctable when it has a validator here and some store of the data map holds it
(outside its key). Emails go through email-validator and phones through phonenumbers, with the
same normalisation the intake uses, so a corrected address is found by the same lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from privacydesk.kernel.contacts import normalise_email, normalise_phone
from privacydesk.kernel.errors import InvalidInput

if TYPE_CHECKING:
    from privacydesk.datamap.domain.model import DataMap


def _text(value: str) -> str:
    cleaned = " ".join(value.split())
    if not 1 <= len(cleaned) <= 200:
        raise InvalidInput("must be 1 to 200 characters", code="invalid_text")
    return cleaned


VALIDATORS: dict[str, Callable[[str], str]] = {
    "email": normalise_email,
    "phone": normalise_phone,
    "name": _text,
    "company": _text,
}


def correctable_fields(datamap: DataMap) -> set[str]:
    held = {name for store in datamap.stores for name in store.personal_fields if name not in store.key_attributes}
    return held & set(VALIDATORS)


def validated_corrections(corrections: dict[str, str], datamap: DataMap) -> dict[str, str]:
    """The corrections, normalised; InvalidInput names the offending fields (never their values)."""
    return checked_corrections(corrections, correctable_fields(datamap))


def checked_corrections(corrections: dict[str, str], allowed: set[str] | frozenset[str]) -> dict[str, str]:
    """As `validated_corrections`, against a known set of correctable fields (intake checks at submit)."""
    if not corrections:
        raise InvalidInput("an update request needs at least one correction", code="missing_corrections")
    unknown = sorted(set(corrections) - allowed)
    if unknown:
        raise InvalidInput(
            f"these fields cannot be corrected: {', '.join(unknown)} (correctable: {', '.join(sorted(allowed))})",
            code="field_not_correctable",
        )
    cleaned: dict[str, str] = {}
    bad: list[str] = []
    for name, value in corrections.items():
        try:
            cleaned[name] = VALIDATORS[name](value)
        except InvalidInput:
            bad.append(name)
    if bad:
        raise InvalidInput(f"these corrections are not valid: {', '.join(sorted(bad))}", code="invalid_correction")
    return cleaned
