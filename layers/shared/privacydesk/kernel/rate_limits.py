"""Token buckets shared by concurrent Lambda invocations: one item per bucket, changed only by a
conditional write that expects the version it read (optimistic concurrency), so two senders can
never spend the same token."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.kernel.token_bucket import BucketState, Grant, take


@table("rate_limits_table")
class TokenBucketRecord(Model):
    class Meta:
        table_name = "rate-limits"

    bucket_id = UnicodeAttribute(hash_key=True)
    tokens = NumberAttribute()
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=0)


class DynamoTokenBucket:
    """Implements change_notices.domain.notice_delivery.RateLimiter."""

    def __init__(self, bucket_id: str, rate: float, capacity: float | None = None, max_attempts: int = 20) -> None:
        self.bucket_id = bucket_id
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)  # one second's burst
        self.max_attempts = max_attempts

    def take(self, wanted: int, now: datetime) -> Grant:
        for _ in range(self.max_attempts):
            try:
                record: TokenBucketRecord | None = TokenBucketRecord.get(self.bucket_id, consistent_read=True)
            except TokenBucketRecord.DoesNotExist:
                record = None
            state = BucketState(float(record.tokens), record.updated_at) if record else None
            grant = take(state, wanted, self.rate, self.capacity, now)
            if record is not None and grant.granted == 0:
                return grant  # nothing to spend, nothing to write
            revision = int(record.revision) if record else 0
            condition = (
                TokenBucketRecord.revision == revision if record else TokenBucketRecord.bucket_id.does_not_exist()
            )
            try:
                TokenBucketRecord(
                    bucket_id=self.bucket_id,
                    tokens=grant.state.tokens,
                    updated_at=grant.state.updated_at,
                    revision=revision + 1,
                ).save(condition=condition)
            except PutError as error:
                if condition_failed(error):
                    continue  # another sender spent tokens first: read again
                raise
            return grant
        # Heavy contention: report an empty bucket; the caller waits and asks again.
        return Grant(granted=0, state=BucketState(0.0, now), wait_seconds=1.0 / self.rate)
