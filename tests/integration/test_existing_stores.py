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


# ------------------------------------------------------------------ TTL deletions of an existing table
TTL_FUNCTION = "RetentionTtlAccountingFunction"
TTL_PATTERN = {
    "eventName": ["REMOVE"],
    "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]},
}


def _tickets_stream(stack: Harness) -> tuple[str, str]:
    """The existing tickets table (the stack's parameter) and its stream's ARN, as DynamoDB reports it."""
    from privacydesk.datamap.adapters.locations import name_from_arn

    table = name_from_arn(str(stack.stack.parameters["SupportTicketsTable"]))
    return table, boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]


class _TtlMarkedStream:
    """moto's streams hold no TTL deletions (it never applies TTL): this client marks the REMOVE records
    of `ticket_ids` as DynamoDB's TTL service marks its own (userIdentity), so the stand-in reads them
    exactly as it would a real TTL deletion. Every other call goes to moto unchanged."""

    def __init__(self, client: Any, ticket_ids: set[str]) -> None:
        self._client, self._ticket_ids = client, ticket_ids

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_records(self, **params: Any) -> Any:
        reply = self._client.get_records(**params)
        for record in reply.get("Records", []):
            ticket = record["dynamodb"].get("Keys", {}).get("ticket_id", {}).get("S")
            if record["eventName"] == "REMOVE" and ticket in self._ticket_ids:
                record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        return reply


def _tickets_delivery(stack: Harness, invoke: Any, ttl_deleted: frozenset[str] = frozenset()) -> Any:
    """The stand-in's stream delivery of the tickets table alone (local/streams.py, from TRIM_HORIZON)."""
    from local.streams import StreamDelivery

    _, stream_arn = _tickets_stream(stack)
    delivery = StreamDelivery(stack.stack, invoke)
    delivery.sources = [source for source in delivery.sources if source.stream_arn == stream_arn]
    delivery.streams = _TtlMarkedStream(delivery.streams, set(ttl_deleted))
    return delivery


def _removes_on_the_stream(stream_arn: str) -> set[str]:
    """The ticket ids of every REMOVE record on the stream, read straight from DynamoDB Streams."""
    from botocore.config import Config

    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    return {r["dynamodb"]["Keys"]["ticket_id"]["S"] for r in records if r["eventName"] == "REMOVE"}


def test_the_existing_tables_stream_is_passed_as_its_parameter_and_bound_to_ttl_accounting(stack: Harness):
    _, stream_arn = _tickets_stream(stack)
    assert stack.stack.parameters["SupportTicketsTableStreamArn"] == stream_arn, "as an operator passes it"
    (source,) = _tickets_delivery(stack, stack.runner.invoke).sources
    assert source.function == TTL_FUNCTION
    assert source.patterns == [TTL_PATTERN]
    assert source.on_failure_queue == stack.physical("RetentionDeadLetterQueue")
    assert (source.batch_size, source.max_retries) == (100, 5)


def test_a_users_delete_on_the_existing_table_is_not_delivered_as_a_ttl_deletion(stack: Harness):
    table, stream_arn = _tickets_stream(stack)
    ticket = _ticket(table, unique_email("ticket-deleted"))
    boto3.client("dynamodb").delete_item(TableName=table, Key={"ticket_id": {"S": ticket}})
    assert ticket in _removes_on_the_stream(stream_arn), "the delete is on the stream"
    delivered: list[Any] = []
    delivery = _tickets_delivery(stack, lambda function, event: delivered.append(event))
    for _ in range(3):
        delivery.poll(TTL_FUNCTION)
    assert delivered == [], "a REMOVE by a user is not TTL's: the filter drops it"


def test_a_ttl_deletion_on_the_existing_table_ends_in_an_audit_record_with_ids_only(stack: Harness):
    from privacydesk.audit.adapters.retention_audit import RetentionAuditRecord, ttl_deletions

    table, _ = _tickets_stream(stack)
    email = unique_email("ticket-expired")
    ticket = _ticket(table, email, days_old=800)
    boto3.client("dynamodb").delete_item(TableName=table, Key={"ticket_id": {"S": ticket}})  # as TTL deletes
    stack.runner.activate(TTL_FUNCTION)
    day = datetime.now(UTC).date()
    before = ttl_deletions("support_tickets", day)
    replies: list[Any] = []

    def invoke(function: str, event: Any) -> Any:
        replies.append(reply := stack.runner.invoke(function, event))
        return reply

    delivery = _tickets_delivery(stack, invoke, ttl_deleted=frozenset({ticket}))
    for _ in range(3):
        delivery.poll(TTL_FUNCTION)

    assert replies == [{"ttl_deleted": {"support_tickets": 1}}]
    stack.runner.activate(TTL_FUNCTION)
    assert ttl_deletions("support_tickets", day) == before + 1
    stored = json.dumps(
        [r.attribute_values for r in RetentionAuditRecord.query(f"retention-ttl#support_tickets#{day}")], default=str
    )
    assert f"ticket_id={ticket}" in stored
    assert email not in stored, "ids only, never the old image's personal fields"


def test_the_stand_in_passes_each_existing_tables_stream_unless_an_override_says_otherwise(stack: Harness):
    from local.existing_stores import with_table_streams

    dynamodb = boto3.client("dynamodb")
    _, stream_arn = _tickets_stream(stack)
    assert with_table_streams(dynamodb, {})["SupportTicketsTableStreamArn"] == stream_arn
    assert with_table_streams(dynamodb, {"SupportTicketsTableStreamArn": ""})["SupportTicketsTableStreamArn"] == ""
    elsewhere = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets-elsewhere"  # a table named by ARN
    passed = with_table_streams(dynamodb, {"SupportTicketsTable": elsewhere})["SupportTicketsTableStreamArn"]
    assert passed == dynamodb.describe_table(TableName="tickets-elsewhere")["Table"]["LatestStreamArn"]
