"""Batch writes under moto: 25 per call, and unprocessed items retried until written."""

from __future__ import annotations

import uuid

import boto3
import pytest
from moto import mock_aws

from privacydesk.kernel import batch_writes
from privacydesk.kernel.aws import reset_clients

pytestmark = pytest.mark.unit


@pytest.fixture
def table():
    # A name of its own: when the integration stack's session-wide mock_aws is active, the nested
    # mock_aws here shares its state, and a second table "t" would already exist.
    name = f"t-{uuid.uuid4().hex[:8]}"
    with mock_aws():
        reset_clients()
        name = f"t-{uuid.uuid4().hex[:8]}"  # unique: the integration stack's mock_aws may be active around us
        boto3.client("dynamodb").create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield name
        reset_clients()


def _puts(n: int) -> list[dict]:
    return [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(n)]


def test_writes_go_in_calls_of_at_most_25(table: str):
    result = batch_writes.batch_write(table, _puts(60))
    assert (result.written, result.calls, result.unprocessed) == (60, 3, 0)


def test_unprocessed_items_are_retried_with_backoff(table: str, monkeypatch: pytest.MonkeyPatch):
    real = batch_writes.client("dynamodb")
    calls = {"n": 0}

    class Throttled:
        def batch_write_item(self, RequestItems):  # noqa: N803 - boto3's argument name
            calls["n"] += 1
            items = RequestItems[table]
            if calls["n"] == 1:  # the first call leaves 5 items unprocessed, as a throttled table does
                real.batch_write_item(RequestItems={table: items[:-5]})
                return {"UnprocessedItems": {table: items[-5:]}}
            return real.batch_write_item(RequestItems=RequestItems)

    monkeypatch.setattr(batch_writes, "client", lambda _: Throttled())
    slept: list[float] = []
    result = batch_writes.batch_write(table, _puts(20), sleep=slept.append)
    assert (result.written, result.calls, result.retries, result.unprocessed) == (20, 2, 1, 0)
    assert len(slept) == 1
    assert real.scan(TableName=table)["Count"] == 20
