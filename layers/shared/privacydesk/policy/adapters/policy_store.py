"""Policy versions and notices: one table, `pk` = VERSION | NOTICE."""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from privacydesk.kernel.dynamo import condition_failed, table, transaction_condition_failed
from privacydesk.kernel.errors import Conflict, NotFound
from privacydesk.kernel.events import DomainEvent
from privacydesk.policy.domain.model import Notice, PolicyVersion, Severity
from privacydesk.requests.adapters.outbox_store import OutboxRecord, outbox_record
from privacydesk.requests.adapters.requests_store import transaction_connection
from privacydesk.requests.domain.outbox import event_item, numbered

VERSION_PK = "VERSION"
NOTICE_PK = "NOTICE"


@table("policy_table")
class PolicyVersionRecord(Model):
    class Meta:
        table_name = "policy"

    pk = UnicodeAttribute(hash_key=True, default=VERSION_PK)
    sk = UnicodeAttribute(range_key=True)  # the version id
    title = UnicodeAttribute()
    last_updated = UnicodeAttribute()
    effective_at = UTCDateTimeAttribute()
    significant = BooleanAttribute(default=False)
    summary = UnicodeAttribute(default="")
    body_markdown = UnicodeAttribute()
    published_at = UTCDateTimeAttribute()


@table("policy_table")
class NoticeRecord(Model):
    class Meta:
        table_name = "policy"

    pk = UnicodeAttribute(hash_key=True, default=NOTICE_PK)
    sk = UnicodeAttribute(range_key=True)  # the notice id
    title = UnicodeAttribute()
    body = UnicodeAttribute(default="")
    severity = UnicodeAttribute(default=Severity.INFO.value)
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute(null=True)


def _version_of(record: PolicyVersionRecord) -> PolicyVersion:
    return PolicyVersion(
        version=record.sk,
        title=record.title,
        last_updated=date.fromisoformat(record.last_updated),
        effective_at=record.effective_at,
        significant=record.significant,
        summary=record.summary,
        body_markdown=record.body_markdown,
        published_at=record.published_at,
    )


def _notice_of(record: NoticeRecord) -> Notice:
    return Notice(
        notice_id=record.sk,
        title=record.title,
        body=record.body,
        severity=Severity(record.severity),
        starts_at=record.starts_at,
        ends_at=record.ends_at,
    )


class PolicyRepository:
    """Implements policy.domain.policy.PolicyStore on DynamoDB."""

    def latest_effective(self, now: datetime) -> PolicyVersion | None:
        # Versions are few (a handful a year), so one query of the partition is cheap.
        effective = [_version_of(r) for r in PolicyVersionRecord.query(VERSION_PK) if r.effective_at <= now]
        return max(effective, key=lambda v: (v.effective_at, v.version), default=None)

    def current_version_id(self, now: datetime) -> str | None:
        """The id of the latest version in effect, reading only ids and dates (not the bodies)."""
        effective = [
            (r.effective_at, r.sk)
            for r in PolicyVersionRecord.query(VERSION_PK, attributes_to_get=["sk", "effective_at"])
            if r.effective_at <= now
        ]
        return max(effective)[1] if effective else None

    def versions(self) -> list[PolicyVersion]:
        return sorted(
            (_version_of(r) for r in PolicyVersionRecord.query(VERSION_PK)),
            key=lambda v: (v.effective_at, v.version),
            reverse=True,
        )

    def get_version(self, version: str) -> PolicyVersion | None:
        try:
            return _version_of(PolicyVersionRecord.get(VERSION_PK, version))
        except PolicyVersionRecord.DoesNotExist:
            return None

    def publish(self, version: PolicyVersion, now: datetime, announcement: DomainEvent | None = None) -> PolicyVersion:
        """Published versions are immutable: a second publish of the same id is a conflict.
        The announcement goes to the outbox in the same transaction (requests.outbox); seeding
        the first policy announces nothing."""
        record = PolicyVersionRecord(
            pk=VERSION_PK,
            sk=version.version,
            title=version.title,
            last_updated=version.last_updated.isoformat(),
            effective_at=version.effective_at,
            significant=version.significant,
            summary=version.summary,
            body_markdown=version.body_markdown,
            published_at=version.published_at or now,
        )
        try:
            with TransactWrite(connection=transaction_connection()) as tx:
                tx.save(record, condition=PolicyVersionRecord.sk.does_not_exist())
                announced = [event_item(announcement)] if announcement else []
                for item in numbered(announced, f"policy#{version.version}"):
                    tx.save(outbox_record(item, now), condition=OutboxRecord.outbox_id.does_not_exist())
        except TransactWriteError as error:
            if transaction_condition_failed(error):
                raise Conflict(
                    f"policy version {version.version} is already published", code="version_exists"
                ) from error
            raise
        return _version_of(record)

    def notices(self) -> list[Notice]:
        return [_notice_of(r) for r in NoticeRecord.query(NOTICE_PK)]

    def get_notice(self, notice_id: str) -> Notice | None:
        try:
            return _notice_of(NoticeRecord.get(NOTICE_PK, notice_id))
        except NoticeRecord.DoesNotExist:
            return None

    def put_notice(self, notice: Notice, *, must_exist: bool | None = None) -> Notice:
        """Save a notice. `must_exist=True` updates only (404 if missing), `False` creates only (409 if taken)."""
        condition: Condition | None = None
        if must_exist is True:
            condition = NoticeRecord.sk.exists()
        elif must_exist is False:
            condition = NoticeRecord.sk.does_not_exist()
        try:
            NoticeRecord(
                pk=NOTICE_PK,
                sk=notice.notice_id,
                title=notice.title,
                body=notice.body,
                severity=notice.severity.value,
                starts_at=notice.starts_at,
                ends_at=notice.ends_at,
            ).save(condition=condition)
        except PutError as error:
            if not condition_failed(error):
                raise
            if must_exist:
                raise NotFound(f"notice {notice.notice_id} does not exist", code="notice_not_found") from error
            raise Conflict(f"notice {notice.notice_id} already exists", code="notice_exists") from error
        return notice

    def delete_notice(self, notice_id: str) -> None:
        try:
            NoticeRecord(pk=NOTICE_PK, sk=notice_id).delete(condition=NoticeRecord.sk.exists())
        except DeleteError as error:
            if condition_failed(error):
                raise NotFound(f"notice {notice_id} does not exist", code="notice_not_found") from error
            raise
