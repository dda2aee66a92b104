"""The daily retention sweep: remove what has outlived its retention, reading only what expired.

For every store whose rule expires items, from the store's checkpoint up to today, and for each
of the index shards of each day, it queries the sparse `by_expiry` index for items whose TTL is
at or below the due threshold (never a scan). Per page of keys:
- items of subjects under legal hold are skipped and reported (and their TTL stripped, if a write
  raced the hold), when the store's legal-hold rule blocks retention;
- linked S3 objects are removed first (so a crash never orphans them);
- delete stores: batch deletes, 25 a call, unprocessed items retried;
- anonymize stores: one conditional update per item removes the personal fields, the TTL and the
  index keys;
- an item that still fails is moved to today's bucket so the next run retries it, and is counted.
The checkpoint (day, shard, LastEvaluatedKey) is saved after every page, and the sweep stops when
the invocation's remaining time drops below a reserve, so the next run resumes where it stopped.
Every step is idempotent: a re-read page finds only what is still there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from privacydesk.logic import retention
from privacydesk.models.datamap import DataMap, ErasureMethod, Store


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
    """One store's table (dal.store_items.StoreTable implements it)."""

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]: ...
    def expired_page(self, bucket: str, threshold: int, start_key: str | None, limit: int) -> Page: ...
    def get_many(self, keys: list[dict[str, Any]], attributes: list[str]) -> tuple[list[dict[str, Any]], int]: ...
    def delete_items(self, keys: list[dict[str, Any]]) -> DeleteOutcome: ...
    def anonymize(self, key: dict[str, Any], fields: list[str], threshold: int, at: str) -> bool: ...
    def set_expiry(self, key: dict[str, Any], fields: dict[str, Any] | None) -> bool: ...
    def move_to_bucket(self, key: dict[str, Any], bucket: str) -> bool: ...


class Checkpoints(Protocol):
    def load(self, store: str) -> retention.Checkpoint | None: ...
    def save(self, store: str, checkpoint: retention.Checkpoint) -> None: ...


class Holds(Protocol):
    def held_among(self, account_ids: set[str]) -> set[str]: ...


class Objects(Protocol):
    def delete_object(self, bucket: str, key: str) -> int: ...


class Ports(Protocol):
    @property
    def checkpoints(self) -> Checkpoints: ...
    @property
    def holds(self) -> Holds: ...
    @property
    def objects(self) -> Objects: ...

    def store(self, store: Store) -> StoreAccess: ...
    def bucket_name(self, setting: str) -> str: ...
    def bucket_of(self, day: date, key: dict[str, Any], store: Store) -> str: ...


@dataclass
class StoreReport:
    store: str
    method: str
    deleted: int = 0
    anonymized: int = 0
    held: int = 0
    failed: int = 0
    skipped: int = 0  # gone or no longer due when written (TTL or a hold got there first)
    objects_removed: int = 0
    items_read: int = 0  # keys the index queries returned
    queries: int = 0
    read_calls: int = 0  # BatchGetItem calls (only for stores that link objects)
    write_calls: int = 0  # BatchWriteItem + UpdateItem calls
    from_day: str = ""
    through_day: str = ""
    complete: bool = False  # today's pass finished (False: stopped for time, resumes next run)
    held_accounts: list[str] = field(default_factory=list)

    @property
    def expired(self) -> int:
        """Items found past retention (each one read was: the index query selects only those)."""
        return self.deleted + self.anonymized + self.held + self.failed + self.skipped

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "expired": self.expired}


@dataclass
class SweepReport:
    started_at: datetime
    stores: list[StoreReport]

    @property
    def complete(self) -> bool:
        return all(s.complete for s in self.stores)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "complete": self.complete,
            "stores": [s.as_dict() for s in self.stores],
        }


@dataclass(frozen=True)
class Budget:
    """Remaining invocation time (context.get_remaining_time_in_millis) and what to keep in reserve."""

    remaining_ms: Callable[[], int]
    reserve_ms: int = 30_000

    def exhausted(self) -> bool:
        return self.remaining_ms() < self.reserve_ms


def sweep(
    *,
    datamap: DataMap,
    rules: dict[str, retention.Rule],
    now: datetime,
    ports: Ports,
    budget: Budget,
    shards: int,
    lookback_days: int,
    page_size: int = 500,
) -> SweepReport:
    report = SweepReport(started_at=now, stores=[])
    out_of_time = False
    for store in datamap.stores:
        rule = rules[store.name]
        if store.kind != "dynamodb" or not rule.expires:
            continue
        store_report = StoreReport(store=store.name, method=rule.method.value)
        report.stores.append(store_report)
        if out_of_time:
            continue
        out_of_time = not _sweep_store(store, rule, now, ports, budget, shards, lookback_days, page_size, store_report)
    return report


