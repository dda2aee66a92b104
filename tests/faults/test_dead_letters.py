"""Poison messages land in the DLQ after the queue's maxReceiveCount, and `privacydesk dlq redrive`
brings them back: delivered by the stand-in's own dispatcher (local/dispatcher.py), with SES
throttling injected at the AWS boundary until the fault is over."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.dispatcher import Dispatcher
from local.provision import write_stack_file
from privacydesk.ops import cli
from tests.support.faults import SES_THROTTLED, Fault, inject, mentions
from tests.support.harness import Harness
from tests.support.notices import add_account, ledger_entry, publish_version, take_queued, unique

pytestmark = pytest.mark.integration

DLQ = "NoticeSendDeadLetterQueue"


def privacydesk(stack_file: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    """The operator's command, as typed (`privacydesk --stack-file ... dlq ...`)."""
    capsys.readouterr()  # what the handlers logged before is not the command's output
    code = cli.main(["--stack-file", str(stack_file), *args])
    return code, json.loads(capsys.readouterr().out)


def in_dlq(stack_file: Path, capsys: pytest.CaptureFixture[str]) -> int:
    code, listed = privacydesk(stack_file, capsys, "dlq", "list")
    assert code == 0
    return int(next(q for q in listed if q["name"] == DLQ)["messages"])


@pytest.fixture
def stack_file(stack: Harness, tmp_path: Path) -> Path:
    path = tmp_path / "stack.json"
    write_stack_file(
        stack.stack, path, credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    )
    return path


def test_dlq_list_names_every_dead_letter_queue_and_where_it_redrives_to(stack_file: Path, capsys):
    code, listed = privacydesk(stack_file, capsys, "dlq", "list")
    assert code == 0
    sources = {q["name"]: q["source"] for q in listed}
    assert sources[DLQ] == "NoticeSendQueue"
    assert sources["FulfilmentDeadLetterQueue"] == "FulfilmentQueue"
    assert sources["EmailIntakeDeadLetterQueue"] is None  # failed async invocations: listed, not redriven
    code, refused = privacydesk(stack_file, capsys, "dlq", "redrive", "EmailIntakeDeadLetterQueue")
    assert code == 2
    assert "nothing to redrive to" in refused["error"]


def test_a_poison_notice_batch_rests_in_the_dlq_and_redrive_mails_it_exactly_once(
    stack: Harness, stack_file: Path, capsys
):
    version = unique("2026-poison")
    healthy, poisoned = unique("acct-healthy"), unique("acct-poisoned")
    for account in (healthy, poisoned):
        add_account(stack, account, f"{account}@example.com")
    publish_version(stack, version, significant=True)
    take_queued(stack, version)  # what finished tests left on the queue is theirs, not this test's
    sqs = boto3.client("sqs", region_name=stack.stack.region)
    queue = stack.physical("NoticeSendQueue")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"version": version, "account_ids": [healthy, poisoned]}))
    dispatcher = Dispatcher(stack.runner, retry_after_seconds=0)  # retries at once, not after 12 minutes
    before = in_dlq(stack_file, capsys)

    refusing = Fault("sesv2", "SendEmail", SES_THROTTLED, status=429, when=mentions(f"{poisoned}@example.com"))
    with inject(refusing) as faults:
        dispatcher.drain(function="NoticeSenderFunction")
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])["Attributes"]
    receives = json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]
    assert faults.calls["sesv2.SendEmail"] == 1 + receives  # the healthy one once, the poisoned one per receive
    assert in_dlq(stack_file, capsys) == before + 1
    assert (
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "0"
    )
    assert ledger_entry(stack, version, poisoned) is None  # every refused send released its claim

    code, moved = privacydesk(stack_file, capsys, "dlq", "redrive", DLQ)
    assert code == 0
    assert (moved["to"], moved["method"], moved["moved"], moved["refused"]) == (
        "NoticeSendQueue",
        "copy",
        before + 1,
        [],
    )
    assert in_dlq(stack_file, capsys) == 0
    dispatcher.drain(function="NoticeSenderFunction")

    sent = stack.outbox()
    assert [sum(1 for m in sent if f"{a}@example.com" in m["to"]) for a in (healthy, poisoned)] == [1, 1]
    assert ledger_entry(stack, version, poisoned).status == "sent"
    assert in_dlq(stack_file, capsys) == 0


def test_redrive_on_aws_asks_sqs_to_move_the_dlq_back_to_its_source_queue(stack: Harness):
    """StartMessageMoveTask is what a deployed stack uses; moto 5.2.5 lacks it, so its request is
    checked against botocore's Stubber (which validates it against the SQS API model)."""
    from botocore.stub import Stubber

    from privacydesk.ops import dead_letters

    sqs = boto3.client("sqs", region_name=stack.stack.region)
    queues = {name: url for name, url in stack.stack.physical.items() if stack.stack.types[name] == "AWS::SQS::Queue"}
    queue = dead_letters.find(dead_letters.dead_letter_queues(sqs, queues), "FulfilmentQueue")
    assert queue.name == "FulfilmentDeadLetterQueue"
    aws = boto3.client("sqs", region_name=stack.stack.region)
    with Stubber(aws) as stub:
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "task-1"},
            {"SourceArn": queue.arn, "DestinationArn": queue.source_arn},
        )
        started = dead_letters.start_move_task(aws, queue)
        stub.assert_no_pending_responses()
    assert started == {
        "queue": "FulfilmentDeadLetterQueue",
        "to": "FulfilmentQueue",
        "method": "StartMessageMoveTask",
        "task": "task-1",
    }
