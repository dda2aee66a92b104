"""The port every kind of data-map store implements: find a subject's items, and export, delete,
anonymize or correct them. The adapters (datamap/adapters) implement it; tests may fake it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, Protocol

from privacydesk.datamap.domain.anonymization import AnonymizationRule
from privacydesk.datamap.domain.model import Store, SubjectLookup


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
