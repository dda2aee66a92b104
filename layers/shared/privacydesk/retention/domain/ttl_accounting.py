"""Accounting for the deletions DynamoDB TTL makes on its own.

The reference tables stream their changes (OLD_IMAGE). A TTL deletion is a REMOVE whose
userIdentity is the DynamoDB service (type "Service", principalId "dynamodb.amazonaws.com");
the event source mapping's FilterCriteria passes only those, and this module checks again, so a
user's or the sweep's deletes are never counted here (the sweep audits its own).
Per store and day it records how many items went and which (key ids only, never the old image's
personal fields), and removes any S3 objects the deleted items linked to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from privacydesk.datamap.domain.model import Store

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


@dataclass
class TtlBatch:
    store: str
    day: date
    first_sequence: int
    item_keys: list[str] = field(default_factory=list)
    linked: list[tuple[str, str, bool]] = field(default_factory=list)  # (s3 store, key or prefix, exact)


class AccountingPorts(Protocol):
    def record(self, batch: TtlBatch, now: datetime) -> None: ...
    def delete_object(self, bucket_store: str, key: str) -> int: ...
    def delete_prefix(self, bucket_store: str, prefix: str) -> int: ...


def is_ttl_deletion(record: Mapping[str, Any]) -> bool:
    identity = record.get("userIdentity") or {}
    return (
        record.get("eventName") == "REMOVE"
        and identity.get("type") == "Service"
        and identity.get("principalId") == TTL_PRINCIPAL
    )


def table_of(event_source_arn: str) -> str:
    """arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label> -> <name>"""
    return event_source_arn.split(":table/", 1)[-1].split("/", 1)[0]


def _scalar(value: Mapping[str, Any]) -> str:
    return str(next(iter(value.values())))


def group(records: list[Mapping[str, Any]], stores_by_table: Mapping[str, Store]) -> list[TtlBatch]:
    """TTL deletions grouped by store and day (the day DynamoDB deleted them)."""
    batches: dict[tuple[str, date], TtlBatch] = {}
    for record in records:
        if not is_ttl_deletion(record):
            continue
        store = stores_by_table.get(table_of(str(record.get("eventSourceARN", ""))))
        if store is None:
            continue
        change = record.get("dynamodb") or {}
        when = datetime.fromtimestamp(float(change.get("ApproximateCreationDateTime", 0)), UTC)
        # Stream sequence numbers run to 40 digits; a DynamoDB number holds 38. They share their leading
        # digits within a stream, so the last 38 keep them apart (and the record key stays a number).
        sequence = int(change.get("SequenceNumber", "0")) % 10**38
        batch = batches.setdefault((store.name, when.date()), TtlBatch(store.name, when.date(), sequence))
        batch.first_sequence = min(batch.first_sequence, sequence)
        keys = change.get("Keys") or {}
        batch.item_keys.append("|".join(f"{name}={_scalar(keys[name])}" for name in sorted(keys)))
        old = change.get("OldImage") or {}
        for link in store.linked_objects:
            location = link.location({name: _scalar(old[name]) for name in link.attributes if name in old})
            if location is not None:
                batch.linked.append((link.bucket_store, *location))
    return list(batches.values())


def account(
    records: list[Mapping[str, Any]], stores_by_table: Mapping[str, Store], now: datetime, ports: AccountingPorts
) -> list[TtlBatch]:
    """Remove what TTL-deleted items linked to, then record the deletions. Idempotent per batch."""
    batches = group(records, stores_by_table)
    for batch in batches:
        for bucket_store, key, exact in batch.linked:
            if exact:
                ports.delete_object(bucket_store, key)
            else:
                ports.delete_prefix(bucket_store, key)
        ports.record(batch, now)
    return batches
