"""The review list of inbound messages (ReviewTable): one entry per SES message, open until resolved.

Open entries carry `queue = "open"`, the hash key of the sparse `open_by_received` index, so the
DPO's list is one Query that never reads resolved entries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from privacydesk.email_intake.domain.review_model import ReviewEntry
from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.kernel.errors import Conflict
from privacydesk.requests.adapters.requests_store import iso

OPEN_QUEUE = "open"
REVIEW_RETENTION = timedelta(days=3 * 365)  # as the raw mail it points at (inbound bucket lifecycle)


class OpenByReceived(GlobalSecondaryIndex["ReviewRecord"]):
    class Meta:
        index_name = "open_by_received"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


@table("review_table")
class ReviewRecord(Model):
    class Meta:
        table_name = "review"

    entry_id = UnicodeAttribute(hash_key=True)
    queue = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()
    document = JSONAttribute()
    expires_at = NumberAttribute()

    open_by_received = OpenByReceived()

    def to_domain(self) -> ReviewEntry:
        return ReviewEntry.model_validate(self.document)


class ReviewRepository:
    def add(self, entry: ReviewEntry) -> ReviewEntry:
        """Record an entry once; a second delivery of the same message returns the first entry."""
        record = ReviewRecord(
            entry_id=entry.entry_id,
            queue=None if entry.resolved else OPEN_QUEUE,
            received_at=iso(entry.received_at),
            document=entry.model_dump(mode="json"),
            expires_at=int((entry.received_at + REVIEW_RETENTION).timestamp()),
        )
        try:
            record.save(condition=ReviewRecord.entry_id.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            return ReviewRecord.get(entry.entry_id, consistent_read=True).to_domain()
        return entry

    def get(self, entry_id: str) -> ReviewEntry | None:
        try:
            return ReviewRecord.get(entry_id, consistent_read=True).to_domain()
        except ReviewRecord.DoesNotExist:
            return None

    def open_entries(
        self, *, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[ReviewEntry], dict[str, Any] | None]:
        """Open entries, oldest first (the order the DPO should work them)."""
        result = ReviewRecord.open_by_received.query(OPEN_QUEUE, limit=limit, last_evaluated_key=cursor)
        items = [record.to_domain() for record in result]
        return items, result.last_evaluated_key

    def close(self, entry: ReviewEntry) -> ReviewEntry:
        """Store a resolved entry and take it off the open list, only if it is still open."""
        record = ReviewRecord(entry_id=entry.entry_id)
        try:
            record.update(
                actions=[ReviewRecord.queue.remove(), ReviewRecord.document.set(entry.model_dump(mode="json"))],
                condition=ReviewRecord.queue == OPEN_QUEUE,
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            raise Conflict(
                f"review entry {entry.entry_id} is already resolved", code="review_already_resolved"
            ) from error
        return entry
