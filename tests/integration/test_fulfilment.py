"""Fulfilment end to end under mock_aws: submit -> verify -> (approve) -> the bus rule puts the
request on the fulfilment queue -> the real handler -> the outcome a requester and a DPO see."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from local.seed import DEMO_SMS_RECIPIENTS
from tests.support.flows import admin, submit, submit_and_verify
from tests.support.fulfilment import drain_fulfilment, new_account, sms_code, sms_to
from tests.support.harness import ADMIN_IDENTITY, Harness

pytestmark = pytest.mark.integration


def request_detail(stack: Harness, request_id: str) -> dict[str, Any]:
    reply = admin(stack, "GET", f"/v1/admin/requests/{request_id}")
    assert reply.status == 200, reply.body
    return reply.json()


def bundle_of(stack: Harness, detail: dict[str, Any]) -> zipfile.ZipFile:
    key = detail["request"]["outcome"]["export"]["key"]
    body = boto3.client("s3").get_object(Bucket=stack.physical("ExportBucket"), Key=key)["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body))


def completion_email(stack: Harness, to: str) -> dict[str, Any]:
    found = [m for m in stack.outbox(to=to) if m["subject"] == "Your privacy request is complete"]
    assert found, f"no completion email to {to}"
    return found[-1]


def item(table: str, key: dict[str, str]) -> dict[str, Any] | None:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    reply = boto3.client("dynamodb").get_item(TableName=table, Key={k: serializer.serialize(v) for k, v in key.items()})
    return reply.get("Item")


def message_logs_of(stack: Harness, account_id: str) -> list[dict[str, Any]]:
    reply = boto3.client("dynamodb").query(
        TableName=stack.physical("MessageLogsTable"),
        KeyConditionExpression="account_id = :a",
        ExpressionAttributeValues={":a": {"S": account_id}},
    )
    return reply["Items"]


def test_access_bundle_has_every_store_as_json_and_csv_with_a_readme(stack: Harness):
    person = new_account(stack, messages=4)
    from privacydesk.datamap.adapters.reference_stores import MessageLogRecord

    gone = datetime.now(UTC) - timedelta(days=1)
    MessageLogRecord(
        account_id=person["account_id"],
        message_id="expired#1",
        recipient="+639170000001",
        body="expired but not yet deleted by DynamoDB",
        sent_at=gone.isoformat(),
        expires_at=int(gone.timestamp()),
    ).save()
    receipt = submit_and_verify(stack, type="access", email=person["email"])
    drain_fulfilment(stack)

    detail = request_detail(stack, receipt["request_id"])
    assert detail["request"]["status"] == "completed"
    assert [e["action"] for e in detail["audit"]][-2:] == ["fulfilment_started", "completed"]
    outcome = detail["request"]["outcome"]
    assert outcome["stores"]["message_logs"]["records"] == 4  # the expired one is left out
    assert outcome["stores"]["account_documents"]["files"] == 1

    bundle = bundle_of(stack, detail)
    names = set(bundle.namelist())
    for store in ("accounts", "account_documents", "message_logs", "api_usage", "technical_events"):
        assert {f"{store}.json", f"{store}.csv"} <= names
    assert "files/account_documents/permit.txt" in names
    accounts = json.loads(bundle.read("accounts.json"))
    assert accounts[0]["name"] == person["name"]
    rows = list(csv.DictReader(io.StringIO(bundle.read("message_logs.csv").decode())))
    assert len(rows) == 4
    assert "expired" not in bundle.read("message_logs.json").decode()
    readme = bundle.read("README.txt").decode()
    assert "Technical data" in readme
    assert "Security investigations look back at most one quarter." in readme  # retention reason

    email = completion_email(stack, person["email"])
    link = re.search(r"(https?://\S+)", email["text"].split("Download it here", 1)[1]).group(1)
    # a link to our download route (tests/integration/test_export_link.py), not a presigned S3 URL
    assert link.startswith(f"http://127.0.0.1:3000/v1/requests/{receipt['request_id']}/export?token=")


def test_phone_only_subject_sees_messages_to_their_number_without_the_senders_data(stack: Harness):
    phone = DEMO_SMS_RECIPIENTS[1]  # [0] is the number events/public_api/submit_phone_only.json asks for
    receipt = submit(stack, type="access", phone=phone).json()
    code = sms_code(stack, phone)
    assert stack.http("POST", f"/v1/requests/{receipt['request_id']}/verify", {"token": code}).status == 200
    drain_fulfilment(stack)

    detail = request_detail(stack, receipt["request_id"])
    assert detail["request"]["status"] == "completed"
    bundle = bundle_of(stack, detail)
    messages = json.loads(bundle.read("message_logs.json"))
    assert len(messages) == 6  # two to this number from each demo account
    for message in messages:
        assert message["relation"] == "recipient"
        assert message["recipient"] == phone
        assert {"account_id", "sender_id", "route"}.isdisjoint(message)
    assert json.loads(bundle.read("accounts.json")) == []  # a number proves no account
    assert json.loads(bundle.read("technical_events.json")) == []
    link = f"/v1/requests/{receipt['request_id']}/export?token="
    (ready,) = [text for text in sms_to(stack, phone) if link in text]  # our download route, not S3
    assert "your data copy is ready" in ready
    assert "X-Amz-" not in ready


def test_delete_erases_every_store_and_the_verification_pass_proves_it(stack: Harness):
    person = new_account(stack, messages=30)
    receipt = submit_and_verify(stack, type="delete", email=person["email"])
    drain_fulfilment(stack)

    detail = request_detail(stack, receipt["request_id"])
    request = detail["request"]
    assert request["status"] == "completed"
    stores = request["outcome"]["stores"]
    assert stores["accounts"]["deleted"] == 1
    assert stores["message_logs"]["anonymized"] == 30
    assert stores["technical_events"]["deleted"] == 1
    assert stores["account_documents"]["deleted"] >= 1
    assert request["outcome"]["verification"] == {
        "passed": True,
        "remaining": {name: 0 for name in stores if name != "billing_records"},
    }
    (kept,) = request["outcome"]["kept"]  # invoices: the tax code's retention obligation
    assert kept["store"] == "billing_records"
    assert kept["records"] == 1
    assert "Tax Code" in kept["reason"]
    assert "erasure_verified" in [e["action"] for e in detail["audit"]]
    assert detail["audit_chain"]["valid"] is True

    assert item(stack.physical("AccountsTable"), {"account_id": person["account_id"]}) is None
    assert message_logs_of(stack, person["account_id"]) == [], "anonymized logs no longer sit under the account"
    versions = boto3.client("s3").list_object_versions(
        Bucket=stack.physical("AccountDocumentsBucket"), Prefix=f"sender-id/{person['account_id']}/"
    )
    assert not versions.get("Versions")
    assert not versions.get("DeleteMarkers")
    notice = completion_email(stack, person["email"])["text"]
    assert "checked that none remain" in notice
    assert "We kept 1 record(s) of Invoices" in notice
    assert "we kept only one row per message with only its delivery status" in notice
    assert "Tax Code" in notice


def test_a_delete_delivered_twice_is_done_once(stack: Harness):
    person = new_account(stack)
    receipt = submit_and_verify(stack, type="delete", email=person["email"])
    message = boto3.client("sqs").receive_message(QueueUrl=stack.physical("FulfilmentQueue"), AttributeNames=["All"])[
        "Messages"
    ][0]
    from tests.support.fulfilment import sqs_record

    for _ in range(2):
        reply = stack.invoke("FulfilmentFunction", {"Records": [sqs_record(stack, message)]})
        assert reply == {"batchItemFailures": []}
    boto3.client("sqs").delete_message(
        QueueUrl=stack.physical("FulfilmentQueue"), ReceiptHandle=message["ReceiptHandle"]
    )
    actions = [e["action"] for e in request_detail(stack, receipt["request_id"])["audit"]]
    assert actions.count("completed") == 1
    from privacydesk.datamap.domain.model import load_datamap

    assert actions.count("store_erased") == len(load_datamap().stores)  # once per store


def test_legal_hold_keeps_the_records_and_the_notice_says_why(stack: Harness):
    person = new_account(stack)
    path = f"/v1/admin/subjects/{person['account_id']}/hold"
    held = admin(stack, "POST", path, {"reason": "Case 2026-114: billing dispute"})
    assert held.status == 200, held.body
    assert admin(stack, "GET", path).json()["hold"]["reason"] == "Case 2026-114: billing dispute"
    receipt = submit_and_verify(stack, type="delete", email=person["email"])
    drain_fulfilment(stack)

    request = request_detail(stack, receipt["request_id"])["request"]
    assert request["status"] == "completed"
    kept = {entry["store"]: entry for entry in request["outcome"]["kept"]}
    assert set(kept) == {
        "accounts",
        "account_documents",
        "message_logs",
        "api_usage",
        "technical_events",
        "billing_records",
    }
    assert "legal hold" in kept["accounts"]["reason"]
    assert item(stack.physical("AccountsTable"), {"account_id": person["account_id"]}) is not None
    notice = completion_email(stack, person["email"])["text"]
    assert "legal hold" in notice
    assert "billing dispute" not in notice  # the case itself stays with the DPO

    assert admin(stack, "DELETE", path).json()["hold"] is None
    assert admin(stack, "DELETE", path).json()["error"]["code"] == "hold_not_found"


def test_placing_and_lifting_a_hold_is_audited_with_who_and_why(stack: Harness):
    person = new_account(stack)
    path = f"/v1/admin/subjects/{person['account_id']}/hold"
    assert admin(stack, "POST", path, {"reason": "Case 2026-201: regulator inquiry"}).status == 200
    again = admin(stack, "POST", path, {"reason": "a second reason"}).json()  # the first hold stands
    assert again["hold"]["reason"] == "Case 2026-201: regulator inquiry"
    assert again["hold"]["set_by"] == ADMIN_IDENTITY["userArn"]
    lifted = admin(stack, "DELETE", path).json()
    assert lifted["hold"] is None
    history = lifted["history"]
    assert [(e["action"], e["actor"]) for e in history] == [
        ("hold_set", ADMIN_IDENTITY["userArn"]),
        ("hold_cleared", ADMIN_IDENTITY["userArn"]),
    ]
    assert history[0]["details"]["reason"] == "Case 2026-201: regulator inquiry"
    assert lifted["history_chain"]["valid"] is True
    assert admin(stack, "POST", path, {"reason": "Case 2026-202"}).json()["history"][-1]["seq"] == 3


def test_hold_routes_need_a_registered_subject_and_a_reason(stack: Harness):
    assert admin(stack, "POST", "/v1/admin/subjects/acct-nobody/hold", {"reason": "x"}).status == 404
    assert admin(stack, "POST", "/v1/admin/subjects/acct-ana/hold", {}).status == 422


def test_update_waits_for_approval_then_corrects_every_store_and_audits_field_names(stack: Harness):
    person = new_account(stack)
    receipt = submit_and_verify(
        stack, type="update", email=person["email"], corrections={"name": "Corrected Name", "phone": "0917 765 4321"}
    )
    drain_fulfilment(stack)
    assert request_detail(stack, receipt["request_id"])["request"]["status"] == "verified"  # awaits approval

    assert admin(stack, "POST", f"/v1/admin/requests/{receipt['request_id']}/approve", {}).status == 200
    drain_fulfilment(stack)
    detail = request_detail(stack, receipt["request_id"])
    assert detail["request"]["status"] == "completed"
    account = item(stack.physical("AccountsTable"), {"account_id": person["account_id"]})
    assert account["name"] == {"S": "Corrected Name"}
    assert account["phone"] == {"S": "+639177654321"}
    corrected = next(e for e in detail["audit"] if e["action"] == "fields_corrected")
    assert corrected["details"]["fields"] == ["name", "phone"]
    assert "Corrected Name" not in json.dumps(detail["audit"])
    assert "+639177654321" not in json.dumps(detail["audit"])


def test_an_invalid_or_uncorrectable_correction_is_refused_at_submit_naming_the_field(stack: Harness):
    person = new_account(stack)
    invalid = submit(stack, type="update", email=person["email"], corrections={"email": "not-an-address"})
    assert invalid.status == 400
    assert invalid.json()["error"]["code"] == "invalid_correction"
    assert "email" in invalid.json()["error"]["message"]
    assert "not-an-address" not in invalid.body
    uncorrectable = submit(stack, type="update", email=person["email"], corrections={"password": "hunter2"})
    assert uncorrectable.status == 400
    assert uncorrectable.json()["error"]["code"] == "field_not_correctable"
    assert item(stack.physical("AccountsTable"), {"account_id": person["account_id"]})["email"] == {
        "S": person["email"]
    }


def test_objection_is_recorded_per_purpose_and_other_services_can_ask(stack: Harness):
    person = new_account(stack)
    receipt = submit_and_verify(stack, type="object", email=person["email"], purposes=["marketing", "profiling"])
    drain_fulfilment(stack)
    assert request_detail(stack, receipt["request_id"])["request"]["status"] == "completed"

    for subject in (person["account_id"], person["email"]):
        reply = admin(stack, "GET", f"/v1/admin/subjects/{subject}/processing")
        assert reply.status == 200, reply.body
        purposes = reply.json()["purposes"]
        assert purposes["marketing"]["allowed"] is False
        assert purposes["profiling"]["allowed"] is False
        assert purposes["analytics"]["allowed"] is True

    from privacydesk.subjects.entry.processing import may_process

    stack.runner.activate("FulfilmentFunction")
    assert may_process(person["account_id"], "marketing") is False
    assert may_process(person["account_id"], "analytics") is True
    assert may_process("acct-carla", "marketing") is True


def test_a_phone_only_subject_erases_the_messages_to_their_number_and_nothing_of_the_sender(stack: Harness):
    import uuid

    phone = f"+63917{int(uuid.uuid4().hex[:6], 16) % 10_000_000:07d}"
    sender = new_account(stack, messages=3, recipient=phone)
    receipt = submit(stack, type="delete", phone=phone).json()
    code = sms_code(stack, phone)
    assert stack.http("POST", f"/v1/requests/{receipt['request_id']}/verify", {"token": code}).status == 200
    drain_fulfilment(stack)

    request = request_detail(stack, receipt["request_id"])["request"]
    assert request["status"] == "completed"
    assert request["outcome"]["stores"]["message_logs"]["anonymized"] == 3
    assert request["outcome"]["verification"]["passed"] is True
    logs = message_logs_of(stack, sender["account_id"])
    assert len(logs) == 3
    assert all("recipient" not in log and "body" not in log for log in logs)
    assert all(log["sender_id"] == {"S": sender["sender_id"]} for log in logs)  # the sender's own data stays
    assert item(stack.physical("AccountsTable"), {"account_id": sender["account_id"]}) is not None
    assert any("your data has been deleted" in text for text in sms_to(stack, phone))
