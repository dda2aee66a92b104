"""The processor-notice table: one item per request and processor, put when the notice is sent.

`awaiting` is set only while the notice is neither confirmed nor escalated, so the sparse
`awaiting_by_due` index holds exactly the notices the deadline monitor may have to escalate; it
reads that index by due date and never scans.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.processors.domain.sent_notices import SentNotice

# A notice is part of its request's record: it goes when that does (3 years after closing, and the
# completion closed it just before the notice was sent), a month later like the audit trail.
NOTICE_RETENTION = timedelta(days=3 * 365 + 30)  # requests.adapters.requests_store.REQUEST_RECORD_RETENTION + 30 days
AWAITING = "awaiting"  # the one partition of the sparse index: a handful of open notices at most


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # fixed width: sorts in time order


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


class AwaitingByDue(GlobalSecondaryIndex["ProcessorNoticeRecord"]):
    class Meta:
        index_name = "awaiting_by_due"
        projection = AllProjection()

    awaiting = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


@table("processor_notices_table")
class ProcessorNoticeRecord(Model):
    class Meta:
        table_name = "processor-notices"

    request_id = UnicodeAttribute(hash_key=True)
    processor = UnicodeAttribute(range_key=True)
    channel = UnicodeAttribute()
    notified_at = UnicodeAttribute()
    due_at = UnicodeAttribute()
    awaiting = UnicodeAttribute(null=True)
    confirmed_at = UnicodeAttribute(null=True)
    escalated_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()  # TTL
    awaiting_by_due = AwaitingByDue()

    def to_domain(self) -> SentNotice:
        return SentNotice(
            request_id=self.request_id,
            processor=self.processor,
            channel=self.channel,
            notified_at=_moment(self.notified_at) or datetime.min.replace(tzinfo=UTC),
            due_at=_moment(self.due_at) or datetime.min.replace(tzinfo=UTC),
            confirmed_at=_moment(self.confirmed_at),
            escalated_at=_moment(self.escalated_at),
        )


class ProcessorNoticeStore:
    """Implements `SentNotices`."""

    def record_sent(self, notice: SentNotice) -> None:
        record = ProcessorNoticeRecord(
            request_id=notice.request_id,
            processor=notice.processor,
            channel=notice.channel,
            notified_at=_iso(notice.notified_at),
            due_at=_iso(notice.due_at),
            awaiting=AWAITING,
            expires_at=int((notice.notified_at + NOTICE_RETENTION).timestamp()),
        )
        try:
            record.save(condition=ProcessorNoticeRecord.request_id.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise  # a redelivery after a failed send: the first attempt's dates stand

    def of_request(self, request_id: str) -> list[SentNotice]:
        return [r.to_domain() for r in ProcessorNoticeRecord.query(request_id, consistent_read=True)]

    def awaiting_due(self, before: datetime, limit: int = 200) -> list[SentNotice]:
        found = ProcessorNoticeRecord.awaiting_by_due.query(
            AWAITING, ProcessorNoticeRecord.due_at <= _iso(before), limit=limit
        )
        return [r.to_domain() for r in found]

    def close(
        self, request_id: str, processor: str, *, confirmed_at: datetime | None, escalated_at: datetime | None
    ) -> None:
        actions: list[Action] = [ProcessorNoticeRecord.awaiting.remove()]
        if confirmed_at is not None:
            actions.append(ProcessorNoticeRecord.confirmed_at.set(_iso(confirmed_at)))
        if escalated_at is not None:
            actions.append(ProcessorNoticeRecord.escalated_at.set(_iso(escalated_at)))
        ProcessorNoticeRecord(request_id=request_id, processor=processor).update(
            actions=actions, condition=ProcessorNoticeRecord.request_id.exists()
        )
