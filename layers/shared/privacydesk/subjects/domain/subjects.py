"""Who a subject is across the stores: their account (if any), emails and phones, and how each
store's lookups apply to them. An SMS recipient known only by phone is a subject too."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from privacydesk.datamap.domain.model import Store, SubjectKey, SubjectLookup
from privacydesk.kernel.contacts import normalise_email, normalise_phone
from privacydesk.requests.domain.model import Subject
from privacydesk.requests.domain.scope import ProvenSubject
from privacydesk.subjects.domain.ports import AccountLookup


@dataclass(frozen=True)
class SubjectIds:
    account_id: str | None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    def values(self, key: SubjectKey) -> tuple[str, ...]:
        if key == SubjectKey.ACCOUNT_ID:
            return (self.account_id,) if self.account_id else ()
        return self.emails if key == SubjectKey.EMAIL else self.phones

    @property
    def canonical(self) -> str:
        """The registry identity: the account when there is one, else the contact (never logged)."""
        if self.account_id:
            return f"account:{self.account_id}"
        return f"phone:{self.phones[0]}" if self.phones and not self.emails else f"email:{self.emails[0]}"

    @property
    def ref(self) -> str:
        return subject_ref(self.canonical)


def subject_ref(canonical: str) -> str:
    """An opaque reference (for events and the objection registry), never the identifier itself."""
    return hashlib.sha256(canonical.encode()).hexdigest()


def _unique(*values: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def resolve(subject: Subject, accounts: AccountLookup, *, phone_finds_account: bool = False) -> SubjectIds:
    """The request's subject plus, if their email is registered, the account's identifiers.

    A request verified only by an SMS code proves control of a number, not of an account (numbers
    are recycled), so by default a phone does not find an account: it reaches the messages sent to
    that number. Account data needs the registered email.
    """
    account = None
    if subject.account_id:
        account = accounts.by_id(subject.account_id)
        if account is None:  # erased in an earlier attempt: keep acting on the id we resolved then
            return SubjectIds(subject.account_id, _unique(subject.email), _unique(subject.phone))
    if account is None and subject.email:
        account = accounts.by_email(subject.email)
    if account is None and subject.phone and not subject.email and phone_finds_account:
        account = accounts.by_phone(subject.phone)
    if account is None:
        return SubjectIds(None, _unique(subject.email), _unique(subject.phone))
    return SubjectIds(account.account_id, _unique(subject.email, account.email), _unique(subject.phone, account.phone))


def resolve_proven(scope: ProvenSubject, accounts: AccountLookup) -> SubjectIds:
    """Fulfilment's subject (requests.domain.scope): the proven email and phone only, and the account of the
    proven email. The account's other contacts were not proven by this request, so they find nothing.
    Costs what the old lookup cost: one account read by id or by email."""
    account = None
    if scope.account_id:
        account = accounts.by_id(scope.account_id)
        if account is None:  # erased in an earlier attempt: keep acting on the id we resolved then
            return SubjectIds(scope.account_id, _unique(scope.email), _unique(scope.phone))
    elif scope.email:
        account = accounts.by_email(scope.email)
    return SubjectIds(account.account_id if account else None, _unique(scope.email), _unique(scope.phone))


def resolve_identifier(identifier: str, accounts: AccountLookup) -> SubjectIds:
    """An admin or service names a subject by account id, email or phone."""
    raw = identifier.strip()
    if "@" in raw:
        return resolve(Subject(email=normalise_email(raw)), accounts)
    if raw.startswith("+") or raw.replace(" ", "").isdigit():
        return resolve(Subject(phone=normalise_phone(raw)), accounts, phone_finds_account=True)
    return resolve(Subject(account_id=raw), accounts)


@dataclass(frozen=True)
class Match:
    """One way a store holds the subject: a lookup and the value to look up."""

    lookup: SubjectLookup
    value: str

    @property
    def as_recipient(self) -> bool:
        return self.lookup.role == "recipient"


def owner_attribute(store: Store) -> str | None:
    owner = next((x for x in store.lookups if x.key == SubjectKey.ACCOUNT_ID and x.role == "owner"), None)
    return owner.attribute if owner else None


def matches(store: Store, ids: SubjectIds) -> Iterator[Match]:
    """Every lookup the store has for an identifier the subject holds, account or not: a person who
    never had an account (a support correspondent, a guest) is found by their proven email or phone."""
    for lookup in store.lookups:
        for value in ids.values(lookup.key):
            yield Match(lookup, value)


def excluded(store: Store, match: Match, ids: SubjectIds, item: dict[str, Any]) -> bool:
    """An item this match finds but must not act on, decided without remembering keys (memory stays
    flat however many items there are):
    - found again: the account lookup already covered an item the subject's account owns;
    - another account's: an email or phone lookup finds an item an account owns. Only a proven
      email reaches an account (requests.domain.scope), and through the account lookup, never a contact's.
    Items no account owns (a correspondent's ticket) are the contact's own."""
    owner = owner_attribute(store)
    if owner is None or (match.lookup.key == SubjectKey.ACCOUNT_ID and match.lookup.role == "owner"):
        return False
    if match.as_recipient:  # someone else's record of a message to the subject: theirs to see, found once
        return bool(ids.account_id) and item.get(owner) == ids.account_id
    return bool(item.get(owner))


def erase_last(store: Store) -> bool:
    """Stores that identify the subject (email/phone as owner) go last, so a retried erasure can
    still find everything else."""
    return any(x.key != SubjectKey.ACCOUNT_ID and x.role == "owner" for x in store.lookups)
