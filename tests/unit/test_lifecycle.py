"""The request state machine and the tamper-evident audit chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from privacydesk.kernel.errors import Conflict
from privacydesk.requests.domain.audit_trail import ALLOWED, check_transition, next_event, verify_chain
from privacydesk.requests.domain.model import CLOSED_STATUSES, RequestStatus

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RequestStatus.PENDING_VERIFICATION, RequestStatus.VERIFIED),
        (RequestStatus.VERIFIED, RequestStatus.IN_PROGRESS),
        (RequestStatus.IN_PROGRESS, RequestStatus.COMPLETED),
        (RequestStatus.IN_PROGRESS, RequestStatus.FAILED),
        (RequestStatus.FAILED, RequestStatus.IN_PROGRESS),
        (RequestStatus.ON_HOLD, RequestStatus.IN_PROGRESS),
        (RequestStatus.PENDING_VERIFICATION, RequestStatus.EXPIRED),
        (RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED),
        (RequestStatus.ACKNOWLEDGED, RequestStatus.ANSWERED),
    ],
)
def test_allowed_transitions(current: RequestStatus, target: RequestStatus):
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RequestStatus.PENDING_VERIFICATION, RequestStatus.IN_PROGRESS),  # nothing happens before verification
        (RequestStatus.PENDING_VERIFICATION, RequestStatus.COMPLETED),
        (RequestStatus.COMPLETED, RequestStatus.IN_PROGRESS),
        (RequestStatus.EXPIRED, RequestStatus.VERIFIED),
        (RequestStatus.RECEIVED, RequestStatus.VERIFIED),
    ],
)
def test_forbidden_transitions_are_conflicts(current: RequestStatus, target: RequestStatus):
    with pytest.raises(Conflict) as caught:
        check_transition(current, target)
    assert caught.value.code == "invalid_transition"


def test_closed_statuses_are_final():
    for status in CLOSED_STATUSES:
        assert not ALLOWED.get(status)


def _chain(n: int):
    events, head = [], None
    for i in range(n):
        event = next_event("req_1", head, at=NOW, action=f"step{i}", actor="dpo")
        events.append(event)
        head = (event.seq, event.hash)
    return events


def test_an_untouched_chain_verifies():
    assert verify_chain("req_1", _chain(4)).valid


def test_an_edited_event_breaks_the_chain():
    events = _chain(4)
    events[1] = events[1].model_copy(update={"actor": "someone-else"})
    report = verify_chain("req_1", events)
    assert (report.valid, report.broken_at, report.reason) == (False, 2, "tampered")


def test_a_removed_event_breaks_the_chain():
    events = _chain(4)
    del events[2]
    report = verify_chain("req_1", events)
    assert (report.valid, report.broken_at) == (False, 4)


def test_a_resealed_edit_is_still_caught_by_the_next_link():
    events = _chain(3)
    events[0] = events[0].model_copy(update={"details": {"note": "rewritten"}}).sealed()
    report = verify_chain("req_1", events)
    assert (report.valid, report.broken_at, report.reason) == (False, 2, "prev_hash")
