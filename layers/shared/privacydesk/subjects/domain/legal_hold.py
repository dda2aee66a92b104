"""Legal hold on a subject: while it lasts, nothing of theirs expires.

`set_hold` records the hold and strips the TTL and expiry-index keys from the subject's items in
every store whose legal-hold rule blocks retention, so neither DynamoDB TTL nor the sweep can
remove them. `clear_hold` deletes the hold and writes the TTL and index keys back from the
schedule; an item whose retention ended during the hold goes under today's index bucket, so the
next sweep removes it. Both are idempotent. Fulfilment calls these for holds on erasure requests.
Placing and lifting a hold are audited by the repository, in the same write as the hold, on a
hash-chained trail per subject (who, when, why).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from privacydesk.datamap.domain.model import DataMap, Store
from privacydesk.kernel.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Hold:
    account_id: str
    reason: str
    set_at: datetime
    request_id: str | None = None
    set_by: str | None = None  # the signed caller who placed it


class HoldRepository(Protocol):
    def get(self, account_id: str) -> Hold | None: ...
    def put(self, hold: Hold) -> None: ...  # audited as hold_set by hold.set_by
    def delete(self, account_id: str, *, actor: str, at: datetime) -> None: ...  # audited as hold_cleared


class SubjectItems(Protocol):
    def keys_and_items(self, store: Store, account_id: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]: ...
    def set_expiry(self, store: Store, key: dict[str, Any], fields: dict[str, Any] | None) -> bool: ...
    def expiry_for(self, store: Store, item: Mapping[str, Any], now: datetime) -> dict[str, Any]: ...


@dataclass
class HoldChange:
    account_id: str
    held: bool
    items: dict[str, int] = field(default_factory=dict)  # store -> items whose TTL was stripped or restored


def _held_stores(datamap: DataMap) -> list[Store]:
    return [s for s in datamap.stores if s.kind == "dynamodb" and s.legal_hold.blocks_retention and s.owner_lookup]


def set_hold(
    account_id: str,
    reason: str,
    *,
    now: datetime,
    datamap: DataMap,
    holds: HoldRepository,
    items: SubjectItems,
    actor: str,
    request_id: str | None = None,
) -> HoldChange:
    if not account_id.strip() or not reason.strip():
        raise InvalidInput("a legal hold needs an account id and a reason", code="hold_incomplete")
    if holds.get(account_id) is None:  # record first, so new writes see it; a repeat keeps the first
        holds.put(Hold(account_id, reason.strip(), now, request_id, set_by=actor))
    change = HoldChange(account_id, held=True)
    for store in _held_stores(datamap):
        stripped = 0
        for key, item in items.keys_and_items(store, account_id):
            if item.get("expires_at") is not None or item.get("expiry_bucket") is not None:
                stripped += items.set_expiry(store, key, None)
        change.items[store.name] = stripped
    return change


def clear_hold(
    account_id: str,
    *,
    now: datetime,
    datamap: DataMap,
    holds: HoldRepository,
    items: SubjectItems,
    actor: str,
) -> HoldChange:
    if holds.get(account_id) is None:
        raise NotFound(f"no legal hold on {account_id}", code="hold_not_found")
    change = HoldChange(account_id, held=False)
    for store in _held_stores(datamap):
        restored = 0
        for key, item in items.keys_and_items(store, account_id):
            fields = items.expiry_for(store, item, now)
            if fields["expires_at"] is not None:
                restored += items.set_expiry(store, key, fields)
        change.items[store.name] = restored
    holds.delete(account_id, actor=actor, at=now)  # last: if restoring fails part-way, the hold stays
    return change
