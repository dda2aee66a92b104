"""The tests' moto rolls a failed transaction back as moto itself would, at the cost of the items
it names (tests/support/moto_transactions.py): no partial write, no stream record, old values back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import moto_transactions

pytestmark = pytest.mark.unit

TABLE = "transactions"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    from moto import mock_aws

    moto_transactions.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-southeast-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        client.put_item(TableName=TABLE, Item=_item("kept", "old"))
        yield client
        # Inside a worker's session-wide mock (the in-process stack), moto's state outlives this block.
        client.delete_table(TableName=TABLE)


def _item(pk: str, value: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "a"}, "value": {"S": value}}


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "a"}}


def _stream_records(client: Any) -> int:
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    # botocore addresses stream calls to "<account>.streams-ddb..." which moto does not serve
    disabled = Config(account_id_endpoint_mode="disabled")
    streams = boto3.client("dynamodbstreams", region_name="ap-southeast-1", config=disabled)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def _failing_transaction(client: Any) -> None:
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _item("new", "x")}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": _key("kept"),
                        "UpdateExpression": "SET #v = :v",
                        "ExpressionAttributeNames": {"#v": "value"},
                        "ExpressionAttributeValues": {":v": {"S": "changed"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("absent"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_a_failed_transaction_leaves_no_partial_write_and_no_stream_record(dynamodb: Any):
    _failing_transaction(dynamodb)

    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=_key("new"))
    assert dynamodb.get_item(TableName=TABLE, Key=_key("kept"))["Item"]["value"] == {"S": "old"}
    assert _stream_records(dynamodb) == 1  # the first put only


def test_a_transaction_that_succeeds_writes_every_item_and_its_stream_records(dynamodb: Any):
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": _item("new", "x")}},
            {"Delete": {"TableName": TABLE, "Key": _key("kept")}},
        ]
    )
    assert dynamodb.get_item(TableName=TABLE, Key=_key("new"))["Item"]["value"] == {"S": "x"}
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=_key("kept"))
    assert _stream_records(dynamodb) == 3
