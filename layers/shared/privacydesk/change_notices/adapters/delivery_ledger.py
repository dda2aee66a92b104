"""The delivery ledger: one item per (policy version, account), plus one run item per version.

- An entry is created by a conditional put ("claimed", or a final "suppressed"/"skipped") before
  anything is sent, so a second sender for the same pair (an SQS redelivery, a duplicate
  dispatch) finds it and sends nothing: at most one notice per version and account.
- Its status then moves forward only (claimed -> sent -> delivered/bounced/complained), each step
  a conditional update, so late or reordered SES events never move it back.
- The run item (sort key RUN_KEY, which sorts before every account id) is the dispatcher's
  checkpoint and lease: where the accounts scan stands, how many recipients were queued, and who
  is scanning now. Progress reads the whole partition in one query.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from privacydesk.change_notices.domain.model import DeliveryEntry, DeliveryStatus, DispatchRun, DispatchState
from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.kernel.settings import get_settings

RUN_KEY = "#run"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Which statuses an SES outcome may replace: a status only ever moves forward.
_OUTCOME_FROM: dict[DeliveryStatus, tuple[DeliveryStatus, ...]] = {
    DeliveryStatus.DELIVERED: (DeliveryStatus.CLAIMED, DeliveryStatus.SENT),
    DeliveryStatus.BOUNCED: (DeliveryStatus.CLAIMED, DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
    DeliveryStatus.COMPLAINED: (DeliveryStatus.CLAIMED, DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
    DeliveryStatus.FAILED: (DeliveryStatus.CLAIMED, DeliveryStatus.SENT),
}


def _expires_at(now: datetime) -> int:
    return int((now + timedelta(days=get_settings().notice_ledger_retention_days)).timestamp())


@table("delivery_ledger_table")
class DeliveryLedgerRecord(Model):
    class Meta:
        table_name = "delivery-ledger"

    version = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    outcome_at = UTCDateTimeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    accepted_at = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute(null=True)


@table("delivery_ledger_table")
class DispatchRunRecord(Model):
    class Meta:
        table_name = "delivery-ledger"

    version = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True, default=RUN_KEY)
    state = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    effective_at = UTCDateTimeAttribute()
    last_key = UnicodeAttribute(null=True)  # the accounts scan's LastEvaluatedKey, as JSON
    accounts_scanned = NumberAttribute(default=0)
    queued = NumberAttribute(default=0)
    continuations = NumberAttribute(default=0)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)
    acceptance_recorded_at = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute(null=True)


def _entry_of(record: DeliveryLedgerRecord) -> DeliveryEntry:
    return DeliveryEntry(
        version=record.version,
        account_id=record.account_id,
        status=DeliveryStatus(record.status),
        claimed_at=record.claimed_at,
        sent_at=record.sent_at,
        message_id=record.message_id,
        outcome_at=record.outcome_at,
        detail=record.detail,
        accepted_at=record.accepted_at,
    )


def _run_of(record: DispatchRunRecord) -> DispatchRun:
    return DispatchRun(
        version=record.version,
        state=DispatchState(record.state),
        started_at=record.started_at,
        effective_at=record.effective_at,
        last_key=json.loads(record.last_key) if record.last_key else None,
        accounts_scanned=int(record.accounts_scanned or 0),
        queued=int(record.queued or 0),
        continuations=int(record.continuations or 0),
        completed_at=record.completed_at,
        acceptance_recorded_at=record.acceptance_recorded_at,
    )


class DeliveryLedger:
    """Implements the ledger ports of change_notices.domain.notice_dispatch, notice_delivery, notice_feedback and
    notice_acceptance on DynamoDB."""

    # ------------------------------------------------------------------ entries
    def get(self, version: str, account_id: str) -> DeliveryEntry | None:
        try:
            return _entry_of(DeliveryLedgerRecord.get(version, account_id, consistent_read=True))
        except DeliveryLedgerRecord.DoesNotExist:
            return None

    def handled(self, version: str, account_ids: list[str]) -> set[str]:
        """Which of these accounts already have an entry for the version (one consistent BatchGetItem)."""
        keys = [(version, account_id) for account_id in dict.fromkeys(account_ids)]
        return {r.account_id for r in DeliveryLedgerRecord.batch_get(keys, consistent_read=True)}

    def create(self, version: str, account_id: str, status: DeliveryStatus, now: datetime, detail: str = "") -> bool:
        """The conditional put: False if this (version, account) already has an entry."""
        record = DeliveryLedgerRecord(
            version=version,
            account_id=account_id,
            status=status.value,
            claimed_at=now if status == DeliveryStatus.CLAIMED else None,
            outcome_at=None if status == DeliveryStatus.CLAIMED else now,
            detail=detail or None,
            expires_at=_expires_at(now),
        )
        try:
            record.save(condition=DeliveryLedgerRecord.account_id.does_not_exist())
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def mark_sent(self, version: str, account_id: str, message_id: str, now: datetime) -> None:
        record = DeliveryLedgerRecord(version=version, account_id=account_id)
        try:
            record.update(
                actions=[
                    DeliveryLedgerRecord.status.set(DeliveryStatus.SENT.value),
                    DeliveryLedgerRecord.sent_at.set(now),
                    DeliveryLedgerRecord.message_id.set(message_id),
                ],
                condition=DeliveryLedgerRecord.status == DeliveryStatus.CLAIMED.value,
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            # An SES event got here first (moved it to delivered/bounced): keep that, add the id.
            record.update(actions=[DeliveryLedgerRecord.message_id.set(message_id)])

    def release(self, version: str, account_id: str) -> None:
        """Undo a claim when SES answered that it did not take the message (safe to try again)."""
        try:
            DeliveryLedgerRecord(version=version, account_id=account_id).delete(
                condition=DeliveryLedgerRecord.status == DeliveryStatus.CLAIMED.value
            )
        except DeleteError as error:
            if not condition_failed(error):
                raise

    def record_outcome(
        self,
        version: str,
        account_id: str,
        status: DeliveryStatus,
        at: datetime,
        *,
        message_id: str | None = None,
        detail: str | None = None,
    ) -> bool:
        """Move an entry forward (delivered, bounced, complained, failed); False if it may not move."""
        allowed = [s.value for s in _OUTCOME_FROM[status]]
        actions: list[Action] = [
            DeliveryLedgerRecord.status.set(status.value),
            DeliveryLedgerRecord.outcome_at.set(at),
        ]
        if message_id:
            actions.append(DeliveryLedgerRecord.message_id.set(message_id))
        if detail:
            actions.append(DeliveryLedgerRecord.detail.set(detail))
        try:
            DeliveryLedgerRecord(version=version, account_id=account_id).update(
                actions=actions, condition=DeliveryLedgerRecord.status.is_in(*allowed)
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def record_acceptance(self, version: str, account_id: str, at: datetime) -> bool:
        try:
            DeliveryLedgerRecord(version=version, account_id=account_id).update(
                actions=[DeliveryLedgerRecord.accepted_at.set(at)],
                condition=DeliveryLedgerRecord.accepted_at.does_not_exist()
                & DeliveryLedgerRecord.status.is_in(DeliveryStatus.SENT.value, DeliveryStatus.DELIVERED.value),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def entries(self, version: str) -> Iterator[DeliveryEntry]:
        for record in DeliveryLedgerRecord.query(version):
            if record.account_id != RUN_KEY and record.status:
                yield _entry_of(record)

    # --------------------------------------------------------------------- runs
    def get_run(self, version: str) -> DispatchRun | None:
        try:
            return _run_of(DispatchRunRecord.get(version, RUN_KEY, consistent_read=True))
        except DispatchRunRecord.DoesNotExist:
            return None

    def acquire_run(
        self, version: str, effective_at: datetime, owner: str, lease_until: datetime, now: datetime
    ) -> DispatchRun | None:
        """Start the version's run, or take over a paused one. None: finished, or another run is alive."""
        record = DispatchRunRecord(
            version=version,
            account_id=RUN_KEY,
            state=DispatchState.RUNNING.value,
            started_at=now,
            effective_at=effective_at,
            lease_owner=owner,
            lease_until=lease_until,
            expires_at=_expires_at(now),
        )
        try:
            record.save(condition=DispatchRunRecord.account_id.does_not_exist())
            return _run_of(record)
        except PutError as error:
            if not condition_failed(error):
                raise
        try:
            record = DispatchRunRecord.get(version, RUN_KEY, consistent_read=True)
        except DispatchRunRecord.DoesNotExist:
            return None
        if record.state == DispatchState.COMPLETED.value:
            return None
        if record.lease_until and record.lease_until > now and record.lease_owner != owner:
            return None
        try:
            record.update(
                actions=[DispatchRunRecord.lease_owner.set(owner), DispatchRunRecord.lease_until.set(lease_until)],
                condition=(DispatchRunRecord.lease_until == record.lease_until)
                & (DispatchRunRecord.state == DispatchState.RUNNING.value),
            )
        except UpdateError as error:
            if condition_failed(error):
                return None  # another invocation took it in between
            raise
        return _run_of(record)

    def checkpoint(self, version: str, owner: str, last_key: dict[str, Any] | None, scanned: int, queued: int) -> None:
        """Record a fully queued page. Raises if this invocation no longer holds the lease."""
        DispatchRunRecord(version=version, account_id=RUN_KEY).update(
            actions=[
                DispatchRunRecord.last_key.set(json.dumps(last_key))
                if last_key
                else DispatchRunRecord.last_key.remove(),
                DispatchRunRecord.accounts_scanned.add(scanned),
                DispatchRunRecord.queued.add(queued),
            ],
            condition=DispatchRunRecord.lease_owner == owner,
        )

    def hand_over(self, version: str, owner: str, *, continued: bool = True) -> None:
        """Release the lease so the continuation (or any retry) can pick the run up at once."""
        actions: list[Action] = [DispatchRunRecord.lease_until.set(EPOCH)]
        if continued:
            actions.append(DispatchRunRecord.continuations.add(1))
        try:
            DispatchRunRecord(version=version, account_id=RUN_KEY).update(
                actions=actions, condition=DispatchRunRecord.lease_owner == owner
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise  # not ours any more: nothing to release

    def complete_run(self, version: str, owner: str, now: datetime) -> None:
        DispatchRunRecord(version=version, account_id=RUN_KEY).update(
            actions=[
                DispatchRunRecord.state.set(DispatchState.COMPLETED.value),
                DispatchRunRecord.completed_at.set(now),
                DispatchRunRecord.lease_until.set(EPOCH),
            ],
            condition=DispatchRunRecord.lease_owner == owner,
        )

    def mark_acceptance_recorded(self, version: str, now: datetime) -> None:
        DispatchRunRecord(version=version, account_id=RUN_KEY).update(
            actions=[DispatchRunRecord.acceptance_recorded_at.set(now)]
        )
