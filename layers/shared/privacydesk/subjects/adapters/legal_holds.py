"""Legal holds, one item per subject (account id), and the per-item TTL switches a hold needs.

Implements subjects.domain.legal_hold.HoldRepository and SubjectItems; a caller passes them in:
`legal_hold.set_hold(account_id, reason, now=..., datamap=load_datamap(), holds=HoldRepository(),
items=SubjectItems(), actor=...)`. A hold strips `expires_at` and
`expiry_bucket` from the subject's items (so neither TTL nor the sweep can remove them); clearing
it writes them back from the retention schedule.

Placing and lifting a hold each write the hold item and the next event of the subject's audit
chain (stream `subject#<account id>` in the audit table) in one transaction, conditional on the
hold's state and on the event's sequence number, so no change goes unaudited.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from privacydesk.audit.adapters.audit_store import AuditTrailStore, save_in
from privacydesk.audit.domain.trail import AuditEvent, subject_stream
from privacydesk.datamap.adapters.dynamodb_store import DynamoDbStore
from privacydesk.datamap.adapters.retention_fields import retention_fields
from privacydesk.datamap.domain.model import Store
from privacydesk.kernel.dynamo import table, transaction_condition_failed
from privacydesk.kernel.errors import Conflict
from privacydesk.requests.adapters.requests_store import transaction_connection
from privacydesk.subjects.domain.legal_hold import Hold


@table("subject_holds_table")
class SubjectHoldRecord(Model):
    class Meta:
        table_name = "subject-holds"

    account_id = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute()
    set_at = UTCDateTimeAttribute()
    request_id = UnicodeAttribute(null=True)  # the request or case that asked for the hold
    set_by = UnicodeAttribute(null=True)


def _hold_of(record: SubjectHoldRecord) -> Hold:
    return Hold(
        account_id=record.account_id,
        reason=record.reason,
        set_at=record.set_at,
        request_id=record.request_id,
        set_by=record.set_by,
    )


def _next_subject_event(account_id: str, action: str, actor: str, at: datetime, details: dict[str, Any]) -> AuditEvent:
    return AuditTrailStore().next_event(subject_stream(account_id), action=action, actor=actor, at=at, details=details)


@contextmanager
def _audited(event: AuditEvent) -> Iterator[TransactWrite]:
    """One transaction: the caller's hold write plus `event`, the next link of the subject's chain."""
    try:
        with TransactWrite(connection=transaction_connection()) as tx:
            yield tx
            save_in(tx, event)
    except TransactWriteError as error:
        if not transaction_condition_failed(error):
            raise  # throttling or an outage: the API answers 503 and the caller retries
        raise Conflict("the subject's hold changed meanwhile; try again", code="hold_changed") from error


class HoldRepository:
    def get(self, account_id: str) -> Hold | None:
        try:
            return _hold_of(SubjectHoldRecord.get(account_id))
        except SubjectHoldRecord.DoesNotExist:
            return None

    def put(self, hold: Hold) -> None:
        """Place a hold that is not there yet, with its hold_set audit event."""
        record = SubjectHoldRecord(
            account_id=hold.account_id,
            reason=hold.reason,
            set_at=hold.set_at,
            request_id=hold.request_id,
            set_by=hold.set_by,
        )
        details = {"reason": hold.reason, "request_id": hold.request_id}
        event = _next_subject_event(hold.account_id, "hold_set", hold.set_by or "system", hold.set_at, details)
        with _audited(event) as tx:
            tx.save(record, condition=SubjectHoldRecord.account_id.does_not_exist())

    def delete(self, account_id: str, *, actor: str, at: datetime) -> None:
        """Lift a hold that is there, with its hold_cleared audit event."""
        event = _next_subject_event(account_id, "hold_cleared", actor, at, {})
        with _audited(event) as tx:
            tx.delete(SubjectHoldRecord(account_id=account_id), condition=SubjectHoldRecord.account_id.exists())

    def history(self, account_id: str) -> list[AuditEvent]:
        """The subject's hold events, oldest first."""
        return AuditTrailStore().events(subject_stream(account_id))

    def held_among(self, account_ids: Iterable[str]) -> set[str]:
        """Which of these subjects are under a hold (BatchGetItem, 100 keys a call)."""
        wanted = sorted(set(account_ids))
        if not wanted:
            return set()
        return {record.account_id for record in SubjectHoldRecord.batch_get(wanted)}


class SubjectItems:
    """A subject's items in one store, found through the store's account-id lookup."""

    def keys_and_items(self, store: Store, account_id: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        yield from DynamoDbStore(store).subject_items(account_id)

    def set_expiry(self, store: Store, key: dict[str, Any], fields: dict[str, Any] | None) -> bool:
        """Write (or with None, remove) expires_at and expiry_bucket on an existing item."""
        return DynamoDbStore(store).set_expiry(key, fields)

    def expiry_for(self, store: Store, item: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        return retention_fields(store, item, now=now)
