"""What the retention sweep reads and writes, on DynamoDB and S3 (retention.domain.retention_sweep.Ports)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from privacydesk.datamap.adapters.dynamodb_store import DynamoDbStore
from privacydesk.datamap.adapters.locations import physical_name
from privacydesk.datamap.adapters.retention_fields import bucket_for
from privacydesk.datamap.domain.model import Store, load_datamap
from privacydesk.datamap.domain.retention_schedule import Checkpoint
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.kernel.object_store import S3ObjectStore
from privacydesk.subjects.adapters.legal_holds import HoldRepository


@table("retention_checkpoints_table")
class RetentionCheckpointRecord(Model):
    """One item per store: where its sweep stands (day, shard, the index query's LastEvaluatedKey)."""

    class Meta:
        table_name = "retention-checkpoints"

    store = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute()
    shard = NumberAttribute()
    last_key = UnicodeAttribute(null=True)
    completed_at = NumberAttribute(null=True)
    updated_at = UTCDateTimeAttribute()


class CheckpointRepository:
    def load(self, store: str) -> Checkpoint | None:
        try:
            record = RetentionCheckpointRecord.get(store, consistent_read=True)
        except RetentionCheckpointRecord.DoesNotExist:
            return None
        return Checkpoint(
            day=date.fromisoformat(record.day),
            shard=int(record.shard),
            last_key=record.last_key,
            completed_at=int(record.completed_at) if record.completed_at is not None else None,
        )

    def save(self, store: str, checkpoint: Checkpoint) -> None:
        RetentionCheckpointRecord(
            store=store,
            day=checkpoint.day.isoformat(),
            shard=checkpoint.shard,
            last_key=checkpoint.last_key,
            completed_at=checkpoint.completed_at,
            updated_at=utc_now(),
        ).save()


LEASE_KEY = "#sweep-lease"  # no data-map store starts with "#"


@table("retention_checkpoints_table")
class SweepLeaseRecord(Model):
    """The one item that says which invocation may sweep, until when (epoch ms)."""

    class Meta:
        table_name = "retention-checkpoints"

    store = UnicodeAttribute(hash_key=True)  # always LEASE_KEY
    holder = UnicodeAttribute()
    lease_until = NumberAttribute()
    updated_at = UTCDateTimeAttribute()


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class SweepLeaseStore:
    """retention.domain.retention_sweep.Lease on DynamoDB: a conditional put decides, so two invocations that
    race for it cannot both win."""

    def acquire(self, holder: str, now: datetime, until: datetime) -> bool:
        free = (
            SweepLeaseRecord.store.does_not_exist()
            | (SweepLeaseRecord.lease_until < _epoch_ms(now))
            | (SweepLeaseRecord.holder == holder)
        )
        record = SweepLeaseRecord(LEASE_KEY, holder=holder, lease_until=_epoch_ms(until), updated_at=now)
        try:
            record.save(condition=free)
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def release(self, holder: str, now: datetime) -> None:
        record = SweepLeaseRecord(LEASE_KEY, holder=holder, lease_until=0, updated_at=now)
        try:
            record.save(condition=SweepLeaseRecord.holder == holder)
        except PutError as error:
            if not condition_failed(error):  # someone else holds it now (ours ran out): leave theirs
                raise


class SweepPorts:
    def __init__(self) -> None:
        self.checkpoints = CheckpointRepository()
        self.holds = HoldRepository()
        self.objects = S3ObjectStore()

    def store(self, store: Store) -> DynamoDbStore:
        return DynamoDbStore(store)

    def bucket_name(self, store: str) -> str:
        return physical_name(load_datamap().store(store))

    def bucket_of(self, day: date, key: dict[str, Any], store: Store) -> str:
        return bucket_for(store, key, day)
