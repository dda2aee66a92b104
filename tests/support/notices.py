"""Helpers for the significant-change email tests: versions, accounts, the notice queue, SES events."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.support.harness import Harness, event_file

VERSION_HEADER = "X-PrivacyDesk-Notice-Version"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def publish_version(
    stack: Harness, version: str, *, significant: bool, effective_at: datetime | None = None, summary: str = ""
) -> datetime:
    """Store a policy version (as the admin's publish does) and return its effective time."""
    from privacydesk.policy.adapters.policy_store import PolicyRepository
    from privacydesk.policy.domain.model import PolicyVersion

    now = datetime.now(UTC)
    effective = effective_at or now + timedelta(days=30)
    stack.runner.activate("NoticeSenderFunction")
    PolicyRepository().publish(
        PolicyVersion(
            version=version,
            title="Privacy Policy",
            last_updated=now.date(),
            effective_at=effective,
            significant=significant,
            summary=summary or "We now keep SMS delivery reports for 180 days.",
            body_markdown="# Privacy Policy\n\nUpdated.",
        ),
        now,
    )
    return effective


def published_event(version: str, significant: bool, effective_at: datetime) -> dict[str, Any]:
    event = copy.deepcopy(event_file("notice_dispatch/policy_published_significant.json"))
    event["id"] = str(uuid.uuid4())
    event["detail"] = {
        "occurred_at": datetime.now(UTC).isoformat(),
        "version": version,
        "significant": significant,
        "effective_at": effective_at.isoformat(),
    }
    return event


def add_account(stack: Harness, account_id: str, email: str, status: str = "active") -> None:
    from privacydesk.datamap.adapters.reference_stores import AccountRecord

    stack.runner.activate("NoticeSenderFunction")
    now = datetime.now(UTC)
    AccountRecord(
        account_id=account_id,
        name="Test Person",
        email=email,
        status=status,
        created_at=now - timedelta(days=10),
        closed_at=now if status == "closed" else None,
    ).save()


def open_account_ids(stack: Harness) -> set[str]:
    from privacydesk.datamap.adapters.reference_stores import AccountRecord

    stack.runner.activate("NoticeSenderFunction")
    return {a.account_id for a in AccountRecord.scan() if a.status != "closed"}


def _sqs(stack: Harness) -> Any:
    return boto3.client("sqs", region_name=stack.stack.region)


def take_queued(stack: Harness, version: str) -> list[dict[str, Any]]:
    """Receive every message on the notice queue; return this version's as SQS event records.
    Every received message is deleted (others belong to finished tests or event-file runs)."""
    url = stack.physical("NoticeSendQueue")
    sqs = _sqs(stack)
    records: list[dict[str, Any]] = []
    while True:
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not received:
            return records
        for message in received:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            if json.loads(message["Body"])["version"] == version:
                records.append(sqs_record(message["Body"], message["MessageId"]))


def sqs_record(body: str, message_id: str | None = None) -> dict[str, Any]:
    record = copy.deepcopy(event_file("notice_sender/recipient_batch.json")["Records"][0])
    record["messageId"] = message_id or str(uuid.uuid4())
    record["body"] = body
    return record


def batch_event(version: str, account_ids: list[str]) -> dict[str, Any]:
    return {"Records": [sqs_record(json.dumps({"version": version, "account_ids": account_ids}))]}


def send_all(stack: Harness, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hand the records to notice_sender in SQS-sized batches; return the reported failures."""
    failures: list[dict[str, Any]] = []
    for start in range(0, len(records), 10):
        result = stack.invoke("NoticeSenderFunction", {"Records": records[start : start + 10]})
        failures.extend(result["batchItemFailures"])
    return failures


def notices_for(stack: Harness, version: str, to: str | None = None) -> list[dict[str, Any]]:
    return [m for m in stack.outbox(to=to) if m["headers"].get(VERSION_HEADER) == version]


def ses_event(kind: str, *, version: str, account_id: str, address: str, message_id: str) -> dict[str, Any]:
    """One of events/ses_feedback/*.json re-addressed to a real notice."""
    event = copy.deepcopy(event_file(f"ses_feedback/{kind}.json"))
    mail = event["detail"]["mail"]
    mail["messageId"] = message_id
    mail["destination"] = [address]
    for header in mail["headers"]:
        if header["name"] == "To":
            header["value"] = address
        elif header["name"] == VERSION_HEADER:
            header["value"] = version
        elif header["name"] == "X-PrivacyDesk-Account":
            header["value"] = account_id
    detail = event["detail"]
    if kind == "bounce_permanent":
        detail["bounce"]["bouncedRecipients"][0]["emailAddress"] = address
    elif kind == "complaint":
        detail["complaint"]["complainedRecipients"][0]["emailAddress"] = address
    else:
        detail["delivery"]["recipients"] = [address]
    return event


def ledger_entry(stack: Harness, version: str, account_id: str) -> Any:
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger

    stack.runner.activate("NoticeSenderFunction")
    return DeliveryLedger().get(version, account_id)
