"""A DPO's manual completion of an Update or Delete is passed on to the processors (GDPR Art. 19), as
fulfilment's completion is: processors.domain.completion decides who is told, and the notices are
committed with the completion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from privacydesk.processors.domain.completion import told_on_manual_completion
from privacydesk.processors.domain.model import load_processors
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PROCESSORS = load_processors()


def started(kind: RequestType, outcome: dict[str, Any] | None = None, **changes: Any) -> PrivacyRequest:
    """A request fulfilment started (so the account it resolved is known), which the DPO now completes."""
    return PrivacyRequest(
        request_id="req_1",
        type=kind,
        status=RequestStatus.FAILED,
        channel=Channel.API,
        subject=Subject(email="someone@example.org", account_id="acct-1"),
        received_at=NOW - timedelta(days=3),
        acknowledge_by=NOW,
        respond_by=NOW + timedelta(days=27),
        verified_at=NOW - timedelta(days=3),
        policy_version="2025-11-30",
        datamap_version="1",
        outcome=outcome or {},
        **changes,
    )


def test_a_delete_completed_by_hand_tells_every_processor_that_received_the_data():
    told, notices = told_on_manual_completion(started(RequestType.DELETE), PROCESSORS)
    assert set(told["processors"]) == {"sms_gateway", "payment_processor", "cloud_hosting", "analytics"}
    assert {p["action"] for p in told["processors"].values()} == {"erase"}
    assert notices is not None


def test_the_notices_commit_with_the_completion_one_per_processor_told():
    request = started(RequestType.DELETE)
    told, notices = told_on_manual_completion(request, PROCESSORS)
    assert notices is not None
    completed = request.model_copy(update={"status": RequestStatus.COMPLETED, "outcome": told})
    items = notices(completed)
    assert sorted(item.notice for item in items) == sorted(f"processor:{name}" for name in told["processors"])


def test_what_fulfilment_recorded_wins_over_the_assumption_a_store_was_touched():
    nothing_found = {
        "stores": {name: {"deleted": 0, "anonymized": 0, "kept": 0} for name in ("accounts", "message_logs")}
    }
    told, _ = told_on_manual_completion(started(RequestType.DELETE, nothing_found), PROCESSORS)
    # the stores fulfilment did not record (billing, usage, technical events) are the DPO's
    assert "sms_gateway" not in told["processors"]  # it receives message_logs only: nothing erased there
    assert set(told["processors"]) == {"payment_processor", "cloud_hosting", "analytics"}


def test_an_update_completed_by_hand_sends_the_corrected_field_to_who_received_it():
    request = started(RequestType.UPDATE, corrections={"name": "Maria Corrected"})
    told, notices = told_on_manual_completion(request, PROCESSORS)
    assert set(told["processors"]) == {"payment_processor"}
    assert told["processors"]["payment_processor"]["action"] == "correct"
    assert notices is not None


def test_an_access_completed_by_hand_tells_no_processor():
    assert told_on_manual_completion(started(RequestType.ACCESS), PROCESSORS) == ({}, None)
