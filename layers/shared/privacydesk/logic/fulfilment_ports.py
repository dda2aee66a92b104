"""The ports fulfilment depends on. dal/ and integrations/ implement them; tests may fake them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Protocol

from privacydesk.logic.anonymization import AnonymizationRule
from privacydesk.logic.export_links import ExportGrantStore
from privacydesk.logic.ports import RequestServices
from privacydesk.models.datamap import DataMap, Store, SubjectLookup

if TYPE_CHECKING:
    from privacydesk.fulfilment.domain.pending_steps import ExternalConnector


class StoreWriteError(Exception):
    """A store could not finish a write (unprocessed items, a failed delete). The work is retried."""

    def __init__(self, store: str, message: str) -> None:
        super().__init__(f"{store}: {message}")
        self.store = store


class StoreConnector(Protocol):
    store: Store

    def pages(
        self, lookup: SubjectLookup, value: str, *, now_epoch: int, include_expired: bool = False
    ) -> Iterator[list[dict[str, Any]]]: ...
    def open(self, item: dict[str, Any]) -> IO[bytes] | None: ...
    def delete(self, items: list[dict[str, Any]]) -> int: ...
    def anonymize(self, items: list[dict[str, Any]], rule: AnonymizationRule) -> int: ...
    def assign(self, items: list[dict[str, Any]], values: dict[str, Any]) -> int: ...
    def remove_all(self, lookup: SubjectLookup, value: str) -> int: ...
    def versions_left(self, lookup: SubjectLookup, value: str) -> int: ...


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


class ExportTarget(Protocol):
    bucket: str

    def writer(self, key: str, content_type: str) -> IO[bytes]: ...
    def remove(self, key: str) -> int: ...


@dataclass
class FulfilmentServices:
    requests: RequestServices
    datamap: DataMap
    connector: Callable[[Store], StoreConnector]
    accounts: AccountLookup
    holds: HoldLookup
    objections: ObjectionStore
    exports: ExportTarget
    export_links: ExportGrantStore  # the emailed download secrets (logic.export_links)
    export_link_days: int = 7
    # [issue 20] stores of kind webhook/manual, and the files a DPO attached to a manual task
    external: Callable[[Store], ExternalConnector] | None = None
    attachment: Callable[[str], IO[bytes]] | None = None
