"""What the subjects capability looks up: accounts, legal holds and the objection registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class AccountLookup(Protocol):
    def by_email(self, email: str) -> Any: ...  # RegisteredAccount | None (account_id, email, phone)
    def by_phone(self, phone_e164: str) -> Any: ...
    def by_id(self, account_id: str) -> Any: ...


@dataclass(frozen=True)
class HoldView:
    account_id: str
    reason: str


class HoldLookup(Protocol):
    def active_hold(self, account_id: str) -> HoldView | None: ...


@dataclass(frozen=True)
class Objection:
    purpose: str
    objected: bool
    at: datetime
    request_id: str | None = None


class ObjectionStore(Protocol):
    def get(self, subject_ref: str) -> dict[str, Objection]: ...
    def record(self, subject_ref: str, objections: list[Objection]) -> None: ...
