"""Requests and their verification challenges; their audit trail is written through the audit
capability (audit.adapters.audit_store), in the same transaction.

A request is stored as its JSON document plus the attributes the indexes need. Every change is
one transaction: the request written on the condition that its version did not move, plus the
next audit event of its hash chain (and, for verification, the challenge marked used).
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from privacydesk.audit.adapters.audit_store import AuditTrailStore, save_in
from privacydesk.audit.domain.trail import AuditEvent, next_event
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.dynamo import table, transaction_condition_failed
from privacydesk.kernel.errors import Conflict, NotFound
from privacydesk.kernel.settings import get_settings
from privacydesk.requests.adapters.outbox_store import OutboxRecord, outbox_record
from privacydesk.requests.domain.deadline_monitor import MonitorRules
from privacydesk.requests.domain.deadline_monitor import next_check_at as monitor_next_check_at
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus
from privacydesk.requests.domain.outbox import Consequences, OutboxItem, numbered
from privacydesk.requests.domain.tokens import VerificationChallenge

OPEN_SHARDS = 4
REQUEST_RECORD_RETENTION = timedelta(days=3 * 365)  # privacy-request records: 3 years after closing


def iso(moment: datetime) -> str:
    """UTC, fixed width, so strings sort in time order inside the indexes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def open_shard(request_id: str) -> str:
    return f"OPEN#{zlib.crc32(request_id.encode()) % OPEN_SHARDS}"


def monitor_rules() -> MonitorRules:
    return MonitorRules(unverified_expiry_days=get_settings().unverified_expiry_days)


def next_check_at(request: PrivacyRequest) -> datetime:
    """When the deadline monitor should next look at an open request: its next warning, due
    date, reminder or expiry (requests.domain.deadline_monitor), or every run while it is overdue."""
    return monitor_next_check_at(request, monitor_rules())


