"""The audit trail: what an audit record is, and the hash chain that makes a stream of them
tamper-evident.

Every stream of the AuditTable is one chain: a request's changes (stream = the request id), a
subject's legal holds (`subject#<account id>`), each store's retention sweeps
(`retention-sweep#<store>`) and its TTL deletions per day (`retention-ttl#<store>#<day>`). Each
record carries the hash of the one before it and its own sequence number (1, 2, 3, ... with no
gap), so editing, removing or inserting a record breaks the chain (`verify_chain`).

Records hold ids, counts, field names and reasons, never personal data values.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from privacydesk.kernel.base_model import Model

GENESIS_HASH = "0" * 64


def subject_stream(account_id: str) -> str:
    return f"subject#{account_id}"


def sweep_stream(store: str) -> str:
    return f"retention-sweep#{store}"


def ttl_stream(store: str, day: str) -> str:
    return f"retention-ttl#{store}#{day}"


class AuditEvent(Model):
    """One link of a chain. `request_id` names the stream (a request id for a request's trail):
    the name is kept because it is part of every hash already stored."""

    request_id: str
    seq: int
    at: datetime
    action: str
    actor: str
    from_status: str | None = None
    to_status: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)  # ids, field names, reasons; never PII values
    prev_hash: str
    hash: str = ""

    @property
    def stream(self) -> str:
        return self.request_id

    def computed_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"hash"})
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def sealed(self) -> AuditEvent:
        return self.model_copy(update={"hash": self.computed_hash()})


def next_event(
    stream: str,
    previous: tuple[int, str] | None,
    *,
    at: datetime,
    action: str,
    actor: str,
    from_status: StrEnum | None = None,
    to_status: StrEnum | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """The next sealed event after `previous` = (seq, hash) of the chain's head (None: first)."""
    seq, prev_hash = previous if previous else (0, GENESIS_HASH)
    return AuditEvent(
        request_id=stream,
        seq=seq + 1,
        at=at,
        action=action,
        actor=actor,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        details=details or {},
        prev_hash=prev_hash,
    ).sealed()


class ChainReport(Model):
    request_id: str  # the stream
    events: int
    valid: bool
    broken_at: int | None = None
    reason: str | None = None


def verify_chain(stream: str, events: list[AuditEvent]) -> ChainReport:
    """Whether `events` are the whole, untouched chain of `stream` (gap, prev_hash or tampered)."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    for event in sorted(events, key=lambda e: e.seq):
        reason = None
        if event.seq != expected_seq:
            reason = "gap"
        elif event.prev_hash != expected_prev:
            reason = "prev_hash"
        elif event.computed_hash() != event.hash or event.request_id != stream:
            reason = "tampered"
        if reason:
            return ChainReport(request_id=stream, events=len(events), valid=False, broken_at=event.seq, reason=reason)
        expected_prev, expected_seq = event.hash, expected_seq + 1
    return ChainReport(request_id=stream, events=len(events), valid=True)
