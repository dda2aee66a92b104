"""Faults in the queue-fed jobs (fulfilment, notice_sender), injected at the AWS boundary
(tests/support/faults.py): throttling, a non-retryable refusal and a dying sandbox mid-batch, a
failed S3 read. Each batch reports exactly its unfinished records; redelivering the batch finishes
them; no request is fulfilled twice and no notice is sent twice."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from privacydesk.ops.dead_letters import copy_back, dead_letter_queues, find
from tests.support.email_flows import request_detail
from tests.support.faults import (
    DYNAMODB_THROTTLED,
    S3_ACCESS_DENIED,
    S3_INTERNAL_ERROR,
    SES_THROTTLED,
    Fault,
    SandboxCrash,
    inject,
    mentions,
)
from tests.support.flows import submit_and_verify
from tests.support.fulfilment import dead_letters, drain_fulfilment, new_account, sqs_record
from tests.support.harness import Harness
from tests.support.notices import add_account, ledger_entry, publish_version, unique
from tests.support.notices import sqs_record as notice_record

pytestmark = pytest.mark.integration


# ------------------------------------------------------------------------------ helpers
def redelivered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same records as SQS hands them over again: one more receive each."""
    again = copy.deepcopy(records)
    for record in again:
        attributes = record.setdefault("attributes", {})
        attributes["ApproximateReceiveCount"] = str(int(attributes.get("ApproximateReceiveCount", "1")) + 1)
    return again


def failed_ids(reply: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in reply["batchItemFailures"]]


def queued_fulfilment(stack: Harness, request_ids: list[str]) -> list[dict[str, Any]]:
    """Take these requests' messages off the fulfilment queue (as Lambda's poller would), in order."""
    sqs = boto3.client("sqs", region_name=stack.stack.region)
    url = stack.physical("FulfilmentQueue")
    mine: dict[str, dict[str, Any]] = {}
    others: list[str] = []
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        for message in messages:
            request_id = json.loads(message["Body"])["detail"]["request_id"]
            if request_id in request_ids:
                mine[request_id] = message
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:
                others.append(message["ReceiptHandle"])
    for handle in others:  # another test's work: visible again at once
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert set(mine) == set(request_ids), "the bus did not queue every request"
    return [sqs_record(stack, mine[request_id]) for request_id in request_ids]


def verified_access_requests(stack: Harness, count: int) -> tuple[list[dict[str, Any]], list[str]]:
    people = [new_account(stack) for _ in range(count)]
    ids = [submit_and_verify(stack, type="access", email=p["email"])["request_id"] for p in people]
    return people, ids


def status_of(stack: Harness, request_id: str) -> str:
    return str(request_detail(stack, request_id)["request"]["status"])


def completion_emails(stack: Harness, emails: list[str]) -> list[int]:
    sent = [m for m in stack.outbox() if m["subject"] == "Your privacy request is complete"]
    return [sum(1 for m in sent if email in m["to"]) for email in emails]


def assert_each_fulfilled_once(stack: Harness, people: list[dict[str, Any]], ids: list[str]) -> None:
    for request_id in ids:
        actions = [e["action"] for e in request_detail(stack, request_id)["audit"]]
        assert actions.count("completed") == 1
        assert actions[-1] == "completed"
    assert completion_emails(stack, [p["email"] for p in people]) == [1] * len(people)


# ------------------------------------------------------------------------------ fulfilment
def test_a_refused_aws_call_mid_batch_fails_only_that_record_and_the_redelivery_finishes_it(stack: Harness):
    people, ids = verified_access_requests(stack, 2)
    records = queued_fulfilment(stack, ids)
    refused = Fault("s3", "CreateMultipartUpload", S3_ACCESS_DENIED, status=403, when=mentions(ids[1]))
    with inject(refused) as faults:
        reply = stack.invoke("FulfilmentFunction", {"Records": records})

    assert failed_ids(reply) == [records[1]["messageId"]]
    # not retryable: one attempt, refused (the other export's upload went through)
    assert faults.injected["s3.CreateMultipartUpload"] == faults.attempts["s3.CreateMultipartUpload"] - 1 == 1
    assert [status_of(stack, i) for i in ids] == ["completed", "in_progress"]
    failure = next(e for e in request_detail(stack, ids[1])["audit"] if e["action"] == "fulfilment_attempt_failed")
    assert failure["details"]["error"] == "AccessDenied"  # the audit names what AWS answered

    assert failed_ids(stack.invoke("FulfilmentFunction", {"Records": redelivered(records)})) == []
    assert_each_fulfilled_once(stack, people, ids)


