"""Legal holds, one item per subject (account id). Implements logic.legal_hold.HoldStore."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from privacydesk.dal.base import table
from privacydesk.logic.legal_hold import Hold


@table("subject_holds_table")
class SubjectHoldRecord(Model):
    class Meta:
        table_name = "subject-holds"

    account_id = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute()
    set_at = UTCDateTimeAttribute()
    request_id = UnicodeAttribute(null=True)
    set_by = UnicodeAttribute(null=True)


def _hold_of(record: SubjectHoldRecord) -> Hold:
    return Hold(
        account_id=record.account_id,
        reason=record.reason,
        set_at=record.set_at,
        request_id=record.request_id,
        set_by=record.set_by,
    )


class HoldRepository:
    def get(self, account_id: str) -> Hold | None:
        try:
            return _hold_of(SubjectHoldRecord.get(account_id, consistent_read=True))
        except SubjectHoldRecord.DoesNotExist:
            return None

    def put(self, hold: Hold) -> None:
        SubjectHoldRecord(
            account_id=hold.account_id,
            reason=hold.reason,
            set_at=hold.set_at,
            request_id=hold.request_id,
            set_by=hold.set_by,
        ).save()

    def delete(self, account_id: str) -> None:
        SubjectHoldRecord(account_id=account_id).delete()
