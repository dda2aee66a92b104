"""Audit records for retention, hash-chained in the AuditTable under their own streams (ids and
counts, no PII), written through the audit capability (audit.adapters.audit_store):

- `retention-sweep#<store>`: one record per sweep run and store (deleted, anonymized, held, failed,
  items read, calls) in its details.
- `retention-ttl#<store>#<YYYY-MM-DD>`: one record per stream batch of TTL deletions that day, with
  the batch's first stream sequence number in its details: a redelivered batch finds its record
  already in the chain and adds none, so it is not counted twice. `ttl_deletions(store, day)` sums them.

Both are kept without a TTL, as before.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from privacydesk.audit.adapters.audit_store import AuditRecord, AuditTrailStore
from privacydesk.audit.domain.trail import sweep_stream, ttl_stream

RetentionAuditRecord = AuditRecord  # the one model of the AuditTable (kept for callers of this name)


def record_sweep(store: str, counts: dict[str, Any], started_at: datetime) -> None:
    AuditTrailStore().append(
        sweep_stream(store),
        action="retention.swept",
        actor="retention_sweep",
        at=started_at,
        details={"store": store, **counts},
        keep_for=None,
    )


def sweeps(store: str) -> list[dict[str, Any]]:
    return [
        {"at": e.at, **{k: v for k, v in e.details.items() if k != "store"}}
        for e in AuditTrailStore().events(sweep_stream(store))
    ]


def record_ttl_deletions(store: str, day: date, first_sequence: int, item_keys: list[str], at: datetime) -> None:
    AuditTrailStore().append(
        ttl_stream(store, day.isoformat()),
        action="retention.ttl_deleted",
        actor="retention_ttl_accounting",
        at=at,
        details={
            "store": store,
            "first_sequence": str(first_sequence),
            "deleted": len(item_keys),
            "item_keys": item_keys,
        },
        keep_for=None,
        once_per=("first_sequence", str(first_sequence)),
    )


def ttl_deletions(store: str, day: date) -> int:
    """How many items DynamoDB TTL deleted from `store` on `day` (from the stream accounting)."""
    return sum(int(e.details.get("deleted", 0)) for e in AuditTrailStore().events(ttl_stream(store, day.isoformat())))
