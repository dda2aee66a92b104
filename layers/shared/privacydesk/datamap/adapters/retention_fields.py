"""TTL on every write, and the filter on every read, for the data map's stores.

Writers (the seed, fulfilment's corrections, anything that puts a store item) call `stamp()` on
a PynamoDB record, or `retention_fields()` on a plain item, right before saving: it sets
`expires_at` (the TTL) and `expiry_bucket` (the sparse by_expiry index) from the retention
schedule, and clears them while the subject is under a legal hold.

Readers filter expired items out, because DynamoDB deletes lazily (within days): `live_condition`
for PynamoDB queries, `live_filter` for low-level queries, `live_items` for anything fetched by key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from privacydesk.datamap.adapters.reference_stores import expiry_bucket
from privacydesk.datamap.domain.model import Store, load_datamap
from privacydesk.kernel.dynamo import settings_field_of
from privacydesk.kernel.settings import get_settings
from privacydesk.retention.domain import schedule as retention


@lru_cache(maxsize=4)
def _rules(overrides: str) -> dict[str, retention.Rule]:
    return retention.schedule(load_datamap(), retention.parse_overrides(overrides))


def rules() -> dict[str, retention.Rule]:
    """The schedule in force: the data map plus RETENTION_OVERRIDES."""
    return _rules(get_settings().retention_overrides)


def store_named(name: str) -> Store:
    return load_datamap().store(name)


def store_of_model(model: type[Model]) -> Store:
    field = settings_field_of(model)
    return next(s for s in load_datamap().stores if s.table_setting == field)


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


def request_record_ttl(closed_at: datetime) -> int:
    """RequestsTable.expires_at for a request closed at `closed_at` (3 years, see retention/domain/schedule.py)."""
    return int(retention.request_record_expiry(closed_at).timestamp())


# ------------------------------------------------------------------ reads


def live_condition(model: type[Model], now: datetime) -> Condition:
    """PynamoDB filter_condition that drops items past their retention (TTL not yet applied)."""
    threshold = rules()[store_of_model(model).name].due_threshold(now)
    ttl = model.expires_at  # type: ignore[attr-defined]
    condition: Condition = ttl.does_not_exist() | (ttl > threshold)
    return condition


def live_filter(store: Store, now: datetime) -> dict[str, Any]:
    """FilterExpression parameters for a low-level Query of `store` (merge into the call)."""
    threshold = rules()[store.name].due_threshold(now)
    return {
        "FilterExpression": "attribute_not_exists(#ttl) OR #ttl > :now_ttl",
        "ExpressionAttributeNames": {"#ttl": "expires_at"},
        "ExpressionAttributeValues": {":now_ttl": {"N": str(threshold)}},
    }


def live_items(store: Store, items: Iterable[Mapping[str, Any]], now: datetime) -> list[Mapping[str, Any]]:
    """Items fetched by key (GetItem/BatchGetItem take no filter), without those past retention."""
    rule = rules()[store.name]
    return [item for item in items if rule.is_live(item, now)]
