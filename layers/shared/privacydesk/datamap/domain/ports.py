"""The port every kind of data-map store implements: find a subject's items, and export, delete,
anonymize or correct them. The adapters (datamap/adapters) implement it; tests may fake it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from privacydesk.datamap.domain.anonymization import AnonymizationRule
from privacydesk.datamap.domain.model import Store, SubjectLookup


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


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_key: str | None


@dataclass
class DeleteOutcome:
    deleted: int
    calls: int
    failed_keys: list[dict[str, Any]]


class StoreAccess(Protocol):
    """What the retention sweep needs of one store's table (datamap.adapters.dynamodb_store.DynamoDbStore)."""

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]: ...
    def expired_page(self, bucket: str, threshold: int, start_key: str | None, limit: int) -> Page: ...
    def get_many(self, keys: list[dict[str, Any]], attributes: list[str]) -> tuple[list[dict[str, Any]], int]: ...
    def delete_items(self, keys: list[dict[str, Any]]) -> DeleteOutcome: ...
    def anonymize_expired(self, item: dict[str, Any], threshold: int) -> bool: ...
    def set_expiry(self, key: dict[str, Any], fields: dict[str, Any] | None) -> bool: ...
    def move_to_bucket(self, key: dict[str, Any], bucket: str) -> bool: ...
