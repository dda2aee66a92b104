"""The retention schedule: for every store in the data map, when an item's retention ends and
what happens then (delete or anonymize), plus the sweep's position arithmetic. Pure: no I/O,
`now` is passed in.

How an item's expiry is stored (datamap/adapters/retention_fields.py writes it, the sweep reads it):
- `expires_at` (epoch seconds) is the table's TTL. For a *delete* store it is the due time, so
  DynamoDB deletes the item on its own (lazily, within days) and the sweep deletes the rest.
- For an *anonymize* store TTL would delete instead of anonymize, so `expires_at` is the due time
  plus `ttl_backstop_days`: the daily sweep anonymizes the item first (and removes `expires_at`);
  TTL deletes it only if the sweep has been down for that long (erring on the side of deletion).
- `expiry_bucket` ("YYYY-MM-DD#shard") puts the item in the sparse `by_expiry` index under the day
  it falls due, or the day it is written if that is later (so an item written already due, or
  restored when a legal hold is cleared, lands on a day the sweep has not finished yet).

API usage is "aggregated after 13 months". The monthly per-account counts are written in the same
transaction as each call row (datamap/adapters/api_usage.py), not computed by the sweep: TTL may delete a row
before any sweep sees it, and a sweep that re-runs would count twice. Written with the row, the
counts are exact and idempotent; after 13 months only they remain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from privacydesk.datamap.domain.model import DataMap, ErasureMethod, RetentionAnchor, Store

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Rule:
    """One store's retention, after any configured override."""

    store: str
    period_days: int | None
    anchor: RetentionAnchor
    anchor_attribute: str
    method: ErasureMethod
    legal_basis: str
    reason: str
    ttl_backstop_days: int = 0
    overridden: bool = False

    @property
    def expires(self) -> bool:
        """Whether items of this store ever fall due (keep, or no period, means never)."""
        return self.period_days is not None and self.method in (ErasureMethod.DELETE, ErasureMethod.ANONYMIZE)

    @property
    def backstop_seconds(self) -> int:
        return self.ttl_backstop_days * DAY_SECONDS if self.method == ErasureMethod.ANONYMIZE else 0

    def due_at(self, item: Mapping[str, Any]) -> datetime | None:
        """When the item's retention ends; None while it has no anchor (e.g. an open account)."""
        if not self.expires or self.period_days is None:
            return None
        anchor = anchor_time(item.get(self.anchor_attribute))
        return None if anchor is None else anchor + timedelta(days=self.period_days)

    def ttl_for(self, due: datetime) -> int:
        """The TTL attribute's value for an item due at `due`."""
        return int(due.timestamp()) + self.backstop_seconds

    def due_threshold(self, now: datetime) -> int:
        """Items whose TTL attribute is at or below this are due (past retention) at `now`."""
        return int(now.timestamp()) + self.backstop_seconds

    def is_live(self, item: Mapping[str, Any], now: datetime) -> bool:
        """False for an item past its retention that DynamoDB (or the sweep) has not removed yet."""
        ttl = item.get("expires_at")
        return ttl is None or int(ttl) > self.due_threshold(now)


@dataclass(frozen=True)
class RequestRecordRule:
    period_days: int
    anchor: str
    legal_basis: str
    reason: str


# Privacy-request records (RequestsTable, its audit trail and the raw mail in the inbound bucket).
REQUEST_RECORDS = RequestRecordRule(
    period_days=1095,
    anchor="closed_at",
    legal_basis="legal obligation and legitimate interest in demonstrating compliance (accountability)",
    reason=(
        "Three years after a request is closed: long enough to answer a complaint to the National "
        "Privacy Commission or a court about how the request was handled, then deleted."
    ),
)


def request_record_expiry(closed_at: datetime) -> datetime:
    """When a closed privacy request's record expires (the lead sets RequestsTable.expires_at from it)."""
    return _aware(closed_at) + timedelta(days=REQUEST_RECORDS.period_days)


def anchor_time(value: Any) -> datetime | None:
    """An anchor attribute's value as an aware datetime (ISO 8601 text, datetime or epoch seconds)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return _aware(datetime.fromisoformat(str(value)))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_overrides(text: str) -> dict[str, int]:
    """`"technical_events=60,message_logs=120"` -> {store: days}. Raises ValueError on bad text."""
    overrides: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, days = part.partition("=")
        if not sep or not name.strip() or not days.strip().isdigit() or int(days) < 1:
            raise ValueError(f"bad retention override {part!r}: expected store=days with days >= 1")
        overrides[name.strip()] = int(days)
    return overrides


def rule_for(store: Store, overrides: Mapping[str, int] | None = None) -> Rule:
    retention = store.retention
    override = (overrides or {}).get(store.name)
    return Rule(
        store=store.name,
        period_days=override or retention.period_days,
        anchor=retention.anchor,
        anchor_attribute=retention.anchor_attribute,
        method=retention.method,
        legal_basis=retention.legal_basis,
        reason=retention.reason,
        ttl_backstop_days=retention.ttl_backstop_days,
        overridden=override is not None,
    )


def schedule(datamap: DataMap, overrides: Mapping[str, int] | None = None) -> dict[str, Rule]:
    """Every store's rule. An override naming no store is an error, not a silent no-op."""
    unknown = set(overrides or {}) - {s.name for s in datamap.stores}
    if unknown:
        raise ValueError(f"retention overrides name unknown stores: {sorted(unknown)}")
    return {store.name: rule_for(store, overrides) for store in datamap.stores}


def index_day(due: datetime, now: datetime) -> date:
    """The by_expiry day an item goes under: the day it falls due, or today if that has passed."""
    return max(due.astimezone(UTC).date(), now.astimezone(UTC).date())


# ------------------------------------------------------------------ the sweep's position


@dataclass(frozen=True)
class Checkpoint:
    """Where a store's sweep stands: the day and shard being read and the query's resume key.

    shard == shards means the pass over `day` is complete. A pass over a day before today is final
    (everything in its buckets is already due) and moves on to the next day; a pass over today is
    repeated by the next run, which picks up what fell due later that day. A run that continues
    another (it ran out of time) does not repeat a pass its own run already completed.
    """

    day: date
    shard: int = 0
    last_key: str | None = None  # the index query's LastEvaluatedKey, serialised by the dal
    completed_at: int | None = None  # epoch milliseconds when the pass over `day` (today) completed


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def first_checkpoint(today: date, lookback_days: int) -> Checkpoint:
    return Checkpoint(day=today - timedelta(days=lookback_days))


def resume_from(checkpoint: Checkpoint, today: date, shards: int, run_started: int) -> Checkpoint | None:
    """Where this invocation starts for a store; None when this run already completed today's pass.

    `run_started` is when the run began (epoch milliseconds); a continuation passes on its run's start.
    """
    if checkpoint.shard < shards:
        return checkpoint
    if checkpoint.day >= today and checkpoint.completed_at is not None and checkpoint.completed_at >= run_started:
        return None
    return Checkpoint(day=min(checkpoint.day, today))  # one more pass: final for a past day, fresh for today


def after_page(checkpoint: Checkpoint, next_key: str | None, now: datetime, shards: int) -> Checkpoint:
    """The position after reading one page of the index."""
    if next_key is not None:
        return Checkpoint(checkpoint.day, checkpoint.shard, next_key)
    if checkpoint.shard + 1 < shards:
        return Checkpoint(checkpoint.day, checkpoint.shard + 1)
    if checkpoint.day < now.date():
        return Checkpoint(checkpoint.day + timedelta(days=1))
    return Checkpoint(checkpoint.day, shards, completed_at=epoch_ms(now))
