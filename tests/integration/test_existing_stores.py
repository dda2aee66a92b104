"""Stores the company already had: a DynamoDB table and an S3 bucket created OUTSIDE template.yaml
(plain boto3 against the stand-in's moto), which the data map names by template parameter. Access
and Delete reach them like the stores PrivacyDesk creates, for people with or without an account."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.support.flows import admin, submit_and_verify, unique_email
from tests.support.fulfilment import drain_fulfilment, new_account
from tests.support.harness import Harness

pytestmark = pytest.mark.integration


def _existing(stack: Harness) -> dict[str, str]:
    """The company's own table and bucket, made with plain boto3 (idempotent: the seed made them too)."""
    from local.existing_stores import create_existing_stores

    names = create_existing_stores()
    for name in names.values():
        assert name not in stack.stack.physical.values(), "an existing store is not a resource of the stack"
    return names


def _ticket(table: str, email: str, *, account_id: str | None = None, days_old: int = 3) -> str:
    """A support ticket as the company's help desk writes it, stamping expires_at and expiry_bucket
    as the README's "Adding a store" asks of writers outside PrivacyDesk."""
    from privacydesk.datamap.adapters.dynamodb_store import to_low_level
    from privacydesk.datamap.adapters.retention_fields import retention_fields
    from privacydesk.datamap.domain.model import load_datamap

    now = datetime.now(UTC)
    ticket_id = f"T-{uuid.uuid4().hex[:10]}"
    item: dict[str, Any] = {
        "ticket_id": ticket_id,
        "email": email,
        "subject": "Where is my delivery report?",
        "body": "The report for last week's campaign never arrived.",
        "status": "open",
        "created_at": (now - timedelta(days=days_old)).isoformat(),
    }
    if account_id:
        item["account_id"] = account_id
    item.update(retention_fields(load_datamap().store("support_tickets"), item, now=now))
    boto3.client("dynamodb").put_item(TableName=table, Item=to_low_level(item))
    return ticket_id


def _attachment(bucket: str, email: str, name: str) -> str:
    key = f"attachments/{email}/{name}"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"screenshot of the dashboard")
    return key


def _detail(stack: Harness, request_id: str) -> dict[str, Any]:
    reply = admin(stack, "GET", f"/v1/admin/requests/{request_id}")
    assert reply.status == 200, reply.body
    detail: dict[str, Any] = reply.json()
    return detail


def _bundle(stack: Harness, detail: dict[str, Any]) -> zipfile.ZipFile:
    key = detail["request"]["outcome"]["export"]["key"]
    body = boto3.client("s3").get_object(Bucket=stack.physical("ExportBucket"), Key=key)["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body))


def _versions(bucket: str, prefix: str) -> int:
    reply = boto3.client("s3").list_object_versions(Bucket=bucket, Prefix=prefix)
    return len(reply.get("Versions", [])) + len(reply.get("DeleteMarkers", []))


def test_a_correspondent_without_an_account_gets_their_tickets_and_attachments_in_an_access(stack: Harness):
    names = _existing(stack)
    email = unique_email("correspondent")
    ticket = _ticket(names["support_tickets"], email)
    _attachment(names["support_attachments"], email, "dashboard.png")

    receipt = submit_and_verify(stack, type="access", email=email)
    drain_fulfilment(stack)

    detail = _detail(stack, receipt["request_id"])
    assert detail["request"]["status"] == "completed"
    outcome = detail["request"]["outcome"]
    assert outcome["stores"]["support_tickets"]["records"] == 1
    assert outcome["stores"]["support_attachments"]["files"] == 1
    bundle = _bundle(stack, detail)
    tickets = json.loads(bundle.read("support_tickets.json"))
    assert [t["ticket_id"] for t in tickets] == [ticket]
    assert bundle.read("files/support_attachments/dashboard.png") == b"screenshot of the dashboard"
    assert json.loads(bundle.read("accounts.json")) == []  # no account: nothing else is theirs


def test_a_correspondent_without_an_account_loses_their_tickets_and_attachments_in_a_delete(stack: Harness):
    names = _existing(stack)
    email = unique_email("correspondent")
    other = unique_email("someone-else")
    ticket = _ticket(names["support_tickets"], email)
    kept = _ticket(names["support_tickets"], other)
    _attachment(names["support_attachments"], email, "dashboard.png")
    _attachment(names["support_attachments"], other, "theirs.png")

    receipt = submit_and_verify(stack, type="delete", email=email)
    drain_fulfilment(stack)

    detail = _detail(stack, receipt["request_id"])
    assert detail["request"]["status"] == "completed"
    stores = detail["request"]["outcome"]["stores"]
    assert stores["support_tickets"]["deleted"] == 1
    assert stores["support_attachments"]["deleted"] >= 1
    assert detail["request"]["outcome"]["verification"]["passed"] is True
    db = boto3.client("dynamodb")
    assert "Item" not in db.get_item(TableName=names["support_tickets"], Key={"ticket_id": {"S": ticket}})
    assert "Item" in db.get_item(TableName=names["support_tickets"], Key={"ticket_id": {"S": kept}})
    assert _versions(names["support_attachments"], f"attachments/{email}/") == 0
    assert _versions(names["support_attachments"], f"attachments/{other}/") == 1


def test_an_account_holders_ticket_is_exported_once_and_another_accounts_ticket_never(stack: Harness):
    names = _existing(stack)
    person = new_account(stack, messages=1)
    own = _ticket(names["support_tickets"], person["email"], account_id=person["account_id"])
    # The same address on a ticket of another account (a shared inbox): that account's, not theirs.
    _ticket(names["support_tickets"], person["email"], account_id=f"acct-{uuid.uuid4().hex[:8]}")

    receipt = submit_and_verify(stack, type="access", email=person["email"])
    drain_fulfilment(stack)

    detail = _detail(stack, receipt["request_id"])
    assert detail["request"]["status"] == "completed"
    tickets = json.loads(_bundle(stack, detail).read("support_tickets.json"))
    assert [t["ticket_id"] for t in tickets] == [own]


def test_a_missing_lookup_index_is_reported_at_first_use_by_name(stack: Harness, monkeypatch: pytest.MonkeyPatch):
    from privacydesk.datamap.adapters import dynamodb_store
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.datamap.domain.store_errors import StoreMisconfigured

    table = f"misshapen-tickets-{uuid.uuid4().hex[:6]}"  # made by hand, without the by_email index
    boto3.client("dynamodb").create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "ticket_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "ticket_id", "AttributeType": "S"},
            {"AttributeName": "account_id", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_account",
                "KeySchema": [{"AttributeName": "account_id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    store = load_datamap().store("support_tickets")
    monkeypatch.setenv(store.location.env, f"arn:aws:dynamodb:ap-southeast-1:123456789012:table/{table}")
    adapter = dynamodb_store.DynamoDbStore(store)
    by_email = next(lookup for lookup in store.lookups if lookup.index == "by_email")

    with pytest.raises(StoreMisconfigured) as error:
        list(adapter.pages(by_email, "someone@example.org", now_epoch=int(datetime.now(UTC).timestamp())))

    assert error.value.store == "support_tickets"
    assert error.value.detail == f"table {table}: the email lookup's index by_email does not exist"