def received_month(moment: datetime) -> str:
    """The partition of the by_received_month index: the UTC month of receipt, "YYYY-MM"."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def months_between(start: datetime, end: datetime) -> list[str]:
    """The UTC months that [start, end) touches, in order."""
    months: list[str] = []
    year, month = start.astimezone(UTC).year, start.astimezone(UTC).month
    last = end.astimezone(UTC) - timedelta(microseconds=1)
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


class ByStatus(GlobalSecondaryIndex["RequestRecord"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    respond_by = UnicodeAttribute(range_key=True)


class BySubject(GlobalSecondaryIndex["RequestRecord"]):
    class Meta:
        index_name = "by_subject"
        projection = AllProjection()

    subject_key = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class ByReceivedMonth(GlobalSecondaryIndex["RequestRecord"]):
    """Every request by the UTC month it was received in: the compliance report reads a
    period month by month instead of scanning the table."""

    class Meta:
        index_name = "by_received_month"
        projection = AllProjection()

    received_month = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class OpenByNextCheck(GlobalSecondaryIndex["RequestRecord"]):
    class Meta:
        index_name = "open_by_next_check"
        projection = AllProjection()

    open_shard = UnicodeAttribute(hash_key=True)
    next_check_at = UnicodeAttribute(range_key=True)


@table("requests_table")
class RequestRecord(Model):
    class Meta:
        table_name = "requests"

    request_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    type = UnicodeAttribute()
    channel = UnicodeAttribute()
    respond_by = UnicodeAttribute()
    subject_key = UnicodeAttribute()
    received_at = UnicodeAttribute()
    open_shard = UnicodeAttribute(null=True)  # only while open: the sparse index of open work
    next_check_at = UnicodeAttribute(null=True)
    received_month = UnicodeAttribute(null=True)  # "YYYY-MM" (UTC): the by_received_month index
    document = JSONAttribute()
    version = NumberAttribute(default=0)
    audit_seq = NumberAttribute(default=0)
    audit_head = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL, set when the request closes

    by_status = ByStatus()
    by_subject = BySubject()
    open_by_next_check = OpenByNextCheck()
    by_received_month = ByReceivedMonth()

    def to_domain(self) -> PrivacyRequest:
        return PrivacyRequest.model_validate({**self.document, "version": int(self.version)})


@table("tokens_table")
class ChallengeRecord(Model):
    class Meta:
        table_name = "tokens"

    token_id = UnicodeAttribute(hash_key=True)  # the request id
    secret_hash = UnicodeAttribute()
    method = UnicodeAttribute()
    valid_until = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    used = BooleanAttribute(default=False)
    subject_ref = UnicodeAttribute(null=True)  # hashed person key (failed attempts per subject)
    expires_at = NumberAttribute()  # TTL: removed a day after it stops being valid

    def to_domain(self) -> VerificationChallenge:
        return VerificationChallenge(
            request_id=self.token_id,
            secret_hash=self.secret_hash,
            method=self.method,
            expires_at=datetime.fromisoformat(self.valid_until.replace("Z", "+00:00")),
            attempts=int(self.attempts),
            used=bool(self.used),
            subject_ref=self.subject_ref,
        )


def _record_of(request: PrivacyRequest, audit: AuditEvent) -> RequestRecord:
    record = RequestRecord(
        request_id=request.request_id,
        status=request.status.value,
        type=request.type.value,
        channel=request.channel.value,
        respond_by=iso(request.respond_by),
        subject_key=request.subject.key,
        received_at=iso(request.received_at),
        received_month=received_month(request.received_at),
        document=request.model_dump(mode="json", exclude={"version"}),
        version=request.version,
        audit_seq=audit.seq,
        audit_head=audit.hash,
    )
    if request.is_open:
        record.open_shard = open_shard(request.request_id)
        record.next_check_at = iso(next_check_at(request))
    else:
        closed = request.closed_at or audit.at
        record.expires_at = int((closed + REQUEST_RECORD_RETENTION).timestamp())
    return record


def _save_outbox(tx: TransactWrite, items: list[OutboxItem], event: AuditEvent) -> None:
    """Outbox items named by the audit event they follow: a retried transaction cannot add a copy."""
    for item in numbered(items, f"{event.request_id}#{event.seq:06d}"):
        tx.save(outbox_record(item, event.at), condition=OutboxRecord.outbox_id.does_not_exist())


def transaction_connection() -> Connection:
    return Connection(region=get_settings().aws_region)


class RequestRepository:
    """Stores PrivacyRequest objects; logic never sees a Model."""

    def create(
        self,
        request: PrivacyRequest,
        *,
        actor: str,
        details: dict[str, Any],
        challenge: VerificationChallenge | None,
        outbox: list[OutboxItem] | None = None,
    ) -> PrivacyRequest:
        event = next_event(
            request.request_id,
            None,
            at=request.received_at,
            action="received",
            actor=actor,
            to_status=request.status,
            details=details,
        )
        try:
            with TransactWrite(connection=transaction_connection()) as tx:
                tx.save(_record_of(request, event), condition=RequestRecord.request_id.does_not_exist())
                save_in(tx, event)
                if challenge:
                    tx.save(_challenge_record(challenge))
                _save_outbox(tx, outbox or [], event)
        except TransactWriteError as error:
            if not transaction_condition_failed(error):
                raise  # throttled or unavailable: not a conflict, and nothing was written
            raise Conflict("the request already exists", code="request_exists") from error
        return request

    def get(self, request_id: str) -> PrivacyRequest | None:
        try:
            return RequestRecord.get(request_id).to_domain()
        except RequestRecord.DoesNotExist:
            return None

    def require(self, request_id: str) -> PrivacyRequest:
        request = self.get(request_id)
        if request is None:
            raise NotFound("no such request", code="request_not_found")
        return request

    def change(
        self,
        request_id: str,
        mutate: Callable[[PrivacyRequest], PrivacyRequest],
        *,
        action: str,
        actor: str,
        at: datetime,
        details: dict[str, Any] | None = None,
        use_challenge: bool = False,
        outbox: Consequences | None = None,
        challenge: VerificationChallenge | None = None,
    ) -> PrivacyRequest:
        """Apply a pure change (which checks its own rules) as one audited, conditional write,
        with the consequences `outbox` derives from the changed request in the same transaction
        (and a renewed `challenge`, whose message is among them: the deadline monitor's reminder)."""
        try:
            record = RequestRecord.get(request_id, consistent_read=True)
        except RequestRecord.DoesNotExist as error:
            raise NotFound("no such request", code="request_not_found") from error
        before = record.to_domain()
        after = mutate(before).model_copy(update={"version": before.version + 1})
        event = next_event(
            request_id,
            (int(record.audit_seq), record.audit_head or ""),
            at=at,
            action=action,
            actor=actor,
            from_status=before.status if after.status != before.status else None,
            to_status=after.status if after.status != before.status else None,
            details=details,
        )
        try:
            with TransactWrite(connection=transaction_connection()) as tx:
                tx.save(_record_of(after, event), condition=RequestRecord.version == before.version)
                save_in(tx, event)
                if use_challenge:
                    tx.update(
                        ChallengeRecord(token_id=request_id),
                        actions=[ChallengeRecord.used.set(True)],
                        condition=(ChallengeRecord.used == False),  # noqa: E712 - a DynamoDB condition
                    )
                elif challenge is not None:
                    tx.save(_challenge_record(challenge))
                _save_outbox(tx, outbox(after) if outbox else [], event)
        except TransactWriteError as error:
            if not transaction_condition_failed(error):
                raise  # throttled or unavailable: not a conflict, and nothing was written
            raise Conflict("the request changed meanwhile; try again", code="concurrent_update") from error
        return after

    def by_subject(self, subject_key: str, limit: int = 25) -> list[PrivacyRequest]:
        """The subject's most recent requests (one Query): duplicate detection and rate limits."""
        return [
            r.to_domain() for r in RequestRecord.by_subject.query(subject_key, scan_index_forward=False, limit=limit)
        ]

    def page(
        self, *, status: RequestStatus, due_before: datetime | None, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[PrivacyRequest], dict[str, Any] | None]:
        condition = RequestRecord.respond_by <= iso(due_before) if due_before else None
        result = RequestRecord.by_status.query(
            status.value, range_key_condition=condition, limit=limit, last_evaluated_key=cursor
        )
        items = [r.to_domain() for r in result]
        return items, result.last_evaluated_key

    def open_due(self, before: datetime, limit: int = 500) -> list[PrivacyRequest]:
        """Open requests whose next check is due (reads the sparse open index, never closed work)."""
        found: list[PrivacyRequest] = []
        for shard in range(OPEN_SHARDS):
            query = RequestRecord.open_by_next_check.query(
                f"OPEN#{shard}", range_key_condition=RequestRecord.next_check_at <= iso(before), limit=limit
            )
            found.extend(r.to_domain() for r in query)
        return found

    def received_between(self, start: datetime, end: datetime) -> list[PrivacyRequest]:
        """Requests received in [start, end): one Query per UTC month (by_received_month)."""
        found: list[PrivacyRequest] = []
        for month in months_between(start, end):
            query = RequestRecord.by_received_month.query(
                month,
                range_key_condition=RequestRecord.received_at.between(iso(start), iso(end)),
            )
            found.extend(r.to_domain() for r in query if r.received_at < iso(end))
        return found

    def audit_trail(self, request_id: str) -> list[AuditEvent]:
        return AuditTrailStore().events(request_id)

    # -- verification challenges
    def challenge(self, request_id: str) -> VerificationChallenge | None:
        try:
            return ChallengeRecord.get(request_id, consistent_read=True).to_domain()
        except ChallengeRecord.DoesNotExist:
            return None

    def replace_challenge(self, challenge: VerificationChallenge, outbox: list[OutboxItem] | None = None) -> None:
        """A new challenge, with the outbox item that delivers its secret in the same transaction."""
        if not outbox:
            _challenge_record(challenge).save()
            return
        with TransactWrite(connection=transaction_connection()) as tx:
            tx.save(_challenge_record(challenge))
            for item in numbered(outbox, f"{challenge.request_id}#challenge#{uuid.uuid4().hex[:12]}"):
                tx.save(outbox_record(item, utc_now()), condition=OutboxRecord.outbox_id.does_not_exist())

    def count_failed_attempt(self, request_id: str) -> None:
        ChallengeRecord(token_id=request_id).update(actions=[ChallengeRecord.attempts.add(1)])


def challenge_fields(challenge: VerificationChallenge) -> dict[str, Any]:
    """The stored attributes of a challenge (its TTL removes it a day after it stops being valid)."""
    return {
        "secret_hash": challenge.secret_hash,
        "method": challenge.method,
        "valid_until": iso(challenge.expires_at),
        "attempts": challenge.attempts,
        "used": challenge.used,
        "subject_ref": challenge.subject_ref,
        "expires_at": int((challenge.expires_at + timedelta(days=1)).timestamp()),
    }


def _challenge_record(challenge: VerificationChallenge) -> ChallengeRecord:
    return ChallengeRecord(token_id=challenge.request_id, **challenge_fields(challenge))
