"""Token buckets per client source (requests.domain.ports.SourceThrottle), as items of the tokens
table beside the counters and challenges they protect, removed by its TTL once idle. The bucket
arithmetic is the kernel's (kernel/token_bucket.py); each change is a conditional write expecting
the revision it read, as kernel/rate_limits.py does, so concurrent guesses never share a token.
Sources are hashed here: the table never holds a client address."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.kernel.token_bucket import BucketState, refill, take
from privacydesk.requests.domain.ports import BucketRule

MAX_WRITE_ATTEMPTS = 10
IDLE_DAYS_KEPT = 2  # a bucket untouched this long is full again anyway: TTL removes it


@table("tokens_table")
class SourceBucketRecord(Model):
    class Meta:
        table_name = "tokens"

    token_id = UnicodeAttribute(hash_key=True)  # "bucket#<kind>#<sha256 of the source>"
    tokens = NumberAttribute()
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=0)
    expires_at = NumberAttribute()  # TTL


def _bucket_id(kind: str, source: str) -> str:
    return f"bucket#{kind}#{hashlib.sha256(source.encode()).hexdigest()}"


class SourceBuckets:
    """Implements requests.domain.ports.SourceThrottle."""

    def take(self, kind: str, source: str, rule: BucketRule, now: datetime) -> float:
        for _ in range(MAX_WRITE_ATTEMPTS):
            record = self._read(kind, source)
            state = BucketState(float(record.tokens), record.updated_at) if record else None
            grant = take(state, 1, rule.rate, rule.capacity, now)
            if not grant.granted:
                return max(grant.wait_seconds, 1.0)
            if self._write(kind, source, grant.state, record, now):
                return 0.0
        return 1.0 / rule.rate  # heavy contention on one source's bucket: treat it as empty

    def give_back(self, kind: str, source: str, rule: BucketRule, now: datetime) -> None:
        for _ in range(MAX_WRITE_ATTEMPTS):
            record = self._read(kind, source)
            if record is None:
                return  # nothing was spent (or it expired): a new bucket starts full
            current = refill(BucketState(float(record.tokens), record.updated_at), rule.rate, rule.capacity, now)
            returned = BucketState(min(float(rule.capacity), current.tokens + 1), current.updated_at)
            if self._write(kind, source, returned, record, now):
                return
        # Lost to contention: the holder of a right secret paid one token, nothing worse.

    def _read(self, kind: str, source: str) -> SourceBucketRecord | None:
        try:
            return SourceBucketRecord.get(_bucket_id(kind, source), consistent_read=True)
        except SourceBucketRecord.DoesNotExist:
            return None

    def _write(
        self, kind: str, source: str, state: BucketState, read: SourceBucketRecord | None, now: datetime
    ) -> bool:
        """Store `state` if nobody changed the bucket since `read`; False if someone did."""
        revision = int(read.revision) if read else 0
        condition = SourceBucketRecord.revision == revision if read else SourceBucketRecord.token_id.does_not_exist()
        try:
            SourceBucketRecord(
                token_id=_bucket_id(kind, source),
                tokens=state.tokens,
                updated_at=state.updated_at,
                revision=revision + 1,
                expires_at=int(now.timestamp()) + IDLE_DAYS_KEPT * 86400,
            ).save(condition=condition)
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True
