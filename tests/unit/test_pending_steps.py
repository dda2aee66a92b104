"""External steps (fulfilment.domain.pending_steps): when a request waits, when it resumes, and that a
step resolved once is never resolved again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privacydesk.datamap.domain.model import DataMap
from privacydesk.fulfilment.domain.pending_steps import (
    OUTCOME_KEY,
    ExternalStep,
    StepOutcome,
    StepReplayed,
    StepState,
    manual_tasks,
    resolution,
)
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def step(store: str, kind: str, state: StepState = StepState.PENDING) -> ExternalStep:
    return ExternalStep(
        store=store,
        kind=kind,
        operation="erase",
        state=state,
        idempotency_key=f"req_1:{store}:erase",
        opened_at=NOW - timedelta(days=2),
    )


def waiting(*steps: ExternalStep) -> PrivacyRequest:
    return PrivacyRequest(
        request_id="req_1",
        type=RequestType.DELETE,
        status=RequestStatus.AWAITING_EXTERNAL_STEPS,
        channel=Channel.API,
        subject=Subject(email="someone@example.org"),
        received_at=NOW - timedelta(days=3),
        acknowledge_by=NOW,
        respond_by=NOW + timedelta(days=27),
        verified_at=NOW - timedelta(days=3),
        policy_version="2025-11-30",
        datamap_version="1",
        outcome={OUTCOME_KEY: {s.store: s.model_dump(mode="json") for s in steps}},
    )


def test_a_resolution_with_another_step_pending_keeps_the_request_waiting():
    request = waiting(step("billing", "webhook"), step("helpdesk", "manual"))
    name, after = resolution(request, StepOutcome("billing", True, "x"), NOW)
    assert name is None
    assert after.status == RequestStatus.AWAITING_EXTERNAL_STEPS


def test_the_last_resolution_resumes_fulfilment():
    request = waiting(step("billing", "webhook"), step("helpdesk", "manual", StepState.RESOLVED))
    name, after = resolution(request, StepOutcome("billing", True, "x"), NOW)
    assert name == "external_steps_resolved"
    assert after.status == RequestStatus.IN_PROGRESS


def test_a_failure_fails_the_request_naming_the_store_and_its_error():
    request = waiting(step("billing", "webhook"))
    name, after = resolution(request, StepOutcome("billing", False, "x", error="ledger locked"), NOW)
    assert name == "external_step_failed"
    assert after.status == RequestStatus.FAILED
    assert after.outcome["failure"] == {"store": "billing", "error": "ledger locked", "stage": "external_step"}


def test_a_step_resolved_once_is_never_resolved_again():
    request = waiting(step("billing", "webhook", StepState.RESOLVED), step("helpdesk", "manual"))
    with pytest.raises(StepReplayed):
        resolution(request, StepOutcome("billing", True, "x"), NOW)


def test_a_manual_task_names_the_request_not_the_person_and_counts_its_age():
    (task,) = manual_tasks(waiting(step("helpdesk", "manual")), DataMap(version="1", stores=[]), NOW)
    assert task.task_id == "req_1/helpdesk"
    assert task.state == "open"
    assert task.age_days == 2.0
    assert "someone@example.org" not in task.model_dump_json()


def test_a_request_waiting_on_a_manual_task_is_warned_and_breached_like_any_open_request():
    from privacydesk.requests.domain.deadline_monitor import MonitorRules, NoticeKind, assess

    request = waiting(step("helpdesk", "manual")).model_copy(update={"acknowledged_at": NOW - timedelta(days=3)})
    warned = assess(request, request.received_at + (request.respond_by - request.received_at) * 0.8, MonitorRules())
    assert [n.kind for n in warned.send] == [NoticeKind.RESPOND_WARNING]
    assert assess(request, request.respond_by + timedelta(hours=1), MonitorRules()).overdue
