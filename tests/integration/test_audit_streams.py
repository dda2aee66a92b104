"""[issue 18] One module owns the audit trail: a request's changes, a subject's legal holds and the
retention sweeps and TTL deletions are all hash-chained records of the one AuditTable model
(audit.adapters.audit_store). Each stream's chain verifies as the product wrote it, and editing a
stored record is detected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest

from privacydesk.audit.domain.trail import subject_stream, sweep_stream, ttl_stream, verify_chain
from tests.support.flows import admin, submit_and_verify, unique_email
from tests.support.fulfilment import drain_fulfilment, new_account
from tests.support.harness import Harness

pytestmark = pytest.mark.integration


def trail(stack: Harness, stream: str) -> Any:
    from privacydesk.audit.adapters.audit_store import AuditTrailStore

    stack.runner.activate("AdminApiFunction")
    return AuditTrailStore().events(stream)


def tamper(stack: Harness, stream: str, seq: int) -> None:
    """What someone with write access to the table might do: change a detail of a stored record."""
    table = boto3.resource("dynamodb", region_name=stack.stack.region).Table(stack.physical("AuditTable"))
    stored = table.get_item(Key={"stream_id": stream, "seq": seq})["Item"]
    event = json.loads(str(stored["event"]))
    event["details"] = {**event["details"], "edited": True}
    table.put_item(Item={**stored, "event": json.dumps(event)})


def verifies(stack: Harness, stream: str) -> bool:
    return verify_chain(stream, trail(stack, stream)).valid


def a_request_stream(stack: Harness) -> str:
    receipt = submit_and_verify(stack, type="access", email=unique_email("audit-request"))
    drain_fulfilment(stack)
    return str(receipt["request_id"])


def a_subject_stream(stack: Harness) -> str:
    person = new_account(stack)
    path = f"/v1/admin/subjects/{person['account_id']}/hold"
    assert admin(stack, "POST", path, {"reason": "Case 2027-001"}).status == 200
    assert admin(stack, "DELETE", path).status == 200
    return subject_stream(person["account_id"])


def a_sweep_stream(stack: Harness) -> str:
    from privacydesk.audit.adapters.retention_audit import record_sweep

    stack.runner.activate("RetentionSweepFunction")
    store = f"audit-test-{datetime.now(UTC).timestamp()}"
    for _ in range(2):
        record_sweep(store, {"deleted": 1, "anonymized": 0, "held": 0, "failed": 0}, datetime.now(UTC))
    return sweep_stream(store)


def a_ttl_stream(stack: Harness) -> str:
    from privacydesk.audit.adapters.retention_audit import record_ttl_deletions, ttl_deletions

    stack.runner.activate("RetentionTtlAccountingFunction")
    store, day = f"audit-test-{datetime.now(UTC).timestamp()}", date(2027, 2, 1)
    record_ttl_deletions(store, day, 100, ["event_id=1"], datetime.now(UTC))
    record_ttl_deletions(store, day, 100, ["event_id=1"], datetime.now(UTC))  # a redelivered batch
    record_ttl_deletions(store, day, 200, ["event_id=2", "event_id=3"], datetime.now(UTC))
    assert ttl_deletions(store, day) == 3
    return ttl_stream(store, day.isoformat())


STREAMS = {"request": a_request_stream, "subject": a_subject_stream, "sweep": a_sweep_stream, "ttl": a_ttl_stream}


@pytest.mark.parametrize("kind", sorted(STREAMS))
def test_each_audit_stream_is_a_chain_that_verifies_as_written(stack: Harness, kind: str):
    stream = STREAMS[kind](stack)
    assert len(trail(stack, stream)) >= 2
    assert verifies(stack, stream)


@pytest.mark.parametrize("kind", sorted(STREAMS))
def test_an_edited_record_in_each_audit_stream_is_detected(stack: Harness, kind: str):
    stream = STREAMS[kind](stack)
    tamper(stack, stream, seq=1)
    report = verify_chain(stream, trail(stack, stream))
    assert (report.valid, report.broken_at, report.reason) == (False, 1, "tampered")
