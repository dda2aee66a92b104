"""A failed S3 read of the raw message SES stored, injected at the AWS boundary: the invocation
fails (Lambda's async retries, then its DLQ, take over), nothing is lost, and the retry records
the request once."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from local.smtp import INBOUND_PREFIX
from privacydesk.requests.domain.model import Subject
from tests.support.email_flows import compose, register_account, review_entries, ses_event_for
from tests.support.faults import S3_INTERNAL_ERROR, Fault, inject, mentions
from tests.support.flows import unique_email
from tests.support.harness import Harness

pytestmark = pytest.mark.integration


def requests_of(stack: Harness, email: str) -> list[str]:
    from privacydesk.requests.adapters.requests_store import RequestRepository

    stack.runner.activate("EmailIntakeFunction")
    return [r.request_id for r in RequestRepository().by_subject(Subject(email=email).key)]


def test_a_failed_s3_read_fails_the_invocation_and_the_retry_records_the_request_once(stack: Harness):
    email = unique_email("s3-read")
    stack.runner.activate("EmailIntakeFunction")
    register_account(email)
    message_id = uuid.uuid4().hex
    key = f"{INBOUND_PREFIX}{message_id}"
    s3 = boto3.client("s3")
    bucket = stack.physical("InboundMailBucket")
    s3.put_object(Bucket=bucket, Key=key, Body=compose(email, "Delete my data", "Please delete all my data."))
    event = ses_event_for(stack, compose(email, "x", "y"), message_id)

    unreadable = Fault("s3", "GetObject", S3_INTERNAL_ERROR, status=500, when=mentions(key))
    with inject(unreadable) as faults, pytest.raises(ClientError):
        stack.invoke("EmailIntakeFunction", event)  # Lambda retries the async event, then its DLQ
    assert faults.injected["s3.GetObject"] == faults.attempts["s3.GetObject"] > 1  # botocore retried first
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0  # the message is still there
    assert requests_of(stack, email) == []
    assert not any(e["message_id"] == message_id for e in review_entries(stack))

    (outcome,) = stack.invoke("EmailIntakeFunction", event)["results"]  # Lambda's retry
    assert (outcome["outcome"], outcome["type"]) == ("request", "delete")
    (again,) = stack.invoke("EmailIntakeFunction", event)["results"]  # a second retry finds it done
    assert again["request_id"] == outcome["request_id"]
    assert requests_of(stack, email) == [outcome["request_id"]]
    assert sum(1 for m in stack.outbox(to=email) if "/privacy/verify?" in m["text"]) == 1
