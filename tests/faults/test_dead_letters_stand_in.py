"""`privacydesk dlq` as an operator runs it, against the running stand-in's SQS (a moto server over
HTTP, with the stack file's endpoint and credentials): a dead letter is listed, redriven, and
consumed by the stand-in's dispatcher."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest

from tests.support.standin import RunningStack

pytestmark = pytest.mark.e2e

DLQ = "FulfilmentDeadLetterQueue"


def waiting(running: RunningStack) -> int:
    code, listed = running.cli("dlq", "list")
    assert code == 0
    return int(next(q for q in listed if q["name"] == DLQ)["messages"])


def test_the_dlq_command_redrives_a_dead_letter_that_the_stand_in_then_consumes(running: RunningStack):
    info = running.info
    sqs = boto3.client(
        "sqs",
        region_name=info["region"],
        endpoint_url=info["endpoint_url"],
        aws_access_key_id=info["credentials"]["aws_access_key_id"],
        aws_secret_access_key=info["credentials"]["aws_secret_access_key"],
    )
    # A Request.Verified that failed its receives (a request since closed): what the DLQ holds.
    letter = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "source": "privacydesk",
        "detail-type": "Request.Verified",
        "detail": {"request_id": f"req_{uuid.uuid4().hex}"},
    }
    sqs.send_message(QueueUrl=info["physical"][DLQ], MessageBody=json.dumps(letter))
    assert waiting(running) >= 1

    code, moved = running.cli("dlq", "redrive", DLQ)
    assert code == 0
    assert (moved["to"], moved["method"], moved["refused"]) == ("FulfilmentQueue", "copy", [])
    assert moved["moved"] >= 1
    running.drain()
    assert waiting(running) == 0
    empty = {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    deadline = time.monotonic() + 60  # a poller may still hold the message it is finishing
    while True:
        queue = sqs.get_queue_attributes(QueueUrl=info["physical"]["FulfilmentQueue"], AttributeNames=[*empty])[
            "Attributes"
        ]
        if queue == empty or time.monotonic() > deadline:
            break
        running.drain()
        time.sleep(1)
    assert queue == empty
