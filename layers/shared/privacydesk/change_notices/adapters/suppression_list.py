"""Addresses PrivacyDesk must not mail again (permanent bounces, complaints).

Keyed by a SHA-256 of the normalised address, so the list itself holds no readable address
and survives the account's erasure (keeping a bounced address from being mailed is the point).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from privacydesk.kernel.dynamo import table


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


@table("suppression_table")
class SuppressionRecord(Model):
    class Meta:
        table_name = "suppression"

    address_hash = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute()  # bounce:Permanent/General, complaint:abuse, ...
    suppressed_at = UTCDateTimeAttribute()
    source_message_id = UnicodeAttribute(null=True)


class SuppressionList:
    """Implements the suppression ports of notice_delivery and notice_feedback (change_notices.domain)."""

    def suppressed(self, addresses: list[str]) -> set[str]:
        """The subset of `addresses` that is suppressed (one BatchGetItem per 100)."""
        by_hash = {address_hash(a): a for a in addresses}
        found = SuppressionRecord.batch_get(list(by_hash))
        return {by_hash[r.address_hash] for r in found}

    def suppress(self, address: str, reason: str, at: datetime, message_id: str | None = None) -> None:
        SuppressionRecord(
            address_hash=address_hash(address), reason=reason, suppressed_at=at, source_message_id=message_id
        ).save()
