"""Looks up registered accounts by email or phone (the by_email / by_phone indexes)."""

from __future__ import annotations

from dataclasses import dataclass

from privacydesk.datamap.adapters.reference_stores import AccountRecord


@dataclass(frozen=True)
class RegisteredAccount:
    account_id: str
    email: str
    phone: str | None
    status: str


def _of(record: AccountRecord) -> RegisteredAccount:
    return RegisteredAccount(account_id=record.account_id, email=record.email, phone=record.phone, status=record.status)


class AccountDirectory:
    def by_email(self, email: str) -> RegisteredAccount | None:
        """`email` must be normalised (lower-case); registered addresses are stored that way."""
        for key in AccountRecord.by_email.query(email, limit=1):
            return self.by_id(key.account_id)
        return None

    def by_phone(self, phone_e164: str) -> RegisteredAccount | None:
        for key in AccountRecord.by_phone.query(phone_e164, limit=1):
            return self.by_id(key.account_id)
        return None

    def by_id(self, account_id: str) -> RegisteredAccount | None:
        try:
            return _of(AccountRecord.get(account_id))
        except AccountRecord.DoesNotExist:
            return None