def test_a_sandbox_dying_mid_batch_is_redelivered_whole_and_nothing_is_fulfilled_twice(stack: Harness):
    people, ids = verified_access_requests(stack, 3)
    records = queued_fulfilment(stack, ids)
    # the sandbox dies as the 2nd request's completion is written (its export is already uploaded)
    dies = Fault("dynamodb", "TransactWriteItems", crash=True, times=1, when=mentions(ids[1], '"completed"'))
    with inject(dies) as faults, pytest.raises(SandboxCrash):
        stack.invoke("FulfilmentFunction", {"Records": records})

    assert faults.injected["dynamodb.TransactWriteItems"] == 1
    assert [status_of(stack, i) for i in ids] == ["completed", "in_progress", "verified"]
    assert completion_emails(stack, [people[1]["email"]]) == [0]

    # no batch response came back, so SQS hands over every record again
    assert failed_ids(stack.invoke("FulfilmentFunction", {"Records": redelivered(records)})) == []
    assert_each_fulfilled_once(stack, people, ids)


def test_a_failed_s3_read_during_an_export_is_retried_and_the_bundle_is_complete(stack: Harness):
    import io
    import zipfile

    people, ids = verified_access_requests(stack, 2)
    records = queued_fulfilment(stack, ids)
    unreadable = Fault("s3", "GetObject", S3_INTERNAL_ERROR, status=500, when=mentions(people[0]["account_id"]))
    with inject(unreadable) as faults:
        reply = stack.invoke("FulfilmentFunction", {"Records": records})

    assert failed_ids(reply) == [records[0]["messageId"]]
    reads = faults.injected["s3.GetObject"]
    assert reads > 1  # botocore retried the 500 before giving up
    assert faults.attempts["s3.GetObject"] == reads + 1  # + the other person's document, read fine
    assert status_of(stack, ids[0]) == "in_progress"
    assert status_of(stack, ids[1]) == "completed"

    assert failed_ids(stack.invoke("FulfilmentFunction", {"Records": redelivered(records)[:1]})) == []
    assert_each_fulfilled_once(stack, people, ids)
    key = request_detail(stack, ids[0])["request"]["outcome"]["export"]["key"]
    body = boto3.client("s3").get_object(Bucket=stack.physical("ExportBucket"), Key=key)["Body"].read()
    assert "files/account_documents/permit.txt" in zipfile.ZipFile(io.BytesIO(body)).namelist()


# ------------------------------------------------------------------------------ notice_sender
def notice_batch(stack: Harness, count: int, prefix: str) -> tuple[str, list[str], list[dict[str, Any]]]:
    """A significant version and `count` accounts, one SQS record per account."""
    version = unique(f"2026-{prefix}")
    accounts = [unique(f"acct-{prefix}") for _ in range(count)]
    for account in accounts:
        add_account(stack, account, f"{account}@example.com")
    publish_version(stack, version, significant=True)
    records = [notice_record(json.dumps({"version": version, "account_ids": [a]})) for a in accounts]
    return version, accounts, records


def notices_to(stack: Harness, accounts: list[str]) -> list[int]:
    sent = stack.outbox()
    return [sum(1 for m in sent if f"{account}@example.com" in m["to"]) for account in accounts]


def test_ses_throttling_releases_the_claim_and_the_redelivery_mails_each_recipient_once(stack: Harness):
    version, accounts, records = notice_batch(stack, 3, "ses-throttle")
    throttled = Fault("sesv2", "SendEmail", SES_THROTTLED, status=429, when=mentions(f"{accounts[1]}@example.com"))
    with inject(throttled) as faults:
        reply = stack.invoke("NoticeSenderFunction", {"Records": records})

    assert failed_ids(reply) == [records[1]["messageId"]]
    assert faults.injected["sesv2.SendEmail"] > 1  # botocore's retries were throttled too
    assert faults.calls["sesv2.SendEmail"] == 3
    assert ledger_entry(stack, version, accounts[1]) is None  # the claim was released
    assert notices_to(stack, accounts) == [1, 0, 1]

    assert failed_ids(stack.invoke("NoticeSenderFunction", {"Records": redelivered(records)})) == []
    assert notices_to(stack, accounts) == [1, 1, 1]
    assert {ledger_entry(stack, version, a).status for a in accounts} == {"sent"}


def test_transient_ses_throttling_is_absorbed_and_nobody_is_mailed_twice(stack: Harness):
    _, accounts, records = notice_batch(stack, 2, "ses-blip")
    with inject(Fault("sesv2", "SendEmail", SES_THROTTLED, status=429, times=1)) as faults:
        reply = stack.invoke("NoticeSenderFunction", {"Records": records})
    assert failed_ids(reply) == []
    assert (faults.injected["sesv2.SendEmail"], faults.attempts["sesv2.SendEmail"]) == (1, 3)
    assert notices_to(stack, accounts) == [1, 1]


def test_dynamodb_throttling_of_the_ledger_fails_only_that_record_and_the_redelivery_sends_it(stack: Harness):
    version, accounts, records = notice_batch(stack, 3, "ddb-throttle")
    ledger = stack.physical("DeliveryLedgerTable")
    throttled = Fault("dynamodb", "PutItem", DYNAMODB_THROTTLED, when=mentions(ledger, accounts[2]))
    with inject(throttled) as faults:
        reply = stack.invoke("NoticeSenderFunction", {"Records": records})

    assert failed_ids(reply) == [records[2]["messageId"]]
    assert faults.injected["dynamodb.PutItem"] > 1  # PynamoDB's botocore client retried first
    assert notices_to(stack, accounts) == [1, 1, 0]
    assert ledger_entry(stack, version, accounts[2]) is None

    assert failed_ids(stack.invoke("NoticeSenderFunction", {"Records": redelivered(records)})) == []
    assert notices_to(stack, accounts) == [1, 1, 1]


