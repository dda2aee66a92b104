"""Helpers for fulfilment tests: drive the bus -> SQS -> fulfilment path, read SMS codes."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
from moto.sns.models import sns_backends

from tests.support.harness import Harness


def sqs_record(stack: Harness, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{stack.stack.region}:{stack.stack.account}:fulfilment",
        "awsRegion": stack.stack.region,
    }


def drain_fulfilment(stack: Harness, rounds: int = 10, retry_failed: bool = True) -> list[dict[str, Any]]:
    """Deliver the fulfilment queue to the real handler the way Lambda's SQS poller does.

    Failed items stay on the queue; with `retry_failed` their visibility timeout is cut to zero,
    standing in for the 90 minutes a real retry waits (the redrive policy still counts receives).
    """
    sqs = boto3.client("sqs", region_name=stack.stack.region)
    url = stack.physical("FulfilmentQueue")
    replies: list[dict[str, Any]] = []
    for _ in range(rounds):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=5, AttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            break
        reply = stack.invoke("FulfilmentFunction", {"Records": [sqs_record(stack, m) for m in messages]})
        replies.append(reply)
        failed = {item["itemIdentifier"] for item in reply.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            elif retry_failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return replies


def dead_letters(stack: Harness) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=stack.stack.region)
    url = stack.physical("FulfilmentDeadLetterQueue")
    found = sqs.receive_message(  # a peek: the messages stay visible for a redrive
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0
    ).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


def sms_code(stack: Harness, phone: str) -> str:
    """The newest verification code texted to this number (moto keeps every SMS it was asked to send)."""
    sent = sns_backends[stack.stack.account][stack.stack.region].sms_messages
    for number, text in reversed(list(sent.values())):
        if number == phone:
            found = re.search(r"code is (\S+?)\.", text)
            if found:
                return found.group(1)
    raise AssertionError("no SMS code sent to that number")


def sms_to(stack: Harness, phone: str) -> list[str]:
    sent = sns_backends[stack.stack.account][stack.stack.region].sms_messages
    return [text for number, text in sent.values() if number == phone]


def new_account(stack: Harness, *, messages: int = 3, recipient: str | None = None) -> dict[str, Any]:
    """A fresh registered account with its own data in every reference store (tests share the stack)."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from privacydesk.datamap.adapters.locations import physical_name
    from privacydesk.datamap.adapters.reference_stores import (
        AccountRecord,
        ApiUsageRecord,
        BillingRecord,
        MessageLogRecord,
        TechnicalEventRecord,
        expiry_bucket,
    )
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.kernel.aws import client

    stack.runner.activate()
    token = uuid.uuid4().hex[:8]
    number = int(token, 16) % 10_000_000
    person = {
        "account_id": f"acct-test-{token}",
        "name": f"Test Person {token}",
        "email": f"person-{token}@example.org",
        "phone": f"+63918{number:07d}",
        "company": f"Company {token}",
        "sender_id": f"TC{token[:6].upper()}",
    }
    now = datetime.now(UTC)
    expires = now + timedelta(days=90)
    ttl = {"expires_at": int(expires.timestamp()), "expiry_bucket": expiry_bucket(expires, token)}
    profile = {k: v for k, v in person.items() if k != "sender_id"}
    AccountRecord(**profile, status="active", created_at=now, preferences={"marketing_email": True}).save()
    for n in range(messages):
        sent = (now - timedelta(minutes=n)).isoformat()
        MessageLogRecord(
            account_id=person["account_id"],
            message_id=f"{sent}#{n:04d}",
            recipient=recipient or f"+63917{(number + n) % 10_000_000:07d}",
            sender_id=person["sender_id"],
            body=f"Order {n} is ready",
            sent_at=sent,
            route="primary",
            **ttl,
        ).save()
    ApiUsageRecord(
        account_id=person["account_id"],
        usage_id=f"{now.isoformat()}#0",
        endpoint="/api/v1/sms",
        at=now.isoformat(),
        **ttl,
    ).save()
    TechnicalEventRecord(
        account_id=person["account_id"],
        event_id=f"{now.isoformat()}#0",
        ip_address="198.51.100.7",
        at=now.isoformat(),
        **ttl,
    ).save()
    BillingRecord(
        account_id=person["account_id"],
        invoice_id=f"{now.date().isoformat()}#INV-{token}",
        issued_at=now.isoformat(),
        period=now.strftime("%Y-%m"),
        amount=150_000,
        billing_name=person["name"],
        billing_address=f"{person['company']}, Makati City",
        tax_id="100-456-789-000",
    ).save()
    client("s3").put_object(
        Bucket=physical_name(load_datamap().store("account_documents")),
        Key=f"sender-id/{person['account_id']}/permit.txt",
        Body=f"Permit of {person['name']}".encode(),
    )
    return person
