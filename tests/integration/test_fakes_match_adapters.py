"""The fast tests' fakes keep the promises of the adapters they stand for: the same calls, on the
in-memory fake and on the DynamoDB adapter (under moto), answer the same way."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from privacydesk.kernel.errors import Conflict, NotFound
from privacydesk.requests.adapters.abuse_limits import AbuseCounters
from privacydesk.requests.adapters.requests_store import RequestRepository
from privacydesk.requests.domain.audit_trail import verify_chain
from privacydesk.requests.domain.deadlines import clocks_for
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject
from privacydesk.requests.domain.ports import AbuseLimits, Allowance, RequestStore
from privacydesk.requests.domain.tokens import challenge_for
from tests.support.fakes import InMemoryAbuseLimits, InMemoryRequestStore
from tests.support.harness import Harness

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


@pytest.fixture(params=["in_memory", "dynamodb"])
def requests_store(request: pytest.FixtureRequest, stack: Harness) -> RequestStore:
    return InMemoryRequestStore() if request.param == "in_memory" else RequestRepository()


@pytest.fixture(params=["in_memory", "dynamodb"])
def limits(request: pytest.FixtureRequest, stack: Harness) -> AbuseLimits:
    return InMemoryAbuseLimits() if request.param == "in_memory" else AbuseCounters()


def _pending(subject_key: str, received: datetime = NOW) -> PrivacyRequest:
    clocks = clocks_for(received)
    return PrivacyRequest(
        request_id=f"req_{uuid.uuid4().hex}",
        type=RequestType.ACCESS,
        status=RequestStatus.PENDING_VERIFICATION,
        channel=Channel.API,
        subject=Subject(email=f"{subject_key}@example.org"),
        received_at=received,
        acknowledge_by=clocks.acknowledge_by,
        respond_by=clocks.respond_by,
        policy_version="2025-11-30",
        datamap_version="1",
    )


def _verified(request: PrivacyRequest) -> PrivacyRequest:
    return request.model_copy(update={"status": RequestStatus.VERIFIED, "verified_at": NOW})


def _created(store: RequestStore, subject_key: str | None = None) -> PrivacyRequest:
    request = _pending(subject_key or uuid.uuid4().hex[:12])
    _, challenge = challenge_for(request.request_id, "email_link", NOW)
    return store.create(request, actor="test", details={}, challenge=challenge)


def _verify(store: RequestStore, request_id: str) -> PrivacyRequest:
    mutate: Callable[[PrivacyRequest], PrivacyRequest] = _verified
    return store.change(request_id, mutate, action="verified", actor="test", at=NOW, use_challenge=True)


def test_a_created_request_reads_back_as_written_with_one_sealed_audit_event(requests_store):
    request = _created(requests_store)
    assert requests_store.get(request.request_id) == request
    trail = requests_store.audit_trail(request.request_id)
    assert [e.action for e in trail] == ["received"]
    assert verify_chain(request.request_id, trail).valid


def test_creating_the_same_request_twice_is_a_conflict(requests_store):
    request = _created(requests_store)
    with pytest.raises(Conflict) as refused:
        requests_store.create(request, actor="test", details={}, challenge=None)
    assert refused.value.code == "request_exists"


def test_a_change_bumps_the_version_and_extends_the_chain(requests_store):
    request = _created(requests_store)
    after = _verify(requests_store, request.request_id)
    assert (after.status, after.version) == (RequestStatus.VERIFIED, request.version + 1)
    trail = requests_store.audit_trail(request.request_id)
    assert [(e.action, e.from_status, e.to_status) for e in trail] == [
        ("received", None, "pending_verification"),
        ("verified", "pending_verification", "verified"),
    ]
    assert verify_chain(request.request_id, trail).valid


def test_a_challenge_is_used_once_a_second_use_is_a_conflict_and_changes_nothing(requests_store):
    request = _created(requests_store)
    _verify(requests_store, request.request_id)
    assert requests_store.challenge(request.request_id).used
    with pytest.raises(Conflict) as refused:
        _verify(requests_store, request.request_id)
    assert refused.value.code == "concurrent_update"
    assert len(requests_store.audit_trail(request.request_id)) == 2


def test_changing_an_unknown_request_is_not_found(requests_store):
    with pytest.raises(NotFound) as refused:
        _verify(requests_store, f"req_{uuid.uuid4().hex}")
    assert refused.value.code == "request_not_found"


def test_failed_attempts_are_counted_on_the_challenge(requests_store):
    request = _created(requests_store)
    requests_store.count_failed_attempt(request.request_id)
    requests_store.count_failed_attempt(request.request_id)
    assert requests_store.challenge(request.request_id).attempts == 2


def test_a_replaced_challenge_is_the_one_read_back(requests_store):
    request = _created(requests_store)
    current = requests_store.challenge(request.request_id)
    requests_store.replace_challenge(replace(current, expires_at=NOW, attempts=3))
    read = requests_store.challenge(request.request_id)
    assert (read.expires_at, read.attempts) == (NOW, 3)


def test_a_subjects_requests_come_newest_first(requests_store):
    person = uuid.uuid4().hex[:12]
    older = requests_store.create(_pending(person, NOW - timedelta(days=1)), actor="t", details={}, challenge=None)
    newer = requests_store.create(_pending(person, NOW), actor="t", details={}, challenge=None)
    found = requests_store.by_subject(_pending(person).subject.key)
    assert [r.request_id for r in found] == [newer.request_id, older.request_id]


def _spend(limits: AbuseLimits, key: str, allowance: Allowance, *moments: datetime) -> list[bool]:
    return [limits.spend("fake-contract", key, allowance, moment) for moment in moments]


def test_spending_stops_at_the_cap_within_a_window_and_resumes_in_the_next(limits):
    key, cap = uuid.uuid4().hex, Allowance(cap=2)
    spent: list[Any] = _spend(limits, key, cap, NOW, NOW, NOW, NOW + timedelta(days=1))
    assert spent == [True, True, False, True]


def test_a_cap_of_zero_allows_no_spend_at_all(limits):
    key = uuid.uuid4().hex
    assert _spend(limits, key, Allowance(cap=0), NOW, NOW + timedelta(days=1)) == [False, False]
    assert limits.used("fake-contract", key, Allowance(cap=0), NOW) == 0


def test_the_cooldown_holds_a_second_spend_back_until_it_has_passed(limits):
    key, allowance = uuid.uuid4().hex, Allowance(cap=5, cooldown=timedelta(minutes=1))
    spent = _spend(limits, key, allowance, NOW, NOW + timedelta(seconds=30), NOW + timedelta(seconds=61))
    assert spent == [True, False, True]


def test_counted_hits_are_used_whatever_the_cap(limits):
    key, cap = uuid.uuid4().hex, Allowance(cap=1)
    for _ in range(3):
        limits.count("fake-contract", key, cap, NOW)
    assert limits.used("fake-contract", key, cap, NOW) == 3
