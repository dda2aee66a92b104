"""Audit records for retention, in the AuditTable under their own streams (ids and counts, no PII).

- `retention-sweep#<store>`: one record per sweep run and store (deleted, anonymized, held, failed,
  items read, calls), seq = the run's start in epoch milliseconds.
- `retention-ttl#<store>#<YYYY-MM-DD>`: one record per stream batch of TTL deletions that day,
  seq = the batch's first stream sequence number, so a redelivered batch overwrites its own record
  instead of counting twice. `ttl_deletions(store, day)` sums them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from privacydesk.kernel.dynamo import table


@table("audit_table")
class RetentionAuditRecord(Model):
    class Meta:
        table_name = "audit"

    stream_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    kind = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    store = UnicodeAttribute()
    counts = MapAttribute[str, Any](null=True)
    deleted = NumberAttribute(null=True)
    item_keys = ListAttribute[str](null=True)  # "attribute=value|..." of each deleted item: ids only


def record_sweep(store: str, counts: dict[str, Any], started_at: datetime) -> None:
    RetentionAuditRecord(
        stream_id=f"retention-sweep#{store}",
        seq=int(started_at.timestamp() * 1000),
        kind="retention.swept",
        at=started_at,
        store=store,
        counts=counts,
    ).save()


def sweeps(store: str) -> list[dict[str, Any]]:
    return [
        {"at": r.at, **(r.counts.as_dict() if r.counts else {})}
        for r in RetentionAuditRecord.query(f"retention-sweep#{store}")
    ]


def record_ttl_deletions(store: str, day: date, first_sequence: int, item_keys: list[str], at: datetime) -> None:
    RetentionAuditRecord(
        stream_id=f"retention-ttl#{store}#{day.isoformat()}",
        seq=first_sequence,
        kind="retention.ttl_deleted",
        at=at,
        store=store,
        deleted=len(item_keys),
        item_keys=item_keys,
    ).save()


def ttl_deletions(store: str, day: date) -> int:
    """How many items DynamoDB TTL deleted from `store` on `day` (from the stream accounting)."""
    return sum(int(r.deleted or 0) for r in RetentionAuditRecord.query(f"retention-ttl#{store}#{day.isoformat()}"))
