"""`privacydesk migrate subject-keys` on the stand-in, as an operator runs it after the deploy that
made person keys one spelling per mailbox: a request stored with the old spelling is found again by
the by_subject index (duplicates, per-person limits), and a second run changes nothing."""

from __future__ import annotations

import uuid

import boto3
import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e


def _by_subject(dynamodb, table: str, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    found = dynamodb.query(
        TableName=table,
        IndexName="by_subject",
        KeyConditionExpression="subject_key = :key",
        ExpressionAttributeValues={":key": {"S": key}},
    )
    return [item["request_id"]["S"] for item in found["Items"]]


def test_a_request_stored_before_person_keys_is_found_again_after_the_migration(running: RunningStack):
    tag = uuid.uuid4().hex[:10]
    address = f"Pat.Lee.{tag}+privacy@Gmail.com"
    reply = requests.post(f"{running.api}/v1/requests", json={"type": "access", "email": address}, timeout=30)
    assert reply.status_code == 202, reply.text
    request_id = reply.json()["request_id"]
    dynamodb = boto3.client("dynamodb", region_name=running.info["region"], endpoint_url=running.info["endpoint_url"])
    table = running.info["physical"]["RequestsTable"]
    person_key = f"email:patlee{tag}@gmail.com"
    assert _by_subject(dynamodb, table, person_key) == [request_id]
    # As the release before person keys stored it: the address as spelled.
    dynamodb.update_item(
        TableName=table,
        Key={"request_id": {"S": request_id}},
        UpdateExpression="SET subject_key = :old",
        ExpressionAttributeValues={":old": {"S": f"email:{address}"}},
    )
    assert _by_subject(dynamodb, table, person_key) == []

    code, counted = running.cli("migrate", "subject-keys", "--dry-run")
    assert code == 0, counted
    assert counted["stale"] >= 1
    assert counted["rewritten"] == 0
    assert _by_subject(dynamodb, table, person_key) == []  # a dry run changes nothing

    code, done = running.cli("migrate", "subject-keys")
    assert code == 0, done
    assert done["rewritten"] >= 1
    assert _by_subject(dynamodb, table, person_key) == [request_id]

    code, again = running.cli("migrate", "subject-keys")
    assert (code, again["stale"], again["rewritten"]) == (0, 0, 0)
