"""On the running stand-in: the company's own support tickets table and attachments bucket, made
OUTSIDE template.yaml (plain boto3 against the stand-in's moto), are reached by an Access and a
Delete over HTTP for a correspondent who never had an account."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningStack
from tests.e2e.test_fulfilment_stand_in import _admin_get, _completion_email, _submit_and_verify

pytestmark = pytest.mark.e2e


def _existing_names(running: RunningStack) -> tuple[str, str]:
    """The table and bucket the data map names by parameter, made with boto3 if the seed has not."""
    from local import sam_template
    from local.existing_stores import table_definition
    from privacydesk.datamap.domain.model import load_datamap

    datamap = load_datamap()
    tickets, attachments = datamap.store("support_tickets"), datamap.store("support_attachments")
    defaults = sam_template.parameter_defaults()
    table, bucket = str(defaults[tickets.location.parameter]), str(defaults[attachments.location.parameter])
    dynamodb, s3 = running.aws("dynamodb"), running.aws("s3")
    if table not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(**table_definition(tickets, table))
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": running.info["region"]})
    assert table not in running.info["physical"].values(), "made outside the template"
    assert bucket not in running.info["physical"].values(), "made outside the template"
    return table, bucket


def _export(running: RunningStack, request_id: str) -> zipfile.ZipFile:
    detail = _admin_get(running, f"/v1/admin/requests/{request_id}")
    key = detail["request"]["outcome"]["export"]["key"]
    bucket = running.info["physical"]["ExportBucket"]
    body = running.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body))


def _status(running: RunningStack, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        request: dict[str, Any] = _admin_get(running, f"/v1/admin/requests/{request_id}")["request"]
        if request["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return request
        requests.post(f"{running.api}/_local/drain", timeout=120)
        time.sleep(0.5)


def test_access_and_delete_reach_a_table_and_prefix_made_outside_the_template(running: RunningStack):
    table, bucket = _existing_names(running)
    email = f"correspondent-{uuid.uuid4().hex[:8]}@example.org"
    ticket = f"T-{uuid.uuid4().hex[:8]}"
    dynamodb, s3 = running.aws("dynamodb"), running.aws("s3")
    dynamodb.put_item(
        TableName=table,
        Item={
            "ticket_id": {"S": ticket},
            "email": {"S": email},
            "subject": {"S": "Delivery report missing"},
            "created_at": {"S": "2026-11-20T08:00:00+00:00"},
        },
    )
    s3.put_object(Bucket=bucket, Key=f"attachments/{email}/report.png", Body=b"png bytes")

    access = _submit_and_verify(running, {"type": "access", "email": email})
    assert _status(running, access)["status"] == "completed"
    bundle = _export(running, access)
    assert [t["ticket_id"] for t in json.loads(bundle.read("support_tickets.json"))] == [ticket]
    assert bundle.read("files/support_attachments/report.png") == b"png bytes"

    delete = _submit_and_verify(running, {"type": "delete", "email": email})
    request = _status(running, delete)
    assert request["status"] == "completed", request.get("outcome")
    assert request["outcome"]["verification"]["passed"] is True
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"ticket_id": {"S": ticket}})
    versions = s3.list_object_versions(Bucket=bucket, Prefix=f"attachments/{email}/")
    assert versions.get("Versions", []) + versions.get("DeleteMarkers", []) == []
    assert "deleted or anonymized" in _completion_email(running, email)["text"]


def test_the_existing_tables_stream_is_passed_to_the_stack_so_its_ttl_deletions_are_audited(running: RunningStack):
    """`make run` made the tickets table before the stack, with a stream, and passed its ARN as the
    parameter an operator passes on AWS: its stream is then read by the TTL accounting function."""
    table, _ = _existing_names(running)
    description = running.aws("dynamodb").describe_table(TableName=table)["Table"]
    assert description["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert running.info["parameters"]["SupportTicketsTableStreamArn"] == description["LatestStreamArn"]