def test_a_sender_dying_after_ses_took_the_mail_never_sends_it_again(stack: Harness):
    version, accounts, records = notice_batch(stack, 3, "crash")
    ledger = stack.physical("DeliveryLedgerTable")
    # the sandbox dies as the 2nd notice is marked sent: SES already has it
    dies = Fault("dynamodb", "UpdateItem", crash=True, times=1, when=mentions(ledger, accounts[1]))
    with inject(dies) as faults, pytest.raises(SandboxCrash):
        stack.invoke("NoticeSenderFunction", {"Records": records})
    assert faults.injected["dynamodb.UpdateItem"] == 1
    assert notices_to(stack, accounts) == [1, 1, 0]

    assert failed_ids(stack.invoke("NoticeSenderFunction", {"Records": redelivered(records)})) == []
    assert notices_to(stack, accounts) == [1, 1, 1]  # nobody twice
    assert ledger_entry(stack, version, accounts[1]).status == "claimed"  # not resent
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.domain.notice_progress import summarize

    stack.runner.activate("NoticeSenderFunction")
    later = datetime.now(UTC) + timedelta(minutes=20)  # a claim this old without a send is "unknown"
    counts = summarize(version, None, DeliveryLedger().entries(version), later).counts
    assert (counts.sent, counts.unknown) == (2, 1)  # what the DPO's progress report shows


def test_throttled_erasure_of_one_store_is_reported_and_the_retry_resumes_store_by_store(stack: Harness):
    person = new_account(stack)
    receipt = submit_and_verify(stack, type="delete", email=person["email"])
    throttled = Fault(
        "dynamodb", "BatchWriteItem", DYNAMODB_THROTTLED, when=mentions(stack.physical("TechnicalEventsTable"))
    )
    with inject(throttled) as faults:
        (first,) = drain_fulfilment(stack, rounds=1)
    assert len(first["batchItemFailures"]) == 1
    assert faults.injected["dynamodb.BatchWriteItem"] > 1  # botocore retried before giving up
    halfway = request_detail(stack, receipt["request_id"])
    assert halfway["request"]["status"] == "in_progress"
    assert set(halfway["request"]["outcome"]["stores"]) == {"account_documents", "message_logs", "api_usage"}
    failed = next(e for e in halfway["audit"] if e["action"] == "fulfilment_attempt_failed")
    assert (failed["details"]["store"], failed["details"]["error"]) == ("technical_events", "StoreWriteError")

    drain_fulfilment(stack)
    done = request_detail(stack, receipt["request_id"])
    assert done["request"]["status"] == "completed"
    erased = [e["details"]["store"] for e in done["audit"] if e["action"] == "store_erased"]
    assert sorted(erased) == sorted(set(erased)) == sorted(done["request"]["outcome"]["stores"])  # each once
    assert done["request"]["outcome"]["verification"]["passed"] is True


def test_an_erasure_throttled_on_every_attempt_ends_failed_in_the_dlq_and_a_redrive_finishes_it(stack: Harness):
    person = new_account(stack)
    receipt = submit_and_verify(stack, type="delete", email=person["email"])
    with inject(Fault("dynamodb", "BatchWriteItem", DYNAMODB_THROTTLED)):
        drain_fulfilment(stack, rounds=6)

    request = request_detail(stack, receipt["request_id"])["request"]
    assert request["status"] == "failed"
    assert request["outcome"]["failure"]["store"] == "api_usage"
    assert request["outcome"]["failure"]["attempt"] == 3  # the queue's maxReceiveCount
    assert "message_logs" in request["outcome"]["stores"]  # what was done is on record
    assert any(letter["detail"]["request_id"] == receipt["request_id"] for letter in dead_letters(stack))

    # The outage is over: the DPO redrives the dead letter, and the request runs again to the end.
    sqs = boto3.client("sqs", region_name=stack.stack.region)
    queues = {name: stack.physical(name) for name in ("FulfilmentQueue", "FulfilmentDeadLetterQueue")}
    assert copy_back(sqs, find(dead_letter_queues(sqs, queues), "FulfilmentDeadLetterQueue"))["moved"] >= 1
    drain_fulfilment(stack)
    detail = request_detail(stack, receipt["request_id"])
    assert detail["request"]["status"] == "completed"
    actions = [event["action"] for event in detail["audit"]]
    assert actions.count("fulfilment_failed") == 1
    assert actions.count("completed") == 1
    assert not any(letter["detail"]["request_id"] == receipt["request_id"] for letter in dead_letters(stack))
