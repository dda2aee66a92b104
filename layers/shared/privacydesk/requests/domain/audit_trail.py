"""The request state machine; its tamper-evident audit trail is the audit capability's.

Every transition is checked here and stored by the repository as one conditional write plus an
audit event, in one transaction. Each audit event carries the hash of the previous event of its
request, so editing or removing an event breaks the chain (audit.domain.trail, re-exported here
for the callers of this module).
"""

from __future__ import annotations

from privacydesk.audit.domain.trail import GENESIS_HASH as GENESIS_HASH
from privacydesk.audit.domain.trail import AuditEvent as AuditEvent
from privacydesk.audit.domain.trail import ChainReport as ChainReport
from privacydesk.audit.domain.trail import next_event as next_event
from privacydesk.audit.domain.trail import verify_chain as verify_chain
from privacydesk.kernel.errors import Conflict
from privacydesk.requests.domain.model import RequestStatus as S

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


def check_transition(current: S, target: S) -> None:
    if target not in ALLOWED.get(current, frozenset()):
        raise Conflict(f"a request that is {current.value} cannot become {target.value}", code="invalid_transition")
