"""Receipts shown for duplicate submissions (requests.domain.intake.caller_receipt), in the tokens table:
one item per receipt, `token_id` "receipt#<id>", holding the receipt as a request document (no
contact: the subject is left empty) and the status token's keyed hash, removed by the TTL."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from privacydesk.kernel.dynamo import table
from privacydesk.requests.domain.model import PrivacyRequest

KEEP = timedelta(days=45)  # past the receipt's respond_by, as a closed request is kept a while


@table("tokens_table")
class ReceiptRecord(Model):
    class Meta:
        table_name = "tokens"

    token_id = UnicodeAttribute(hash_key=True)
    document = JSONAttribute()
    valid_until = UnicodeAttribute()
    expires_at = NumberAttribute()  # TTL


def _id(receipt_id: str) -> str:
    return f"receipt#{receipt_id}"


class DuplicateReceipts:
    """Implements requests.domain.ports.ReceiptStore."""

    def save(self, receipt: PrivacyRequest, valid_until: datetime) -> None:
        ReceiptRecord(
            token_id=_id(receipt.request_id),
            document=receipt.model_dump(mode="json"),
            valid_until=valid_until.isoformat(),
            expires_at=int((receipt.received_at + KEEP).timestamp()),
        ).save()

    def get(self, receipt_id: str) -> tuple[PrivacyRequest, datetime] | None:
        try:
            record = ReceiptRecord.get(_id(receipt_id), consistent_read=True)
        except ReceiptRecord.DoesNotExist:
            return None
        return PrivacyRequest.model_validate(record.document), datetime.fromisoformat(record.valid_until)
