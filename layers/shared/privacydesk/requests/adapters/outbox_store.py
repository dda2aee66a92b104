"""The outbox table: consequences written in a request change's transaction, and their delivery
claims. Its stream (new images, inserts only) feeds the `request_outbox` function.

A dedicated table rather than the requests table's own stream: the stream then carries only what
must be delivered (no filtering of every request write, no diff of old and new images, no copy of
each request document with its personal data in a second consumer's hands), and the claim marks
live beside the item they guard. Items expire by TTL once their stream record is long gone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.requests.domain.outbox import ClaimState, OutboxItem

OUTBOX_RETENTION = timedelta(days=30)  # a stream keeps records 24 h; the item outlives every retry


@table("outbox_table")
class OutboxRecord(Model):
    class Meta:
        table_name = "outbox"

    outbox_id = UnicodeAttribute(hash_key=True)  # "<request id>#<audit seq>#<n>"
    kind = UnicodeAttribute()
    notice = UnicodeAttribute()
    request_id = UnicodeAttribute(null=True)
    payload = JSONAttribute(null=True)  # removed once delivered: addresses, text and link secrets
    created_at = UnicodeAttribute()
    sending_since = UnicodeAttribute(null=True)  # claimed by an invocation that has not finished
    delivered_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()  # TTL


def outbox_record(item: OutboxItem, now: datetime) -> OutboxRecord:
    return OutboxRecord(
        outbox_id=item.outbox_id,
        kind=item.kind,
        notice=item.notice,
        request_id=item.request_id,
        payload=item.payload,
        created_at=now.astimezone(UTC).isoformat(),
        expires_at=int((now + OUTBOX_RETENTION).timestamp()),
    )


def item_of_image(image: dict[str, Any]) -> OutboxItem:
    """The outbox item from a stream record's new image (already deserialised to plain values)."""
    return OutboxItem(
        outbox_id=image["outbox_id"],
        kind=image["kind"],
        notice=image["notice"],
        request_id=image.get("request_id"),
        payload=image["payload"] if isinstance(image["payload"], dict) else json.loads(image["payload"]),
    )


class OutboxClaims:
    """Claims on outbox items (one conditional update each), implementing `DeliveryClaims`."""

    def claim(self, outbox_id: str, now: datetime) -> ClaimState:
        record = OutboxRecord(outbox_id=outbox_id)
        try:
            record.update(
                actions=[OutboxRecord.sending_since.set(now.astimezone(UTC).isoformat())],
                condition=OutboxRecord.outbox_id.exists() & OutboxRecord.delivered_at.does_not_exist(),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return "delivered"  # or expired by TTL long after delivery: nothing is owed either way
        return "claimed"

    def mark_delivered(self, outbox_id: str, now: datetime) -> None:
        OutboxRecord(outbox_id=outbox_id).update(
            actions=[
                OutboxRecord.delivered_at.set(now.astimezone(UTC).isoformat()),
                OutboxRecord.sending_since.remove(),
                OutboxRecord.payload.remove(),  # the address, text and any link secret rest only until sent
            ]
        )

    def release(self, outbox_id: str) -> None:
        OutboxRecord(outbox_id=outbox_id).update(
            actions=[OutboxRecord.sending_since.remove()], condition=OutboxRecord.delivered_at.does_not_exist()
        )
