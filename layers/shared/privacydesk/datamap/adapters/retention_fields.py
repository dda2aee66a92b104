"""TTL on every write, and the filter on every read, for the data map's stores.

Writers (the seed, fulfilment's corrections, anything that puts a store item) call `stamp()` on
a PynamoDB record, or `retention_fields()` on a plain item, right before saving: it sets
`expires_at` (the TTL) and `expiry_bucket` (the sparse by_expiry index) from the retention
schedule, and clears them while the subject is under a legal hold.

Readers filter expired items out, because DynamoDB deletes lazily (within days): `is_expired` is
the one definition (past the schedule's due threshold), which the store adapter applies to exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from pynamodb.models import Model

from privacydesk.datamap.adapters.reference_stores import STORE_OF_MODEL, expiry_bucket
from privacydesk.datamap.domain import retention_schedule as retention
from privacydesk.datamap.domain.model import Store, load_datamap
from privacydesk.kernel.settings import get_settings


@lru_cache(maxsize=4)
def _rules(overrides: str) -> dict[str, retention.Rule]:
    return retention.schedule(load_datamap(), retention.parse_overrides(overrides))


def rules() -> dict[str, retention.Rule]:
    """The schedule in force: the data map plus RETENTION_OVERRIDES."""
    return _rules(get_settings().retention_overrides)


def store_named(name: str) -> Store:
    return load_datamap().store(name)


def store_of_model(model: type[Model]) -> Store:
    return load_datamap().store(STORE_OF_MODEL[model])


def retention_fields(store: Store, item: Mapping[str, Any], *, now: datetime, held: bool = False) -> dict[str, Any]:
    """{"expires_at": epoch | None, "expiry_bucket": str | None} for an item of `store`.

    None for both when the item never expires (keep, no period, no anchor yet) or is held.
    """
    rule = rules()[store.name]
    due = None if held else rule.due_at(item)
    if due is None:
        return {"expires_at": None, "expiry_bucket": None}
    return {"expires_at": rule.ttl_for(due), "expiry_bucket": bucket_for(store, item, retention.index_day(due, now))}


def bucket_for(store: Store, item: Mapping[str, Any], day: date) -> str:
    """The by_expiry partition ("YYYY-MM-DD#shard") of an item on `day`; the shard follows its key."""
    shard_key = "|".join(str(item[name]) for name in store.key_attributes)
    return expiry_bucket(datetime(day.year, day.month, day.day), shard_key)


def subject_of(store: Store, item: Mapping[str, Any]) -> str | None:
    value = item.get(store.owner_attribute) if store.owner_attribute else None
    return str(value) if value else None


def stamp(record: Model, *, now: datetime, held: bool | None = None) -> Model:
    """Set a reference-store record's TTL and expiry bucket from the schedule; returns the record.

    `held=None` looks the subject's legal hold up (one GetItem); pass it when already known.
    """
    store = store_of_model(type(record))
    values = dict(record.attribute_values)
    if held is None:
        subject = subject_of(store, values)
        held = bool(subject) and store.legal_hold.blocks_retention and _is_held(subject or "")
    for name, value in retention_fields(store, values, now=now, held=held).items():
        setattr(record, name, value)
    return record


def _is_held(account_id: str) -> bool:
    from privacydesk.subjects.adapters.legal_holds import HoldRepository  # holds import this module's callers

    return HoldRepository().get(account_id) is not None


# ------------------------------------------------------------------ reads


def is_expired(store: Store, item: Mapping[str, Any], now: datetime) -> bool:
    """Past its retention at `now` but not removed yet (TTL is lazy, the sweep runs daily)."""
    return not rules()[store.name].is_live(item, now)
