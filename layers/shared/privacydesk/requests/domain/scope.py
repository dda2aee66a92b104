"""Scope = what was proven. The one rule every fulfilment path (access, update, delete, object)
goes through to decide which identifiers a request may use to find, change or erase data.

- An email address is proven by the link mailed to it; a phone number by the SMS code texted to it.
  A request proves what its verification proved, nothing else: the other contact it carries was
  typed by the requester and is never used for a lookup. (We do not text a second code for it:
  the requester can ask again with the phone alone, which proves it; one proof per request keeps
  the flow and its limits simple.)
- An account id is in scope only through a proven email of that account (numbers are recycled,
  so a proven phone reaches the messages sent to that number, not an account).
- An account's other contacts (its registered phone) are not proven by this request either.

The proofs are recorded on the request at verification (`PrivacyRequest.proven`); requests verified
before that field existed are read from `verification_method`. Pure: no I/O, so it costs no call.
"""

from __future__ import annotations

from dataclasses import dataclass

from privacydesk.requests.domain.model import PrivacyRequest

PROVES = {"email_link": "email", "sms_code": "phone"}  # verification method -> identifier it proves


@dataclass(frozen=True)
class ProvenSubject:
    """The identifiers a request may use for lookups (never logged: they are personal data)."""

    email: str | None
    phone: str | None
    account_id: str | None  # set at fulfilment start, resolved through `email`
    proven_by: dict[str, str]  # identifier kind -> how it was proven
    unproven: tuple[str, ...]  # identifier kinds the requester gave but did not prove

    @property
    def empty(self) -> bool:
        return not (self.email or self.phone)


def proofs_of(method: str | None) -> dict[str, str]:
    """What a successful verification by `method` proves."""
    kind = PROVES.get(method or "")
    return {kind: method} if kind and method else {}


def proven_email(request: PrivacyRequest) -> str | None:
    """The address the link went to: emailed requests are verified at the registered address."""
    registered = request.trust.get("registered_email")
    if isinstance(registered, str) and registered:
        return registered
    return request.subject.email


def proven_scope(request: PrivacyRequest) -> ProvenSubject:
    """The request's proven identifiers. A request nobody verified proves nothing."""
    if request.verified_at is None:
        proofs: dict[str, str] = {}
    else:
        proofs = dict(request.proven) if request.proven else proofs_of(request.verification_method)
    email = proven_email(request) if "email" in proofs else None
    phone = request.subject.phone if "phone" in proofs else None
    given = {"email": request.subject.email, "phone": request.subject.phone}
    return ProvenSubject(
        email=email,
        phone=phone,
        account_id=request.subject.account_id if email else None,
        proven_by=proofs,
        unproven=tuple(kind for kind, value in given.items() if value and kind not in proofs),
    )
