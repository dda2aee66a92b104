"""The daily retention sweep: remove what has outlived its retention, reading only what expired.

For every store whose rule expires items, from the store's checkpoint up to today, and for each
of the index shards of each day, it queries the sparse `by_expiry` index for items whose TTL is
at or below the due threshold (never a scan). Per page of keys:
- items of subjects under legal hold are skipped and reported (and their TTL stripped, if a write
  raced the hold), when the store's legal-hold rule blocks retention;
- linked S3 objects are removed first (so a crash never orphans them);
- delete stores: batch deletes, 25 a call, unprocessed items retried;
- anonymize stores: the page's items are read in batches (the index holds keys only), then each is
  rewritten unlinkable in one conditional transaction (datamap.domain.anonymization: the rule Delete uses);
- an item that still fails is moved to tomorrow's bucket so the next run retries it, and is counted.
The checkpoint (day, shard, LastEvaluatedKey) is saved after every page, and the sweep stops when
the invocation's remaining time drops below a reserve, so the next run resumes where it stopped.
Every step is idempotent: a re-read page finds only what is still there.

Only one invocation sweeps at a time: it must first take the lease (one item, written with a
condition, expiring after LEASE_SECONDS), and an invocation that cannot take it does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from privacydesk.datamap.domain import retention_schedule as retention
from privacydesk.datamap.domain.model import DataMap, ErasureMethod, Store
from privacydesk.datamap.domain.ports import StoreAccess

MAX_BATCH = 25  # BatchWriteItem's limit
# Longer than the sweep function's Timeout (900 s in template.yaml): a holder that crashed or timed
# out without releasing frees the lease by itself this long after taking it.
LEASE_SECONDS = 960


class Checkpoints(Protocol):
    def load(self, store: str) -> retention.Checkpoint | None: ...
    def save(self, store: str, checkpoint: retention.Checkpoint) -> None: ...


class Holds(Protocol):
    def held_among(self, account_ids: set[str]) -> set[str]: ...


class Objects(Protocol):
    def delete_object(self, bucket: str, key: str) -> int: ...
    def delete_all_versions(self, bucket: str, prefix: str) -> int: ...


class Lease(Protocol):
    """Taken before a sweep, released after it (retention.adapters.sweep_ports.SweepLeaseStore)."""

    def acquire(self, holder: str, now: datetime, until: datetime) -> bool: ...
    def release(self, holder: str, now: datetime) -> None: ...


class Ports(Protocol):
    @property
    def checkpoints(self) -> Checkpoints: ...
    @property
    def holds(self) -> Holds: ...
    @property
    def objects(self) -> Objects: ...

    def store(self, store: Store) -> StoreAccess: ...
    def bucket_name(self, store: str) -> str: ...  # the bucket of the data map's s3 store `store`
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
    run_started: datetime  # the first invocation's start, carried by continuations
    skipped: bool = False  # another invocation held the lease: nothing was read or written

    @property
    def complete(self) -> bool:
        return not self.skipped and all(s.complete for s in self.stores)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "run_started": self.run_started.isoformat(),
            "complete": self.complete,
            "skipped": self.skipped,
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
    run_started: datetime | None = None,
) -> SweepReport:
    """One invocation. `run_started` is set when it continues a run that ran out of time."""
    report = SweepReport(started_at=now, stores=[], run_started=run_started or now)
    out_of_time = False
    for store in datamap.stores:
        rule = rules[store.name]
        if store.kind != "dynamodb" or not rule.expires:
            continue
        store_report = StoreReport(store=store.name, method=rule.method.value)
        report.stores.append(store_report)
        if out_of_time:
            continue
        out_of_time = not _sweep_store(
            store, rule, report, ports, budget, shards, lookback_days, page_size, store_report
        )
    return report


def sweep_exclusively(
    lease: Lease, holder: str, now: datetime, run: Callable[[], SweepReport], run_started: datetime | None = None
) -> SweepReport:
    """`run` under the lease; a report marked skipped when another invocation holds it."""
    if not lease.acquire(holder, now, now + timedelta(seconds=LEASE_SECONDS)):
        return SweepReport(started_at=now, stores=[], run_started=run_started or now, skipped=True)
    try:
        return run()
    finally:
        lease.release(holder, now)


def _sweep_store(
    store: Store,
    rule: retention.Rule,
    run: SweepReport,
    ports: Ports,
    budget: Budget,
    shards: int,
    lookback_days: int,
    page_size: int,
    report: StoreReport,
) -> bool:
    """Sweep one store from its checkpoint; False when it stopped because time ran out."""
    today = run.started_at.date()
    saved = ports.checkpoints.load(store.name) or retention.first_checkpoint(today, lookback_days)
    position = retention.resume_from(saved, today, shards, retention.epoch_ms(run.run_started))
    report.from_day = report.through_day = saved.day.isoformat()
    if position is None:
        report.complete = True
        return True
    worker = _StoreSweep(store, rule, run.started_at, ports, report)
    while True:
        report.through_day = position.day.isoformat()
        page = worker.access.expired_page(
            f"{position.day.isoformat()}#{position.shard}", worker.threshold, position.last_key, page_size
        )
        report.queries += 1
        report.items_read += len(page.items)
        worker.process(page.items, resume_at=position)
        position = retention.after_page(position, page.next_key, run.started_at, shards)
        done = position.day == today and position.shard >= shards
        stopping = done or budget.exhausted()
        # The checkpoint never passes an item whose delete is still buffered (a crash re-reads it).
        ports.checkpoints.save(store.name, worker.flush(everything=stopping) or position)
        if done:
            report.complete = True
            return True
        if stopping:
            return False


class _StoreSweep:
    """Handles the pages of one store. Deletes are buffered across pages and shards, so they go out
    in full batches of 25 (ceil(n/25) calls for n items), whatever the spread over the index."""

    def __init__(self, store: Store, rule: retention.Rule, now: datetime, ports: Ports, report: StoreReport) -> None:
        self.store, self.rule, self.now, self.ports, self.report = store, rule, now, ports, report
        self.access = ports.store(store)
        self.threshold = rule.due_threshold(now)
        self.held_cache: dict[str, bool] = {}
        self.pending: list[tuple[dict[str, Any], retention.Checkpoint]] = []  # (key, where its page began)

    def process(self, items: list[dict[str, Any]], resume_at: retention.Checkpoint) -> None:
        if not items:
            return
        store, owner = self.store, self.store.owner_attribute
        anonymizing = self.rule.method == ErasureMethod.ANONYMIZE
        if anonymizing or store.linked_objects or (owner is not None and owner not in store.key_attributes):
            wanted = [name for link in store.linked_objects for name in link.attributes] + ([owner] if owner else [])
            if anonymizing:  # the rewrite needs the whole item
                wanted += [*store.fields, "expires_at"]
            items, calls = self.access.get_many([self.access.key_of(i) for i in items], wanted)
            self.report.read_calls += calls  # items already gone (TTL) are simply not returned
        if store.legal_hold.blocks_retention and owner:
            items = self._skip_held(items, owner)
        failed: list[dict[str, Any]] = []
        removable: list[dict[str, Any]] = []
        for item in items:
            try:
                self.report.objects_removed += self._remove_linked(item)
            except Exception:  # noqa: BLE001 - the item stays (with its links) and is retried next run
                failed.append(self.access.key_of(item))
                continue
            removable.append(item)
        if anonymizing:
            failed.extend(self._anonymize(removable))
        else:
            self.pending.extend((self.access.key_of(item), resume_at) for item in removable)
        self._requeue(failed)

    def flush(self, *, everything: bool) -> retention.Checkpoint | None:
        """Delete the buffered keys in full batches (all of them when stopping); returns the checkpoint
        to save if some keys stay buffered (where the oldest one's page began), else None."""
        count = len(self.pending) if everything else len(self.pending) // MAX_BATCH * MAX_BATCH
        if count:
            outcome = self.access.delete_items([key for key, _ in self.pending[:count]])
            self.report.deleted += outcome.deleted
            self.report.write_calls += outcome.calls
            self.pending = self.pending[count:]
            self._requeue(outcome.failed_keys)
        return self.pending[0][1] if self.pending else None

    def _skip_held(self, items: list[dict[str, Any]], owner: str) -> list[dict[str, Any]]:
        unknown = {str(i[owner]) for i in items if i.get(owner)} - self.held_cache.keys()
        if unknown:
            held_now = self.ports.holds.held_among(unknown)
            self.held_cache.update({s: s in held_now for s in unknown})
        held = [i for i in items if self.held_cache.get(str(i.get(owner)), False)]
        for item in held:
            self.access.set_expiry(self.access.key_of(item), None)  # a write raced the hold: the hold wins
            self.report.write_calls += 1
        self.report.held += len(held)
        self.report.held_accounts = sorted({*self.report.held_accounts, *(str(i[owner]) for i in held)})
        return [i for i in items if not self.held_cache.get(str(i.get(owner)), False)]

    def _anonymize(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        failed = []
        for item in items:
            self.report.write_calls += 1
            try:
                done = self.access.anonymize_expired(item, self.threshold)
            except Exception:  # noqa: BLE001 - counted and retried next run
                failed.append(self.access.key_of(item))
                continue
            if done:
                self.report.anonymized += 1
            else:
                self.report.skipped += 1
        return failed

    def _remove_linked(self, item: dict[str, Any]) -> int:
        removed = 0
        for link in self.store.linked_objects:
            location = link.location(item)
            if location is None:
                continue
            bucket = self.ports.bucket_name(link.bucket_store)
            key, exact = location
            objects = self.ports.objects
            removed += objects.delete_object(bucket, key) if exact else objects.delete_all_versions(bucket, key)
        return removed

    def _requeue(self, failed: list[dict[str, Any]]) -> None:
        """Failed items move to tomorrow's bucket: today's pass is under way, tomorrow's run reads it."""
        self.report.failed += len(failed)
        tomorrow = self.now.date() + timedelta(days=1)
        for key in failed:
            try:
                self.access.move_to_bucket(key, self.ports.bucket_of(tomorrow, key, self.store))
                self.report.write_calls += 1
            except Exception:  # noqa: BLE001,S112  # nosec B112 - TTL or the backstop still removes it
                continue
