"""The AuditTable: its one PynamoDB model, and every write and read of it.

Each stream (audit.domain.trail) is a chain of items keyed (stream_id, seq). A record is written
only on the condition that its seq is free, so two writers cannot both extend a chain from the
same head: inside a transaction (a request's change, a legal hold) the loser's whole transaction
fails; on its own (retention records) `append` re-reads the head and tries again. Append-only:
nothing here updates or deletes a record.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from privacydesk.audit.domain.trail import AuditEvent, next_event
from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.kernel.errors import Conflict

# Request and subject trails outlive the request records they explain (3 years) by a month.
TRAIL_RETENTION: timedelta | None = timedelta(days=3 * 365 + 30)
APPEND_ATTEMPTS = 5  # concurrent appends to one stream are rare (one sweep per store, one shard)


@table("audit_table")
class AuditRecord(Model):
    class Meta:
        table_name = "audit"

    stream_id = UnicodeAttribute(hash_key=True)  # the request id, subject#..., retention-...
    seq = NumberAttribute(range_key=True)  # 1, 2, 3, ... in its stream
    event = JSONAttribute()  # the sealed AuditEvent
    expires_at = NumberAttribute(null=True)  # TTL; None: kept

    def to_domain(self) -> AuditEvent:
        return AuditEvent.model_validate(self.event)


def audit_record(event: AuditEvent, keep_for: timedelta | None = TRAIL_RETENTION) -> AuditRecord:
    return AuditRecord(
        stream_id=event.request_id,
        seq=event.seq,
        event=event.model_dump(mode="json"),
        expires_at=int((event.at + keep_for).timestamp()) if keep_for else None,
    )


def save_in(tx: TransactWrite, event: AuditEvent, keep_for: timedelta | None = TRAIL_RETENTION) -> None:
    """Add `event` to a caller's transaction, on the condition that its place in the chain is free."""
    tx.save(audit_record(event, keep_for), condition=AuditRecord.seq.does_not_exist())


class AuditTrailStore:
    """Reads and appends of any stream of the AuditTable."""

    def head(self, stream: str) -> tuple[int, str] | None:
        """(seq, hash) of the stream's last record; None for an empty stream (one Query)."""
        found = next(iter(AuditRecord.query(stream, scan_index_forward=False, limit=1, consistent_read=True)), None)
        return (int(found.seq), str(found.event["hash"])) if found else None

    def events(self, stream: str) -> list[AuditEvent]:
        """The stream's records, oldest first."""
        return [record.to_domain() for record in AuditRecord.query(stream, consistent_read=True)]

    def next_event(self, stream: str, *, action: str, actor: str, at: datetime, details: dict[str, Any]) -> AuditEvent:
        """The event that would extend the stream now (for a caller's own transaction)."""
        return next_event(stream, self.head(stream), at=at, action=action, actor=actor, details=details)

    def append(
        self,
        stream: str,
        *,
        action: str,
        actor: str,
        at: datetime,
        details: dict[str, Any],
        keep_for: timedelta | None = TRAIL_RETENTION,
        once_per: tuple[str, Any] | None = None,
    ) -> AuditEvent | None:
        """Extend the stream by one sealed event (its own conditional PutItem), re-reading the
        head when another writer got there first. `once_per` = (detail name, value): skip (None)
        if the stream already has an event with that detail, so a redelivered batch is recorded once."""
        for _ in range(APPEND_ATTEMPTS):
            if once_per is not None:
                existing = self.events(stream)
                if any(e.details.get(once_per[0]) == once_per[1] for e in existing):
                    return None
                last = existing[-1] if existing else None
                previous = (last.seq, last.hash) if last else None
            else:
                previous = self.head(stream)
            event = next_event(stream, previous, at=at, action=action, actor=actor, details=details)
            try:
                audit_record(event, keep_for).save(condition=AuditRecord.seq.does_not_exist())
            except PutError as error:
                if not condition_failed(error):
                    raise
                continue
            return event
        raise Conflict("the audit trail is busy; try again", code="audit_contended")
