"""Legal holds, one item per subject (account id), and the per-item TTL switches a hold needs.

Implements logic.legal_hold.HoldRepository and SubjectItems; a caller passes them in:
`legal_hold.set_hold(account_id, reason, now=..., datamap=load_datamap(), holds=HoldRepository(),
items=SubjectItems())`. A hold strips `expires_at` and
`expiry_bucket` from the subject's items (so neither TTL nor the sweep can remove them); clearing
it writes them back from the retention schedule.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from privacydesk.dal.base import table
from privacydesk.dal.retention_fields import retention_fields
from privacydesk.dal.store_items import StoreTable
from privacydesk.logic.legal_hold import Hold
from privacydesk.models.datamap import Store


@table("subject_holds_table")
class SubjectHoldRecord(Model):
    class Meta:
        table_name = "subject-holds"

    account_id = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute()
    set_at = UTCDateTimeAttribute()
    request_id = UnicodeAttribute(null=True)  # the request or case that asked for the hold


def _hold_of(record: SubjectHoldRecord) -> Hold:
    return Hold(account_id=record.account_id, reason=record.reason, set_at=record.set_at, request_id=record.request_id)


class HoldRepository:
    def get(self, account_id: str) -> Hold | None:
        try:
            return _hold_of(SubjectHoldRecord.get(account_id))
        except SubjectHoldRecord.DoesNotExist:
            return None

    def put(self, hold: Hold) -> None:
        SubjectHoldRecord(
            account_id=hold.account_id, reason=hold.reason, set_at=hold.set_at, request_id=hold.request_id
        ).save()

    def delete(self, account_id: str) -> None:
        SubjectHoldRecord(account_id=account_id).delete()

    def held_among(self, account_ids: Iterable[str]) -> set[str]:
        """Which of these subjects are under a hold (BatchGetItem, 100 keys a call)."""
        wanted = sorted(set(account_ids))
        if not wanted:
            return set()
        return {record.account_id for record in SubjectHoldRecord.batch_get(wanted)}


class SubjectItems:
    """A subject's items in one store, found through the store's account-id lookup."""

    def keys_and_items(self, store: Store, account_id: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        yield from StoreTable(store).subject_items(account_id)

    def set_expiry(self, store: Store, key: dict[str, Any], fields: dict[str, Any] | None) -> bool:
        """Write (or with None, remove) expires_at and expiry_bucket on an existing item."""
        return StoreTable(store).set_expiry(key, fields)

    def expiry_for(self, store: Store, item: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        return retention_fields(store, item, now=now)