def _sweep_store(
    store: Store,
    rule: retention.Rule,
    now: datetime,
    ports: Ports,
    budget: Budget,
    shards: int,
    lookback_days: int,
    page_size: int,
    report: StoreReport,
) -> bool:
    """Sweep one store from its checkpoint; False when it stopped because time ran out."""
    today = now.date()
    saved = ports.checkpoints.load(store.name) or retention.first_checkpoint(today, lookback_days)
    position = retention.resume_from(saved, today, shards)
    report.from_day = saved.day.isoformat()
    report.through_day = saved.day.isoformat()
    if position is None:
        report.complete = True
        return True
    access = ports.store(store)
    threshold = rule.due_threshold(now)
    held_cache: dict[str, bool] = {}
    while True:
        report.through_day = position.day.isoformat()
        bucket = f"{position.day.isoformat()}#{position.shard}"
        page = access.expired_page(bucket, threshold, position.last_key, page_size)
        report.queries += 1
        report.items_read += len(page.items)
        if page.items:
            _process(store, rule, now, ports, access, page.items, threshold, held_cache, report)
        position = retention.after_page(position, page.next_key, today, shards)
        ports.checkpoints.save(store.name, position)
        if position.day == today and position.shard >= shards:
            report.complete = True
            return True
        if budget.exhausted():
            return False


def _process(
    store: Store,
    rule: retention.Rule,
    now: datetime,
    ports: Ports,
    access: StoreAccess,
    items: list[dict[str, Any]],
    threshold: int,
    held_cache: dict[str, bool],
    report: StoreReport,
) -> None:
    owner = store.owner_attribute
    needs_fetch = bool(store.linked_objects) or (owner is not None and owner not in store.key_attributes)
    if needs_fetch:
        wanted = [link.key_attribute for link in store.linked_objects] + ([owner] if owner else [])
        fetched, calls = access.get_many([access.key_of(i) for i in items], wanted)
        report.read_calls += calls
        items = fetched  # items already gone (TTL) simply are not returned
    to_remove = items
    if store.legal_hold.blocks_retention and owner:
        subjects = {str(i[owner]) for i in items if i.get(owner)}
        unknown = subjects - held_cache.keys()
        if unknown:
            held_now = ports.holds.held_among(unknown)
            held_cache.update({s: s in held_now for s in unknown})
        held_items = [i for i in items if held_cache.get(str(i.get(owner)), False)]
        to_remove = [i for i in items if not held_cache.get(str(i.get(owner)), False)]
        for item in held_items:
            access.set_expiry(access.key_of(item), None)  # a write raced the hold: the hold wins
            report.write_calls += 1
        report.held += len(held_items)
        report.held_accounts = sorted({*report.held_accounts, *(str(i[owner]) for i in held_items)})
    failed: list[dict[str, Any]] = []
    removable: list[dict[str, Any]] = []
    for item in to_remove:
        try:
            report.objects_removed += _remove_linked(store, item, ports)
        except Exception:  # noqa: BLE001 - the item stays (with its links) and is retried next run
            failed.append(access.key_of(item))
            continue
        removable.append(item)
    keys = [access.key_of(i) for i in removable]
    if rule.method == ErasureMethod.DELETE and keys:
        outcome = access.delete_items(keys)
        report.deleted += outcome.deleted
        report.write_calls += outcome.calls
        failed.extend(outcome.failed_keys)
    elif rule.method == ErasureMethod.ANONYMIZE:
        at = now.isoformat()
        for key in keys:
            report.write_calls += 1
            try:
                done = access.anonymize(key, store.anonymized_fields, threshold, at)
            except Exception:  # noqa: BLE001 - counted and retried next run
                failed.append(key)
                continue
            if done:
                report.anonymized += 1
            else:
                report.skipped += 1
    _requeue(store, now, ports, access, failed, report)


def _remove_linked(store: Store, item: dict[str, Any], ports: Ports) -> int:
    removed = 0
    for link in store.linked_objects:
        object_key = item.get(link.key_attribute)
        if object_key:
            removed += ports.objects.delete_object(ports.bucket_name(link.bucket_setting), str(object_key))
    return removed


def _requeue(
    store: Store,
    now: datetime,
    ports: Ports,
    access: StoreAccess,
    failed: list[dict[str, Any]],
    report: StoreReport,
) -> None:
    """Failed items move to tomorrow's bucket: today's pass is under way, tomorrow's run reads it."""
    report.failed += len(failed)
    tomorrow = now.date() + timedelta(days=1)
    for key in failed:
        try:
            access.move_to_bucket(key, ports.bucket_of(tomorrow, key, store))
            report.write_calls += 1
        except Exception:  # noqa: BLE001,S112 - TTL still removes it (delete) or the backstop does (anonymize)
            continue
