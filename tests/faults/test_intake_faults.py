"""DynamoDB throttling while a person submits a request (POST /v1/requests), injected at the AWS
boundary (tests/support/faults.py): nothing they sent is lost, nothing is stored twice."""

from __future__ import annotations

import uuid

import pytest

from privacydesk.requests.domain.model import Subject
from tests.support.faults import DYNAMODB_THROTTLED, Fault, inject, table_is
from tests.support.flows import unique_email
from tests.support.harness import Harness

pytestmark = pytest.mark.integration


def stored_for(stack: Harness, email: str) -> list[str]:
    """The request ids stored for this address (what the DPO's queue would list)."""
    from privacydesk.requests.adapters.requests_store import RequestRepository

    stack.runner.activate("PublicApiFunction")
    return [r.request_id for r in RequestRepository().by_subject(Subject(email=email).key)]


def verification_emails(stack: Harness, email: str) -> int:
    return sum(1 for m in stack.outbox(to=email) if "/privacy/verify?" in m["text"])


def requests_table(stack: Harness) -> str:
    return stack.physical("RequestsTable")


def test_transient_throttling_is_absorbed_by_retries_and_the_request_is_stored_once(stack: Harness):
    email = unique_email("throttled-once")
    throttled = Fault(
        "dynamodb", "TransactWriteItems", DYNAMODB_THROTTLED, times=2, when=table_is(requests_table(stack))
    )
    with inject(throttled) as faults:
        reply = stack.http("POST", "/v1/requests", {"type": "access", "email": email})

    assert reply.status == 202, reply.body
    assert faults.injected["dynamodb.TransactWriteItems"] == 2
    assert faults.calls["dynamodb.TransactWriteItems"] == 1  # one write, three attempts
    assert faults.attempts["dynamodb.TransactWriteItems"] == 3
    assert len(faults.backoff) == 2  # botocore backed off before each retry
    assert stored_for(stack, email) == [reply.json()["request_id"]]
    assert verification_emails(stack, email) == 1


def test_persistent_throttling_answers_503_and_the_retry_with_the_same_key_stores_it_once(stack: Harness):
    email = unique_email("throttled-always")
    body = {"type": "delete", "email": email}
    headers = {"Idempotency-Key": f"retry-{uuid.uuid4().hex}"}
    throttled = Fault("dynamodb", "TransactWriteItems", DYNAMODB_THROTTLED, when=table_is(requests_table(stack)))
    with inject(throttled) as faults:
        busy = stack.http("POST", "/v1/requests", body, headers=headers)

    assert busy.status == 503, busy.body
    assert busy.json()["error"]["code"] == "service_busy"
    assert int(busy.headers["retry-after"]) > 0
    attempts = faults.attempts["dynamodb.TransactWriteItems"]
    assert attempts == faults.injected["dynamodb.TransactWriteItems"] > 1  # botocore retried, then gave up
    assert stored_for(stack, email) == []
    assert verification_emails(stack, email) == 0

    retried = stack.http("POST", "/v1/requests", body, headers=headers)
    assert retried.status == 202, retried.body
    again = stack.http("POST", "/v1/requests", body, headers=headers)  # a client retrying once more
    assert again.json()["request_id"] == retried.json()["request_id"]
    assert stored_for(stack, email) == [retried.json()["request_id"]]
    assert verification_emails(stack, email) == 1


def test_throttling_of_every_dynamodb_write_still_answers_503_not_a_crash(stack: Harness):
    email = unique_email("all-throttled")
    writes = [Fault("dynamodb", op, DYNAMODB_THROTTLED) for op in ("PutItem", "TransactWriteItems", "UpdateItem")]
    with inject(*writes) as faults:
        busy = stack.http(
            "POST",
            "/v1/requests",
            {"type": "access", "email": email},
            headers={"Idempotency-Key": f"all-{uuid.uuid4().hex}"},
        )
    assert busy.status == 503, busy.body
    assert busy.json()["error"]["code"] == "service_busy"
    assert faults.injected["dynamodb.PutItem"] > 0  # the idempotency record could not be written either
    assert stored_for(stack, email) == []
