"""The request state machine and its tamper-evident audit trail.

Every transition is checked here and stored by the repository as one conditional write plus an
audit event, in one transaction. Each audit event carries the hash of the previous event of its
request, so editing or removing an event breaks the chain (`verify_chain`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import Field

from privacydesk.logic.errors import Conflict
from privacydesk.models.base import Model
from privacydesk.models.requests import RequestStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.PENDING_VERIFICATION: frozenset({S.VERIFIED, S.EXPIRED, S.CANCELLED, S.DENIED, S.ON_HOLD}),
    S.VERIFIED: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.DENIED, S.CANCELLED, S.COMPLETED, S.FAILED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.FAILED, S.ON_HOLD, S.DENIED, S.AWAITING_EXTERNAL_STEPS}),
    S.AWAITING_EXTERNAL_STEPS: frozenset({S.IN_PROGRESS, S.FAILED, S.ON_HOLD, S.DENIED}),
    S.ON_HOLD: frozenset({S.VERIFIED, S.IN_PROGRESS, S.DENIED, S.CANCELLED, S.COMPLETED}),
    S.FAILED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.DENIED}),
    S.RECEIVED: frozenset({S.ACKNOWLEDGED, S.ANSWERED, S.CANCELLED}),
    S.ACKNOWLEDGED: frozenset({S.ANSWERED, S.CANCELLED}),
}

GENESIS_HASH = "0" * 64


def check_transition(current: S, target: S) -> None:
    if target not in ALLOWED.get(current, frozenset()):
        raise Conflict(f"a request that is {current.value} cannot become {target.value}", code="invalid_transition")


class AuditEvent(Model):
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

    def computed_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"hash"})
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def sealed(self) -> AuditEvent:
        return self.model_copy(update={"hash": self.computed_hash()})


def next_event(
    request_id: str,
    previous: tuple[int, str] | None,
    *,
    at: datetime,
    action: str,
    actor: str,
    from_status: S | None = None,
    to_status: S | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """The next sealed event after `previous` = (seq, hash) of the chain's head (None: first)."""
    seq, prev_hash = previous if previous else (0, GENESIS_HASH)
    return AuditEvent(
        request_id=request_id,
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
    request_id: str
    events: int
    valid: bool
    broken_at: int | None = None
    reason: str | None = None


def verify_chain(request_id: str, events: list[AuditEvent]) -> ChainReport:
    expected_prev, expected_seq = GENESIS_HASH, 1
    for event in sorted(events, key=lambda e: e.seq):
        if event.seq != expected_seq:
            return ChainReport(
                request_id=request_id, events=len(events), valid=False, broken_at=event.seq, reason="gap"
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                request_id=request_id, events=len(events), valid=False, broken_at=event.seq, reason="prev_hash"
            )
        if event.computed_hash() != event.hash:
            return ChainReport(
                request_id=request_id, events=len(events), valid=False, broken_at=event.seq, reason="tampered"
            )
        expected_prev, expected_seq = event.hash, expected_seq + 1
    return ChainReport(request_id=request_id, events=len(events), valid=True)
